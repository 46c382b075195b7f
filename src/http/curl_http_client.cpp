#include <curl/curl.h>

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

struct CurlEasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
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

// Progress callback: a non-zero return makes curl abort the transfer.
int AbortCheck(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return (*static_cast<const std::function<bool()>*>(user))() ? 1 : 0;
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
  CurlHttpClient() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    CurlEasy easy = Acquire();
    if (!easy) return Status::Internal("curl_easy_init failed");
    CURL* c = easy.get();
    HttpResponse response;
    CurlSlist headers;
    curl_slist* list = nullptr;
    for (const auto& [k, v] : request.headers) {
      // "Name;" sends an empty header; "Name:" would remove it.
      std::string line = v.empty() ? k + ";" : k + ": " + v;
      list = curl_slist_append(list, line.c_str());
    }
    // Never wait for "100 Continue": the services answer at once and the
    // round trip only adds latency.
    list = curl_slist_append(list, "Expect:");
    headers.reset(list);

    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout_ms));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, nullptr);
    if (const char* ca = CaBundleFromEnv()) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    if (request.abort_if) {
      curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, AbortCheck);
      curl_easy_setopt(c, CURLOPT_XFERINFODATA, &request.abort_if);
      curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    if (request.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (request.method == "GET" && request.body.empty()) {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
      }
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      std::string where = fmt::format("{} {}", request.method, UrlForMessage(request.url));
      // Handles that failed are not reused: their connection state is unknown.
      if (rc == CURLE_ABORTED_BY_CALLBACK) return Status::Cancelled(where + ": cancelled");
      if (rc == CURLE_OPERATION_TIMEDOUT) {
        return Status::Timeout(fmt::format("{}: no complete answer within {} ms", where, request.timeout_ms));
      }
      if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY) {
        return Status::Unavailable(fmt::format("{}{}: {}", kConnectFailedPrefix, where, curl_easy_strerror(rc)));
      }
      return Status::Unavailable(fmt::format("{}: {}", where, curl_easy_strerror(rc)));
    }
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    response.status = static_cast<int>(code);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
    Release(std::move(easy));
    return response;
  }

 private:
  // Idle handles keep their connections alive for the next request.
  CurlEasy Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        CurlEasy e = std::move(idle_.back());
        idle_.pop_back();
        curl_easy_reset(e.get());
        return e;
      }
    }
    return CurlEasy(curl_easy_init());
  }
  void Release(CurlEasy e) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < 16) idle_.push_back(std::move(e));
  }

  std::mutex mu_;
  std::vector<CurlEasy> idle_;
};

}  // namespace

HttpClientPtr NewCurlHttpClient() { return std::make_unique<CurlHttpClient>(); }

bool IsConnectFailure(const Status& status) {
  return status.code() == Status::Code::kUnavailable && status.message().rfind(kConnectFailedPrefix, 0) == 0;
}

}  // namespace docpipe
