// libcurl is loaded when the first client is made (dlopen), not when docpipe
// starts: with the ~25 libraries it brings (TLS, Kerberos, LDAP, SSH...) it
// would double the start-up time of every command, and most commands of the
// embedded shape never make a request. Only its header is used at build time.
#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "common/strings.h"
#include "http/curl_http_client.h"

namespace docpipe {
namespace {

// The libcurl functions docpipe calls, resolved from the shared library.
struct CurlApi {
  CURLcode (*global_init)(long flags);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  CURLM* (*multi_init)();
  CURLMcode (*multi_cleanup)(CURLM*);
  CURLMcode (*multi_add_handle)(CURLM*, CURL*);
  CURLMcode (*multi_remove_handle)(CURLM*, CURL*);
  CURLMcode (*multi_perform)(CURLM*, int*);
  CURLMcode (*multi_poll)(CURLM*, curl_waitfd*, unsigned int, int, int*);
  CURLMsg* (*multi_info_read)(CURLM*, int*);
  const char* (*multi_strerror)(CURLMcode);
};

// libcurl as loaded: the functions, or why it could not be loaded.
struct LoadedCurl {
  CurlApi api{};
  std::string error;  // "" when loaded
};

LoadedCurl Load() {
  constexpr const char* kSoname = kCurlLibrary;
  LoadedCurl out;
  void* lib = ::dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);  // never closed: it lives as long as the process
  if (lib == nullptr) {
    const char* why = ::dlerror();
    out.error = fmt::format("cannot load {} (Debian: apt-get install libcurl4): {}", kSoname,
                            why != nullptr ? why : "unknown error");
    return out;
  }
  auto bind = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
    if (fn == nullptr) out.error += (out.error.empty() ? kSoname + std::string(" lacks ") : ", ") + name;
  };
  CurlApi& api = out.api;
  bind(api.global_init, "curl_global_init");
  bind(api.easy_init, "curl_easy_init");
  bind(api.easy_cleanup, "curl_easy_cleanup");
  bind(api.easy_reset, "curl_easy_reset");
  bind(api.easy_setopt, "curl_easy_setopt");
  bind(api.easy_getinfo, "curl_easy_getinfo");
  bind(api.easy_strerror, "curl_easy_strerror");
  bind(api.slist_append, "curl_slist_append");
  bind(api.slist_free_all, "curl_slist_free_all");
  bind(api.multi_init, "curl_multi_init");
  bind(api.multi_cleanup, "curl_multi_cleanup");
  bind(api.multi_add_handle, "curl_multi_add_handle");
  bind(api.multi_remove_handle, "curl_multi_remove_handle");
  bind(api.multi_perform, "curl_multi_perform");
  bind(api.multi_poll, "curl_multi_poll");  // libcurl >= 7.66
  bind(api.multi_info_read, "curl_multi_info_read");
  bind(api.multi_strerror, "curl_multi_strerror");
  if (out.error.empty()) api.global_init(CURL_GLOBAL_DEFAULT);
  return out;
}

// Loads libcurl once per process (it is a process-wide library, like its
// curl_global_init); nullptr and `*error` when it cannot be loaded.
const CurlApi* LoadCurl(std::string* error) {
  static const LoadedCurl loaded = Load();
  if (!loaded.error.empty()) {
    if (error != nullptr) *error = loaded.error;
    return nullptr;
  }
  return &loaded.api;
}

const CurlApi& Curl() { return *LoadCurl(nullptr); }  // only once a client exists

struct CurlEasyDeleter {
  void operator()(CURL* c) const { Curl().easy_cleanup(c); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlMultiDeleter {
  void operator()(CURLM* m) const { Curl().multi_cleanup(m); }
};
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;

// An easy handle and the multi handle that drives it. The multi handle holds
// the connection cache, so a pooled pair keeps its connections alive.
struct CurlHandles {
  CurlMulti multi;
  CurlEasy easy;  // destroyed first: never left inside `multi`
};

struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { Curl().slist_free_all(l); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * n);
  // A new status line starts a new response (after 100 Continue or a redirect).
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string value(Trim(line.substr(colon + 1)));
  auto [it, inserted] = headers->emplace(name, value);
  if (!inserted) it->second += "," + value;
  return size * n;
}

// How often a transfer that can be abandoned looks at its abort_if. curl's
// own progress callback runs only about once a second while no byte arrives
// (curl_easy_perform polls with a 1 s timeout), too late for a deadline that
// must hold within a second; so transfers run on a multi handle polled at
// most this long.
constexpr int kTransferAbortPollMs = 100;

// Runs the transfer of `c` on `m` until it completes or `abort_if` says stop
// (CURLE_ABORTED_BY_CALLBACK). `multi_error` receives a multi-interface failure.
CURLcode PerformOnMulti(const CurlApi& curl, CURL* c, CURLM* m, const std::function<bool()>& abort_if,
                        std::string& multi_error) {
  CURLMcode mc = curl.multi_add_handle(m, c);
  if (mc != CURLM_OK) {
    multi_error = curl.multi_strerror(mc);
    return CURLE_FAILED_INIT;
  }
  CURLcode result = CURLE_FAILED_INIT;
  for (;;) {
    int running = 0;
    mc = curl.multi_perform(m, &running);
    bool done = false;
    int left = 0;
    while (CURLMsg* msg = curl.multi_info_read(m, &left)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == c) {
        result = msg->data.result;
        done = true;
      }
    }
    if (done) break;
    if (mc == CURLM_OK && running == 0) mc = CURLM_INTERNAL_ERROR;  // finished without saying how
    if (mc == CURLM_OK && abort_if && abort_if()) {
      result = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    if (mc == CURLM_OK) mc = curl.multi_poll(m, nullptr, 0, abort_if ? kTransferAbortPollMs : 1000, nullptr);
    if (mc != CURLM_OK) {
      multi_error = curl.multi_strerror(mc);
      break;
    }
  }
  curl.multi_remove_handle(m, c);
  return result;
}

// A CA bundle named by the environment (OpenSSL's SSL_CERT_FILE, or the curl
// tool's CURL_CA_BUNDLE) replaces the path compiled into libcurl. Debian's
// libcurl looks for /etc/ssl/certs/ca-certificates.crt, which other systems
// (Amazon Linux, where the packaged Lambda runs) do not have.
const char* CaBundleFromEnv() {
  for (const char* name : {"SSL_CERT_FILE", "CURL_CA_BUNDLE"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  return nullptr;
}

// The URL without its query string, for error messages (queries can carry
// tokens in presigned URLs).
std::string UrlForMessage(const std::string& url) { return url.substr(0, url.find('?')); }

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(const CurlApi& api) : api_(api) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    const CurlApi& curl = api_;
    CurlHandles handles = Acquire();
    if (!handles.easy || !handles.multi) return Status::Internal("curl_easy_init or curl_multi_init failed");
    CURL* c = handles.easy.get();
    HttpResponse response;
    CurlSlist headers;
    curl_slist* list = nullptr;
    for (const auto& [k, v] : request.headers) {
      // "Name;" sends an empty header; "Name:" would remove it.
      std::string line = v.empty() ? k + ";" : k + ": " + v;
      list = curl.slist_append(list, line.c_str());
    }
    // Never wait for "100 Continue": the services answer at once and the
    // round trip only adds latency.
    list = curl.slist_append(list, "Expect:");
    headers.reset(list);

    curl.easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl.easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
    curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout_ms));
    curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
    curl.easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
    curl.easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl.easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
    curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl.easy_setopt(c, CURLOPT_ACCEPT_ENCODING, nullptr);
    if (const char* ca = CaBundleFromEnv()) curl.easy_setopt(c, CURLOPT_CAINFO, ca);
    if (request.method == "HEAD") {
      curl.easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (request.method == "GET" && request.body.empty()) {
      curl.easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
      curl.easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
        curl.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
        curl.easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
      }
    }
    std::string multi_error;
    CURLcode rc = PerformOnMulti(curl, c, handles.multi.get(), request.abort_if, multi_error);
    if (rc != CURLE_OK) {
      std::string where = fmt::format("{} {}", request.method, UrlForMessage(request.url));
      if (!multi_error.empty()) return Status::Unavailable(fmt::format("{}: curl: {}", where, multi_error));
      // Handles that failed are not reused: their connection state is unknown.
      if (rc == CURLE_ABORTED_BY_CALLBACK) return Status::Cancelled(where + ": cancelled");
      if (rc == CURLE_OPERATION_TIMEDOUT) {
        return Status::Timeout(fmt::format("{}: no complete answer within {} ms", where, request.timeout_ms));
      }
      if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY) {
        return Status::Unavailable(fmt::format("{}{}: {}", kConnectFailedPrefix, where, curl.easy_strerror(rc)));
      }
      return Status::Unavailable(fmt::format("{}: {}", where, curl.easy_strerror(rc)));
    }
    long code = 0;
    curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    response.status = static_cast<int>(code);
    curl.easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
    Release(std::move(handles));
    return response;
  }

 private:
  // Idle handles keep their connections alive for the next request.
  CurlHandles Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        CurlHandles h = std::move(idle_.back());
        idle_.pop_back();
        api_.easy_reset(h.easy.get());
        return h;
      }
    }
    CurlHandles h;
    h.multi.reset(api_.multi_init());
    h.easy.reset(api_.easy_init());
    return h;
  }
  void Release(CurlHandles h) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < 16) idle_.push_back(std::move(h));
  }

  const CurlApi& api_;
  std::mutex mu_;
  std::vector<CurlHandles> idle_;
};

// Stands in when libcurl cannot be loaded: every request fails, saying why.
class UnavailableHttpClient final : public HttpClient {
 public:
  explicit UnavailableHttpClient(std::string why) : why_(std::move(why)) {}
  Result<HttpResponse> Send(const HttpRequest& request) override {
    return Status::Unavailable(fmt::format("{} {}: {}", request.method, UrlForMessage(request.url), why_));
  }

 private:
  std::string why_;
};

}  // namespace

HttpClientPtr NewCurlHttpClient() {
  std::string error;
  const CurlApi* api = LoadCurl(&error);
  if (api == nullptr) return std::make_unique<UnavailableHttpClient>(std::move(error));
  return std::make_unique<CurlHttpClient>(*api);
}

}  // namespace docpipe
