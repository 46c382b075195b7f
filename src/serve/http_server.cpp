#include "serve/http_server.h"

#include <fmt/format.h>
#include <httplib.h>

namespace docpipe {
namespace {

constexpr time_t kReadTimeoutSeconds = 10;
constexpr time_t kWriteTimeoutSeconds = 30;  // a large search answer to a slow client

class HttplibServer final : public HttpServer {
 public:
  explicit HttplibServer(RequestHandler handler) : handler_(std::move(handler)) {
    server_.set_read_timeout(kReadTimeoutSeconds, 0);
    server_.set_write_timeout(kWriteTimeoutSeconds, 0);
    // Every method and path goes to the API, which does its own routing, so
    // 404/405/401 answers are the API's JSON ones.
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      ApiRequest request;
      request.method = req.method;
      request.path = req.path;
      for (const auto& [name, value] : req.params) request.params.emplace(name, value);  // first of each
      request.authorization = req.get_header_value("Authorization");
      ApiResponse response = handler_(request);
      res.status = response.status;
      for (const auto& [name, value] : response.headers) res.set_header(name, value);
      res.set_content(response.body, response.content_type);
      return httplib::Server::HandlerResponse::Handled;
    });
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
  RequestHandler handler_;
  httplib::Server server_;
  int port_ = 0;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> BindHttpServer(const std::string& host, int port, RequestHandler handler) {
  auto server = std::make_unique<HttplibServer>(std::move(handler));
  DOCPIPE_RETURN_IF_ERROR(server->Bind(host, port));
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace docpipe

// The module's entry, found by LoadHttpServer (http_server_loader.cpp).
extern "C" const docpipe::HttpServerModule* docpipe_http_server_module() {
  static const docpipe::HttpServerModule kModule{&docpipe::BindHttpServer};
  return &kModule;
}
