#include "moto_server.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string_view>
#include <thread>
#include <utility>

#include "http/curl_http_client.h"
#include "http/http_client.h"
#include "support/test_util.h"

namespace docpipe::testing {
namespace {

// moto's own server (moto/server.py) with one lock around the application.
// A ReceiveMessage that names WaitTimeSeconds (as docpipe's always does) is
// served as short polls (WaitTimeSeconds 0) under the lock, waiting on the
// lock's condition between them (released meanwhile) until another SQS call
// may have made a message visible, 250 ms pass (delays and visibility
// timeouts end by the clock) or the wait is over.
constexpr const char* kSerializedMotoServer = R"py(
import io, json, os, sys, threading, time
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
os.environ.setdefault("MOTO_PORT", sys.argv[2])
app = DomainDispatcherApplication(create_backend_app)
app.debug = True
cond = threading.Condition()
def call(environ, body):
    if body is not None:
        environ = dict(environ, **{"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
    answer = {}
    def start(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers
        return lambda data: answer.setdefault("written", []).append(data)
    out = list(app(environ, start))
    return answer["status"], answer["headers"], answer.get("written", []) + out
def long_poll(environ):
    size = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(size) if size > 0 else b""
    try:
        request = json.loads(body)
        wait = float(request["WaitTimeSeconds"])
    except Exception:
        return None, body
    request["WaitTimeSeconds"] = 0
    return wait, json.dumps(request).encode()
def serialized(environ, start_response):
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    body = None
    wait = 0
    if target == "AmazonSQS.ReceiveMessage":
        wait, body = long_poll(environ)
    with cond:
        if wait is None:  # no WaitTimeSeconds: as it came, under the lock
            status, headers, out = call(environ, body)
        else:
            deadline = time.monotonic() + wait
            while True:
                status, headers, out = call(environ, body)
                left = deadline - time.monotonic()
                if body is None or left <= 0 or not status.startswith("200"):
                    break
                try:
                    if json.loads(b"".join(out)).get("Messages"):
                        break
                except ValueError:
                    break
                cond.wait(min(left, 0.25))
        if target.startswith("AmazonSQS.") and target != "AmazonSQS.ReceiveMessage":
            cond.notify_all()
    start_response(status, headers)
    return out
run_simple(sys.argv[1], int(sys.argv[2]), serialized, threaded=True)
)py";

}  // namespace

std::unique_ptr<MotoServer> MotoServer::Start(std::string* error, MotoServerOptions options) {
  HttpClientPtr http = NewCurlHttpClient();
  for (int tries = 0; tries < 3; ++tries) {
    int port = FreeLoopbackPort();
    if (port <= 0) {
      *error = "no free loopback port";
      return nullptr;
    }
    std::string endpoint = "http://127.0.0.1:" + std::to_string(port);
    std::vector<std::string> argv = {"python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", std::to_string(port)};
    if (options.serialize_requests) argv = {"python3", "-c", kSerializedMotoServer, "127.0.0.1", std::to_string(port)};
    auto process = std::make_unique<ChildProcess>(argv);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!process->Running()) break;  // e.g. the port was taken meanwhile
      HttpRequest probe;
      probe.url = endpoint + "/moto-api/";
      probe.timeout_ms = 2000;
      Result<HttpResponse> r = http->Send(probe);
      if (r.ok() && r->status == 200) {
        return std::unique_ptr<MotoServer>(new MotoServer(std::move(process), endpoint));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (process->Running()) {
      *error = "moto_server did not answer within 60 s on " + endpoint;
      return nullptr;
    }
    ProcessResult res = process->Wait(5);
    *error = "moto_server exited (" + std::to_string(res.exit_code) + "): " + res.err.substr(0, 2000) +
             "\nmoto[server] comes from tests/requirements.txt: " + kInstallTestPeers;
  }
  return nullptr;
}

MotoServer::~MotoServer() {
  if (process_ && process_->Running()) {
    process_->Signal(SIGTERM);
    process_->Wait(10);
  }
}

bool MotoServer::Reset() {
  HttpClientPtr http = NewCurlHttpClient();
  HttpRequest req;
  req.method = "POST";
  req.url = endpoint_ + "/moto-api/reset";
  Result<HttpResponse> r = http->Send(req);
  return r.ok() && r->status == 200;
}

EnvOverrides MotoServer::Env() const {
  return {{"AWS_ENDPOINT_URL", endpoint_},
          {"AWS_REGION", "us-east-1"},
          {"AWS_DEFAULT_REGION", "us-east-1"},
          {"AWS_ACCESS_KEY_ID", "AKIDTESTMOTO"},
          {"AWS_SECRET_ACCESS_KEY", "motosecret"}};
}

EnvOverrides MotoServer::DocpipeEnv(const std::string& prefix) const {
  EnvOverrides env = Env();
  // Values are moved in as whole strings: GCC 12 at -O3 warns (falsely) about
  // a huge memcpy in std::string's assignment from a literal and in
  // operator+(std::string, const char*) here.
  env.insert_or_assign("DOCPIPE_BACKEND", std::string("aws"));
  env.insert_or_assign("DOCPIPE_POLL_WAIT_SECONDS", std::string("1"));
  const std::pair<const char*, std::string_view> names[] = {
      {"S3_BUCKET", "-bucket"},           {"DYNAMODB_CONTROL_TABLE", "-control"}, {"DYNAMODB_AUDIT_TABLE", "-audit"},
      {"DYNAMODB_METRICS_TABLE", "-metrics"}, {"SQS_QUEUE_NAME", "-work"},        {"SQS_DLQ_NAME", "-dlq"}};
  for (const auto& [variable, suffix] : names) env.insert_or_assign(variable, std::string(prefix).append(suffix));
  return env;
}

ProcessResult RunBoto3(const MotoServer& moto, const std::string& script, const EnvOverrides& env, int timeout_s) {
  EnvOverrides all = moto.Env();
  for (const auto& [k, v] : env) all[k] = v;
  return RunProcess({"python3", "-c", script}, all, timeout_s);
}

}  // namespace docpipe::testing
