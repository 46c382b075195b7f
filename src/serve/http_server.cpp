// The head's HTTP server on libmicrohttpd (issue 17 item 1).
//
// Why libmicrohttpd and not cpp-httplib: cpp-httplib gives each connection a
// pool thread from accept to close, so a few clients that send their headers
// slowly hold every thread and /healthz waits behind them; it reads a whole
// request line before it compares it with its limit; and it leaves a GET's
// body unread on the connection, where it is parsed as the next request.
// libmicrohttpd reads and writes every connection from a few epoll threads
// (a connection costs a thread only while the handler runs), bounds what a
// request's line and headers may take (its per-connection memory pool,
// answering 414/431), closes a connection whose body it did not consume, and
// has idle timeouts and connection caps of its own. What it lacks, a limit on
// the time to a request's headers, is a watchdog here. Each defect is a test
// in tests/unit/serve/http_server_hostile_test.cpp (docs/api.md has the limits).
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "serve/http_server.h"

namespace docpipe {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Whether the client takes gzip ("gzip" listed, not with q=0).
bool AcceptsGzip(const std::string& accept_encoding) {
  const std::string value = Lower(accept_encoding);
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find(',', start);
    if (end == std::string::npos) end = value.size();
    std::string coding = value.substr(start, end - start);
    coding.erase(0, coding.find_first_not_of(" \t"));
    if (coding.rfind("gzip", 0) == 0) {
      const size_t q = coding.find("q=");
      return q == std::string::npos || std::strtod(coding.c_str() + q + 2, nullptr) > 0;
    }
    start = end + 1;
  }
  return false;
}

bool Compressible(const std::string& content_type) {
  return content_type.rfind("text/", 0) == 0 || content_type.find("json") != std::string::npos ||
         content_type.find("javascript") != std::string::npos || content_type.find("svg") != std::string::npos;
}

// gzip at zlib's default level (a few ms for a 100 KB page); "" on failure.
std::string Gzip(const std::string& data) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : "";
}

// One connection, from accept to close (libmicrohttpd's socket context).
struct ConnectionState {
  int fd = -1;
  int64_t waiting_since_ms = 0;  // when the connection opened or its last request ended
  bool in_request = false;       // headers complete, request not yet ended
  bool cut = false;              // shut down by the header watchdog
  int requests = 0;              // requests begun on this connection
};

// One request, from its headers to its end.
struct RequestState {
  ApiRequest request;
  bool refused = false;  // answered early (413); its body is not read
};

class MhdServer final : public HttpServer {
 public:
  MhdServer(RequestHandler handler, const HttpServerLimits& limits)
      : handler_(std::move(handler)), limits_(limits) {}

  ~MhdServer() override {
    StopDaemon();
  }

  Status Bind(const std::string& host, int port) {
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    bool v6 = false;
    const std::string name = host == "localhost" ? "127.0.0.1" : host;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    std::string bare = name;
    if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
    if (getaddrinfo(bare.empty() ? nullptr : bare.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 ||
        found == nullptr) {
      return Status::Unavailable(fmt::format("cannot listen on {}:{} (no such address)", host, port));
    }
    std::memcpy(&addr, found->ai_addr, found->ai_addrlen);
    addr_len = found->ai_addrlen;
    v6 = found->ai_family == AF_INET6;
    freeaddrinfo(found);
    (void)addr_len;

    unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC;
    if (v6) flags |= MHD_USE_IPv6;
    // The pool for requests and the line-and-headers limit share
    // libmicrohttpd's per-connection memory; a request line or headers past
    // it get 414 or 431 and the connection is closed.
    const size_t memory = static_cast<size_t>(std::max<int64_t>(limits_.max_header_bytes, 4096)) + 4096;
    const unsigned idle_seconds =
        static_cast<unsigned>(std::max<int64_t>(1, (limits_.idle_timeout_ms + 999) / 1000));
    daemon_ = MHD_start_daemon(
        flags, static_cast<uint16_t>(port), nullptr, nullptr, &MhdServer::Access, this,
        MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&addr),
        MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned>(std::max(1, limits_.threads)),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_seconds,
        MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(std::max(1, limits_.max_connections)),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, static_cast<unsigned>(std::max(0, limits_.max_connections_per_ip)),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_NOTIFY_CONNECTION, &MhdServer::OnConnection, this,
        MHD_OPTION_NOTIFY_COMPLETED, &MhdServer::OnCompleted, this,
        MHD_OPTION_END);
    if (daemon_ == nullptr) {
      return Status::Unavailable(fmt::format("cannot listen on {}:{} (address in use or not local?)", host, port));
    }
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    port_ = info != nullptr ? info->port : port;
    watchdog_ = std::thread([this] { WatchHeaders(); });
    return Status::Ok();
  }

  int port() const override { return port_; }

  bool Run() override {
    std::unique_lock<std::mutex> lock(run_mu_);
    run_cv_.wait(lock, [this] { return stop_requested_; });
    lock.unlock();
    StopDaemon();
    return true;
  }

  void Stop() override {
    std::lock_guard<std::mutex> lock(run_mu_);
    stop_requested_ = true;
    run_cv_.notify_all();
  }

 private:
  // Connections whose request headers take longer than header_timeout_ms
  // (from the connection's start or its previous request's end) are shut
  // down; libmicrohttpd then sees the close and frees them. Checked every
  // 100 ms, so a limit holds within 0.1 s.
  void WatchHeaders() {
    std::unique_lock<std::mutex> lock(conn_mu_);
    while (!watchdog_stop_) {
      conn_cv_.wait_for(lock, std::chrono::milliseconds(100));
      if (limits_.header_timeout_ms <= 0) continue;
      const int64_t now = NowMs();
      for (ConnectionState* c : connections_) {
        if (c->in_request || c->cut || now - c->waiting_since_ms < limits_.header_timeout_ms) continue;
        shutdown(c->fd, SHUT_RDWR);
        c->cut = true;
      }
    }
  }

  void StopDaemon() {
    std::lock_guard<std::mutex> stop_lock(stop_mu_);
    if (daemon_ != nullptr) {
      MHD_stop_daemon(daemon_);  // handlers in progress finish first
      daemon_ = nullptr;
    }
    {
      std::lock_guard<std::mutex> lock(conn_mu_);
      watchdog_stop_ = true;
      conn_cv_.notify_all();
    }
    if (watchdog_.joinable()) watchdog_.join();
  }

  static void OnConnection(void* cls, MHD_Connection* connection, void** socket_context,
                           MHD_ConnectionNotificationCode code) {
    auto* self = static_cast<MhdServer*>(cls);
    std::lock_guard<std::mutex> lock(self->conn_mu_);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      auto state = std::make_unique<ConnectionState>();
      const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      state->fd = info != nullptr ? info->connect_fd : -1;
      state->waiting_since_ms = NowMs();
      *socket_context = state.get();
      self->connections_.insert(state.release());
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context != nullptr) {
      auto* state = static_cast<ConnectionState*>(*socket_context);
      self->connections_.erase(state);
      delete state;  // owned by connections_ until here
      *socket_context = nullptr;
    }
  }

  static void OnCompleted(void* cls, MHD_Connection* connection, void** req_cls, MHD_RequestTerminationCode) {
    auto* self = static_cast<MhdServer*>(cls);
    delete static_cast<RequestState*>(*req_cls);
    *req_cls = nullptr;
    ConnectionState* state = self->StateOf(connection);
    if (state == nullptr) return;
    std::lock_guard<std::mutex> lock(self->conn_mu_);
    state->in_request = false;
    state->waiting_since_ms = NowMs();
  }

  ConnectionState* StateOf(MHD_Connection* connection) {
    const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info != nullptr ? static_cast<ConnectionState*>(info->socket_context) : nullptr;
  }

  static MHD_Result CollectHeader(void* cls, MHD_ValueKind, const char* key, const char* value) {
    auto* request = static_cast<ApiRequest*>(cls);
    request->headers.emplace(Lower(key), value != nullptr ? value : "");  // first of each
    return MHD_YES;
  }
  static MHD_Result CollectParam(void* cls, MHD_ValueKind, const char* key, const char* value) {
    auto* request = static_cast<ApiRequest*>(cls);
    request->params.emplace(key, value != nullptr ? value : "");  // first of each
    return MHD_YES;
  }

  static MHD_Result Access(void* cls, MHD_Connection* connection, const char* url, const char* method,
                           const char*, const char* upload_data, size_t* upload_data_size, void** req_cls) {
    return static_cast<MhdServer*>(cls)->Handle(connection, url, method, upload_data, upload_data_size, req_cls);
  }

  MHD_Result Handle(MHD_Connection* connection, const char* url, const char* method, const char* upload_data,
                    size_t* upload_data_size, void** req_cls) {
    auto* state = static_cast<RequestState*>(*req_cls);
    if (state == nullptr) {  // headers complete: the request's first call
      auto fresh = std::make_unique<RequestState>();
      fresh->request.method = method;
      fresh->request.path = url;
      MHD_get_connection_values(connection, MHD_HEADER_KIND, &MhdServer::CollectHeader, &fresh->request);
      MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &MhdServer::CollectParam, &fresh->request);
      const MHD_ConnectionInfo* peer = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
      if (peer != nullptr && peer->client_addr != nullptr) {
        char text[INET6_ADDRSTRLEN] = "";
        const sockaddr* sa = peer->client_addr;
        if (sa->sa_family == AF_INET) {
          inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof text);
        } else if (sa->sa_family == AF_INET6) {
          inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, text, sizeof text);
        }
        fresh->request.remote_addr = text;
      }
      if (ConnectionState* conn = StateOf(connection); conn != nullptr) {
        std::lock_guard<std::mutex> lock(conn_mu_);
        conn->in_request = true;
        ++conn->requests;
      }
      *req_cls = fresh.release();
      state = static_cast<RequestState*>(*req_cls);
      // A body announced over the limit is refused before a byte of it is
      // read; libmicrohttpd closes the connection after the answer, so the
      // unread body is never taken for a request.
      const std::string& length = state->request.Header("content-length");
      if (!length.empty() && std::strtoll(length.c_str(), nullptr, 10) > limits_.max_body_bytes) {
        state->refused = true;
        return Refuse(connection);
      }
      return MHD_YES;
    }
    if (*upload_data_size > 0) {  // a piece of the body
      if (!state->refused) {
        if (static_cast<int64_t>(state->request.body.size() + *upload_data_size) > limits_.max_body_bytes) {
          state->refused = true;
          *upload_data_size = 0;
          state->request.body.clear();
          state->request.body.shrink_to_fit();
          return Refuse(connection);
        }
        state->request.body.append(upload_data, *upload_data_size);
      }
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (state->refused) return MHD_YES;  // answered already
    ApiResponse response = handler_(state->request);
    return Respond(connection, state->request, std::move(response));
  }

  MHD_Result Refuse(MHD_Connection* connection) {
    ApiResponse response;
    response.status = 413;
    response.body = fmt::format(R"({{"error":"request body larger than {} bytes"}})", limits_.max_body_bytes);
    response.headers.push_back({"Connection", "close"});
    return Respond(connection, ApiRequest{}, std::move(response));
  }

  MHD_Result Respond(MHD_Connection* connection, const ApiRequest& request, ApiResponse response) {
    bool gzipped = false;
    if (response.body.size() >= 1024 && Compressible(response.content_type) &&
        AcceptsGzip(request.Header("accept-encoding"))) {
      std::string packed = Gzip(response.body);
      if (!packed.empty()) {
        response.body = std::move(packed);
        gzipped = true;
      }
    }
    MHD_Response* out = MHD_create_response_from_buffer(response.body.size(), response.body.data(),
                                                        MHD_RESPMEM_MUST_COPY);
    if (out == nullptr) return MHD_NO;
    MHD_add_response_header(out, MHD_HTTP_HEADER_CONTENT_TYPE, response.content_type.c_str());
    if (gzipped) {
      MHD_add_response_header(out, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
      MHD_add_response_header(out, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    }
    // Several Set-Cookie (and other) headers may repeat: add, never replace.
    for (const auto& [name, value] : response.headers) MHD_add_response_header(out, name.c_str(), value.c_str());
    if (limits_.max_requests_per_connection > 0) {
      ConnectionState* conn = StateOf(connection);
      std::lock_guard<std::mutex> lock(conn_mu_);
      if (conn != nullptr && conn->requests >= limits_.max_requests_per_connection) {
        MHD_add_response_header(out, MHD_HTTP_HEADER_CONNECTION, "close");
      }
    }
    const MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(response.status), out);
    MHD_destroy_response(out);
    return queued;
  }

  RequestHandler handler_;
  const HttpServerLimits limits_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stop_requested_ = false;  // guarded by run_mu_
  std::mutex stop_mu_;           // one StopDaemon at a time

  std::mutex conn_mu_;
  std::condition_variable conn_cv_;
  std::set<ConnectionState*> connections_;  // guarded by conn_mu_; owned, freed on close
  bool watchdog_stop_ = false;              // guarded by conn_mu_
  std::thread watchdog_;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> BindHttpServer(const std::string& host, int port, RequestHandler handler,
                                                   const HttpServerLimits& limits) {
  auto server = std::make_unique<MhdServer>(std::move(handler), limits);
  DOCPIPE_RETURN_IF_ERROR(server->Bind(host, port));
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace docpipe

// The module's entry, found by LoadHttpServer (http_server_loader.cpp).
extern "C" const docpipe::HttpServerModule* docpipe_http_server_module() {
  static const docpipe::HttpServerModule kModule{&docpipe::BindHttpServer};
  return &kModule;
}
