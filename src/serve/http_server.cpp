#include "serve/http_server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <cctype>

namespace docpipe {
namespace {

constexpr time_t kReadTimeoutSeconds = 10;
constexpr time_t kWriteTimeoutSeconds = 30;  // a large search answer to a slow client

class HttplibServer final : public HttpServer {
 public:
  HttplibServer(RequestHandler handler, const HttpServerLimits& limits) : handler_(std::move(handler)) {
    server_.set_read_timeout(kReadTimeoutSeconds, 0);
    server_.set_write_timeout(kWriteTimeoutSeconds, 0);
    // cpp-httplib writes the headers and the body in separate sends; with
    // Nagle's algorithm the body then waits for the client's delayed ACK
    // (40 ms on Linux) on every keep-alive request.
    server_.set_tcp_nodelay(true);
    // Larger bodies are refused (413) before they are read in full.
    server_.set_payload_max_length(static_cast<size_t>(limits.max_body_bytes));
    // Every method and path goes to the API, which does its own routing, so
    // 404/405/401 answers are the API's JSON ones. Method handlers on every
    // path, not a pre-routing handler: cpp-httplib reads a request's body
    // only after pre-routing, before it calls the handler.
    const auto handle = [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); };
    server_.Get(".*", handle);  // and HEAD
    server_.Post(".*", handle);
    server_.Put(".*", handle);
    server_.Patch(".*", handle);
    server_.Delete(".*", handle);
    server_.Options(".*", handle);
  }

  Status Bind(const std::string& host, int port) {
    bool ok = false;
    if (port == 0) {
      port_ = server_.bind_to_any_port(host);
      ok = port_ > 0;
    } else {
      ok = server_.bind_to_port(host, port);
      port_ = port;
    }
    if (!ok) return Status::Unavailable(fmt::format("cannot listen on {}:{} (address in use or not local?)", host, port));
    return Status::Ok();
  }

  int port() const override { return port_; }
  bool Run() override { return server_.listen_after_bind(); }
  void Stop() override { server_.stop(); }

 private:
  // cpp-httplib (Debian's libcpp-httplib, built with brotli) compresses a
  // response with brotli whenever the client accepts it, at brotli's default
  // quality 11: about 400 ms for one 100 KB page of the documents list, most
  // of a page load. gzip (zlib's default level) costs a few ms for the same
  // page, so "br" is taken out of what the client accepts before cpp-httplib
  // writes the response. The request object is the server's own, not const,
  // and is read again only when the response is written.
  static void RefuseBrotli(const httplib::Request& req) {
    auto& headers = const_cast<httplib::Headers&>(req.headers);
    for (auto it = headers.begin(); it != headers.end(); ++it) {
      std::string lower = it->first;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower != "accept-encoding") continue;
      std::string kept;
      size_t start = 0;
      const std::string& value = it->second;
      while (start <= value.size()) {
        size_t end = value.find(',', start);
        if (end == std::string::npos) end = value.size();
        std::string coding = value.substr(start, end - start);
        coding.erase(0, coding.find_first_not_of(" \t"));
        if (!coding.empty() && coding.rfind("br", 0) != 0) kept += (kept.empty() ? "" : ", ") + coding;
        start = end + 1;
      }
      it->second = kept;
    }
  }

  void Serve(const httplib::Request& req, httplib::Response& res) {
    RefuseBrotli(req);
    ApiRequest request;
    request.method = req.method;
    request.path = req.path;
    for (const auto& [name, value] : req.params) request.params.emplace(name, value);  // first of each
    for (const auto& [name, value] : req.headers) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers.emplace(std::move(lower), value);  // first of each
    }
    request.body = req.body;
    request.remote_addr = req.remote_addr;
    ApiResponse response = handler_(request);
    res.status = response.status;
    // Several Set-Cookie (and other) headers may repeat: add, never replace.
    for (const auto& [name, value] : response.headers) res.headers.emplace(name, value);
    res.set_content(response.body, response.content_type);
  }

  RequestHandler handler_;
  httplib::Server server_;
  int port_ = 0;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> BindHttpServer(const std::string& host, int port, RequestHandler handler,
                                                   const HttpServerLimits& limits) {
  auto server = std::make_unique<HttplibServer>(std::move(handler), limits);
  DOCPIPE_RETURN_IF_ERROR(server->Bind(host, port));
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace docpipe

// The module's entry, found by LoadHttpServer (http_server_loader.cpp).
extern "C" const docpipe::HttpServerModule* docpipe_http_server_module() {
  static const docpipe::HttpServerModule kModule{&docpipe::BindHttpServer};
  return &kModule;
}
