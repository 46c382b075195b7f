// libFuzzer target: the head service's request handling (src/serve/http_api.h)
// on an embedded workspace (SQLite tables and queue, a directory store, the
// local embedder and index): routing by path, authentication, cookies, CSRF,
// and every query parameter the routes read (paging cursors, limits, sort,
// search modes, windows, upload names). libmicrohttpd splits and decodes the
// request in production; here the input is a request in HTTP's own layout,
//   METHOD PATH?QUERY
//   Header: value
//   (blank line)
//   body
// decoded the same way (percent escapes, '+' in the query, the first of
// repeated parameters). The bearer token is added unless the input sends its
// own Authorization or Cookie. Any answer is fine but a crash, a sanitizer
// report, an uncaught exception, a 5xx (a request, however hostile, is the
// client's error) or an answer that is not what its Content-Type says.
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "app/retrieval.h"
#include "fuzz/http_text.h"
#include "app/storage.h"
#include "serve/head_duties.h"
#include "serve/http_api.h"

namespace {

constexpr const char* kHttpFuzzToken = "fuzz-token";

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += plus_is_space && s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

docpipe::ApiRequest ParseHttpFuzzRequest(std::string_view in) {
  docpipe::ApiRequest r;
  r.remote_addr = "127.0.0.1";
  size_t eol = in.find('\n');
  std::string_view first = in.substr(0, eol);
  in = eol == std::string_view::npos ? std::string_view() : in.substr(eol + 1);
  size_t sp = first.find(' ');
  r.method = std::string(first.substr(0, sp));
  std::string_view target = sp == std::string_view::npos ? std::string_view("/") : first.substr(sp + 1);
  size_t q = target.find('?');
  r.path = PercentDecode(target.substr(0, q), false);
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      size_t eq = pair.find('=');
      std::string key = PercentDecode(pair.substr(0, eq), true);
      std::string value = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true);
      r.params.emplace(std::move(key), std::move(value));  // the first of each wins
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
  docpipe::fuzz::ReadHeaderLines(in, r.headers);
  r.body = std::string(in);
  if (r.headers.count("authorization") == 0 && r.headers.count("cookie") == 0) {
    r.headers["authorization"] = std::string("Bearer ") + kHttpFuzzToken;
  }
  return r;
}

// The workspace and the API over it, built once and removed at exit.
struct HttpFuzzServer {
  std::string dir;
  std::unique_ptr<docpipe::Storage> storage;
  std::unique_ptr<docpipe::Retrieval> retrieval;
  std::unique_ptr<docpipe::HeadDuties> duties;
  std::unique_ptr<docpipe::HttpApi> api;

  HttpFuzzServer() {
    char tmpl[] = "/tmp/docpipe-http-fuzz-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) std::abort();
    dir = tmpl;
    docpipe::Config config;
    config.workspace = dir + "/ws";
    auto opened = docpipe::Storage::Open(config, "fuzz-worker", docpipe::Environment{});
    if (!opened.ok() || !(*opened)->OpenAll().ok()) Die("cannot open the workspace");
    storage = std::move(*opened);
    retrieval = std::make_unique<docpipe::Retrieval>(*storage);
    auto embedder = retrieval->embedder();
    auto index = retrieval->index();
    if (!embedder.ok() || !index.ok()) Die("cannot open the embedder or the index");
    duties = std::make_unique<docpipe::HeadDuties>(storage->services(), storage->events(), docpipe::HeadOptions{});
    docpipe::DashboardOptions dashboard;
    dashboard.scratch_dir = config.workspace + "/tmp";
    dashboard.max_upload_bytes = 1 << 20;
    api = std::make_unique<docpipe::HttpApi>(
        docpipe::ApiContext{storage->services(), storage->events(), **embedder, **index, *duties,
                            &storage->registrar(), dashboard},
        kHttpFuzzToken);
  }
  ~HttpFuzzServer() {
    api.reset();
    duties.reset();
    retrieval.reset();
    storage.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  static void Die(const char* why) {
    std::fprintf(stderr, "http_api fuzzer: %s\n", why);
    std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static HttpFuzzServer server;
  const docpipe::ApiRequest request =
      ParseHttpFuzzRequest(std::string_view(reinterpret_cast<const char*>(data), size));
  const docpipe::ApiResponse response = server.api->Handle(request);
  static const bool verbose = std::getenv("DOCPIPE_FUZZ_VERBOSE") != nullptr;  // what a seed reaches
  if (verbose) std::fprintf(stderr, "http_api: %s %s -> %d\n", request.method.c_str(), request.path.c_str(), response.status);
  if (response.status < 100 || response.status > 599 || (response.status >= 500 && response.status != 503)) {
    std::fprintf(stderr, "http_api: %s %s answered %d: %s\n", request.method.c_str(), request.path.c_str(),
                 response.status, response.body.substr(0, 500).c_str());
    std::abort();
  }
  if (response.content_type.rfind("application/json", 0) == 0 && !response.body.empty() &&
      !nlohmann::json::accept(response.body)) {
    std::fprintf(stderr, "http_api: %s %s answered JSON that does not parse\n", request.method.c_str(),
                 request.path.c_str());
    std::abort();
  }
  return 0;
}
