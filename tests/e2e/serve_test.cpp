// `docpipe serve` end to end: the real binary over an embedded workspace that
// `docpipe ingest` filled, called over HTTP; its answers checked against the
// CLI's --json outputs; retry through the API; SIGTERM; `docpipe health`.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <set>
#include <thread>

#include <httplib.h>

#include "cli_fixture.h"
#include "support/moto_server.h"

namespace docpipe::testing {
namespace {

constexpr const char* kToken = "e2e-serve-token-7f3a";

std::string ManualText(const std::string& topic) {
  return "# " + topic + " manual\n\nThis manual explains the " + topic +
         " in detail.\n\n## Installation\n\nRun the installer for the " + topic +
         " and follow the prompts.\n\n## Calibration\n\nCalibrate the " + topic + " sensor every week.\n";
}

class ServeTest : public CliTest {
 protected:
  void TearDown() override {
    if (serve_) serve_->Signal(SIGKILL);
  }

  // Starts `docpipe serve` and waits until /healthz answers.
  void StartServe(EnvOverrides env = {{"DOCPIPE_API_TOKEN", kToken}}, std::vector<std::string> extra = {}) {
    port_ = FreeLoopbackPort();
    ASSERT_GT(port_, 0);
    std::vector<std::string> args = {"serve", "--port", std::to_string(port_)};
    args.insert(args.end(), extra.begin(), extra.end());
    serve_ = std::make_unique<ChildProcess>(Argv(args), env);
    for (int i = 0; i < 200; ++i) {
      httplib::Client c("127.0.0.1", port_);
      c.set_connection_timeout(1);
      if (auto r = c.Get("/healthz"); r && r->status == 200) return;
      if (!serve_->Running()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ProcessResult r = serve_->Wait(5);
    FAIL() << "docpipe serve did not come up: exit " << r.exit_code << "\n" << r.err;
  }

  httplib::Result Request(const std::string& method, const std::string& path, const std::string& token = kToken) {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    if (method == "POST") return c.Post(path.c_str(), headers, "", "application/json");
    return c.Get(path.c_str(), headers);
  }

  // GET with the token; the JSON body of a 200.
  nlohmann::json GetJson(const std::string& path) {
    auto r = Request("GET", path);
    EXPECT_TRUE(r) << path;
    if (!r) return nullptr;
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  // Every page of a cursor-paged list (`path` has a query string), followed
  // through next_cursor to the end: the items of `key`, in order.
  nlohmann::json AllPages(const std::string& path, const std::string& key, int* pages_read) {
    nlohmann::json items = nlohmann::json::array();
    std::string cursor;
    *pages_read = 0;
    do {
      nlohmann::json page = GetJson(path + (cursor.empty() ? "" : "&cursor=" + cursor));
      if (!page.is_object() || !page[key].is_array()) break;
      for (const nlohmann::json& item : page[key]) items.push_back(item);
      cursor = page["next_cursor"].is_string() ? page["next_cursor"].get<std::string>() : "";
      ++*pages_read;
    } while (!cursor.empty() && *pages_read < 1000);
    return items;
  }

  std::unique_ptr<ChildProcess> serve_;
  int port_ = 0;
};

TEST_F(ServeTest, EveryEndpointAnswersAsTheCliDoesAndRetryCompletesAFailedDocument) {
  WriteDoc("manuals/pump.md", ManualText("pump"));
  WriteDoc("manuals/valve.txt", ManualText("valve"));
  WriteDoc("manuals/broken-heater.md", ManualText("heater"));
  ProcessResult ingest = Docpipe({"ingest", "--json", Docs()}, {{"DOCPIPE_FAULT_CHUNK_FAIL_ATTEMPTS", "99"},
                                                               {"DOCPIPE_FAULT_CHUNK_MATCH", "broken"},
                                                               {"DOCPIPE_RETRY_BASE_MS", "20"},
                                                               {"DOCPIPE_MAX_RETRIES", "1"}});
  ASSERT_EQ(ingest.exit_code, 1) << ingest.out << ingest.err;  // the heater failed
  const std::string broken = RecordFor("broken-heater.md")["document_id"];
  const std::string pump = RecordFor("pump.md")["document_id"];

  // The worker below finishes the retried document, not the server's own.
  StartServe({{"DOCPIPE_API_TOKEN", kToken}}, {"--no-workers"});
  auto health = Request("GET", "/healthz", "");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(nlohmann::json::parse(health->body), nlohmann::json({{"status", "ok"}}));
  for (const std::string path : {"/api/documents", "/metrics", "/api/search?q=pump"}) {
    auto r = Request("GET", path, "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer");
    r = Request("GET", path, "not-the-token");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path;
  }

  // The list is `status --json`, paged (one page here), in the order asked for.
  nlohmann::json listed = GetJson("/api/documents?sort=source_key&order=asc");
  nlohmann::json status = Status();
  std::sort(status.begin(), status.end(),
            [](const nlohmann::json& a, const nlohmann::json& b) { return a["source_key"] < b["source_key"]; });
  EXPECT_EQ(listed["documents"], status);
  EXPECT_EQ(listed["total"], 3);
  nlohmann::json failed = GetJson("/api/documents?status=FAILED")["documents"];
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["document_id"], broken);
  nlohmann::json versions = DocpipeJson({"status", pump, "--json"});
  EXPECT_EQ(GetJson("/api/documents/" + pump), versions.back());
  EXPECT_EQ(GetJson("/api/documents/" + pump + "?all_versions=true"), versions);
  // Paged by 3: every event of `docpipe audit` once, in its order.
  int audit_pages = 0;
  nlohmann::json cli_audit = Audit(pump);
  EXPECT_EQ(AllPages("/api/documents/" + pump + "/audit?limit=3", "events", &audit_pages), cli_audit);
  EXPECT_EQ(audit_pages, static_cast<int>((cli_audit.size() + 2) / 3));
  EXPECT_GT(audit_pages, 1);
  int chunk_pages = 0;
  nlohmann::json chunks = AllPages("/api/documents/" + pump + "/chunks?limit=1", "chunks", &chunk_pages);
  std::set<std::string> chunk_ids;
  for (const nlohmann::json& c : chunks) chunk_ids.insert(c["chunk_id"].get<std::string>());
  EXPECT_EQ(chunk_ids.size(), chunks.size()) << "no chunk repeated";
  EXPECT_EQ(static_cast<int64_t>(chunks.size()), versions.back()["chunk_count"].get<int64_t>()) << "none lost";
  // (This manual is one chunk; DashboardApiTest pages 30 over 5 pages, the
  // browser test a PDF's chunks one a page.)
  EXPECT_EQ(chunk_pages, static_cast<int>(chunks.size())) << "one chunk a page";
  EXPECT_GE(chunk_pages, 1);
  EXPECT_EQ(GetJson("/api/search?q=calibrate%20the%20valve%20sensor&k=3"),
            DocpipeJson({"search", "calibrate the valve sensor", "-k", "3", "--json"}));
  EXPECT_EQ(GetJson("/api/search?q=installer&mode=keyword&doc=" + pump),
            DocpipeJson({"search", "installer", "--mode", "keyword", "--doc", pump, "--json"}));

  for (const auto& [path, status] : std::vector<std::pair<std::string, int>>{
           {"/api/search?q=pump&k=0", 400},
           {"/api/search?q=", 400},
           {"/api/documents?status=NOPE", 400},
           {"/api/documents/unknown-000000000000", 404},
           {"/api/documents/unknown-000000000000/audit", 404},
           {"/api/nothing", 404},
           {"/api/documents/" + pump + "/retry", 405}}) {
    auto r = Request("GET", path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, status) << path << ": " << r->body;
    EXPECT_TRUE(nlohmann::json::parse(r->body).contains("error")) << path;
  }
  auto conflict = Request("POST", "/api/documents/" + pump + "/retry");
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->status, 409);  // COMPLETED: nothing to retry

  auto metrics = Request("GET", "/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("docpipe_documents{status=\"COMPLETED\"} 2\n"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("docpipe_documents{status=\"FAILED\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics->body.find("docpipe_queue_messages{state=\"visible\"} 0\n"), std::string::npos);
  EXPECT_NE(metrics->body.find("docpipe_today_documents_completed 2\n"), std::string::npos);
  EXPECT_NE(metrics->body.find("docpipe_http_requests_total{method=\"GET\",route=\"/api/documents\",code=\"401\"} 2\n"),
            std::string::npos);

  // Retry through the API; a worker (without the fault) finishes it.
  auto retry = Request("POST", "/api/documents/" + broken + "/retry");
  ASSERT_TRUE(retry);
  ASSERT_EQ(retry->status, 202) << retry->body;
  nlohmann::json summary = nlohmann::json::parse(retry->body);
  EXPECT_EQ(summary["documents"][0]["document_id"], broken);
  EXPECT_EQ(summary["documents"][0]["status"], "PENDING");
  EXPECT_EQ(GetJson("/api/documents/" + broken)["status"], "PENDING");
  ProcessResult worker = Docpipe({"worker", "--drain"});
  ASSERT_EQ(worker.exit_code, 0) << worker.err;
  nlohmann::json rec = GetJson("/api/documents/" + broken);
  EXPECT_EQ(rec["status"], "COMPLETED");
  int broken_pages = 0;
  nlohmann::json audit = AllPages("/api/documents/" + broken + "/audit?limit=4", "events", &broken_pages);
  EXPECT_EQ(audit, Audit(broken));
  EXPECT_EQ(CountEvents(audit, "RETRY_SCHEDULED"), 2);  // one by the failed run's backoff, one by the API
  EXPECT_EQ(audit.back()["event_type"], "DOCUMENT_COMPLETED");

  // SIGTERM: a clean stop.
  serve_->Signal(SIGTERM);
  ProcessResult stopped = serve_->Wait(10);
  EXPECT_EQ(stopped.exit_code, 130) << stopped.err;
  serve_.reset();
  const std::string log = ReadFile(Workspace() + "/logs/docpipe.jsonl");
  EXPECT_NE(log.find("\"serve_stopped\""), std::string::npos);
  EXPECT_NE(log.find("\"http_request\""), std::string::npos);
  EXPECT_EQ(log.find(kToken), std::string::npos) << "the token reached the log";
}

TEST_F(ServeTest, NeedsATokenUnlessToldOtherwise) {
  ProcessResult refused = Docpipe({"serve", "--port", std::to_string(FreeLoopbackPort())}, {}, 20);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("DOCPIPE_API_TOKEN"), std::string::npos) << refused.err;

  StartServe({}, {"--insecure-no-auth"});
  auto r = Request("GET", "/api/documents", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body)["documents"], nlohmann::json::array());
  // The container health check.
  const std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/healthz";
  EXPECT_EQ(RunProcess({DOCPIPE_BINARY, "health", "--url", url}).exit_code, 0);
  serve_->Signal(SIGINT);
  EXPECT_EQ(serve_->Wait(10).exit_code, 130);
  serve_.reset();
  ProcessResult down = RunProcess({DOCPIPE_BINARY, "health", "--url", url, "--timeout-seconds", "2"}, {}, 20);
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("unhealthy"), std::string::npos);
}

TEST_F(ServeTest, OnceRunsTheHeadDutiesAndPrintsWhatTheyDid) {
  WriteDoc("pump.md", ManualText("pump"));
  ASSERT_EQ(Docpipe({"ingest", Docs()}).exit_code, 0);
  ProcessResult once = Docpipe({"serve", "--once"});  // no token needed: no HTTP
  ASSERT_EQ(once.exit_code, 0) << once.err;
  nlohmann::json report = nlohmann::json::parse(once.out);
  EXPECT_EQ(report["requeue"]["stuck"], 0);
  EXPECT_EQ(report["rollup"]["figures"]["head_documents_completed"], 1);
  EXPECT_EQ(report["rollup"]["figures"]["head_document_latency_count"], 1);
  // The figures land in today's metrics row; the workers' own figures stay.
  nlohmann::json metrics = DocpipeJson({"metrics", "--json"});
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0]["documents_completed"], 1);
}

TEST_F(ServeTest, WorkerHeartbeatFileFeedsTheHealthCheck) {
  const std::string beat = dir_.Join("worker.alive");
  ChildProcess worker(Argv({"worker", "--health-file", beat}));
  for (int i = 0; i < 100 && !std::filesystem::exists(beat); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(std::filesystem::exists(beat));
  EXPECT_EQ(RunProcess({DOCPIPE_BINARY, "health", "--file", beat, "--max-age-seconds", "5"}).exit_code, 0);
  worker.Signal(SIGTERM);
  EXPECT_EQ(worker.Wait(20).exit_code, 130);
  // An old heartbeat, and none at all, are unhealthy.
  std::filesystem::last_write_time(beat, std::filesystem::file_time_type::clock::now() - std::chrono::minutes(10));
  ProcessResult stale = RunProcess({DOCPIPE_BINARY, "health", "--file", beat, "--max-age-seconds", "60"});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_NE(stale.err.find("last touched"), std::string::npos) << stale.err;
  EXPECT_EQ(RunProcess({DOCPIPE_BINARY, "health", "--file", dir_.Join("absent")}).exit_code, 1);
}

// The dashboard's calls over real HTTP: login, the cookie, CSRF, an upload
// that the server registers and processes itself (the embedded shape has no
// other workers), then every read the pages make.
TEST_F(ServeTest, DashboardLoginUploadAndReadsOverHttp) {
  StartServe({{"DOCPIPE_API_TOKEN", kToken}, {"DOCPIPE_MAX_UPLOAD_MB", "1"}});
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(30);
  auto index = c.Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 303);
  EXPECT_EQ(index->get_header_value("Location"), "/login");
  auto login_page = c.Get("/login");
  ASSERT_TRUE(login_page);
  EXPECT_EQ(login_page->status, 200);
  EXPECT_NE(login_page->get_header_value("Content-Security-Policy").find("script-src 'self'"), std::string::npos);

  auto wrong = c.Post("/api/session", R"({"token":"nope"})", "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto login = c.Post("/api/session", nlohmann::json{{"token", kToken}}.dump(), "application/json");
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 200) << login->body;
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  const std::string csrf = nlohmann::json::parse(login->body)["csrf_token"];
  const httplib::Headers session = {{"Cookie", cookie}};
  const httplib::Headers changing = {{"Cookie", cookie}, {"X-CSRF-Token", csrf}};
  auto page = c.Get("/", session);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");

  const std::string manual = ManualText("compressor");
  auto no_csrf = c.Post("/api/uploads?name=compressor.md", session, manual, "application/octet-stream");
  ASSERT_TRUE(no_csrf);
  EXPECT_EQ(no_csrf->status, 403);
  auto up = c.Post("/api/uploads?name=compressor.md", changing, manual, "application/octet-stream");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 201) << up->body;
  const std::string id = nlohmann::json::parse(up->body)["document_id"];
  auto too_big = c.Post("/api/uploads?name=big.md", changing, std::string(1'500'000, 'x'), "application/octet-stream");
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);

  // The server's own workers process it.
  nlohmann::json doc;
  for (int i = 0; i < 240; ++i) {
    auto r = c.Get(("/api/documents?ids=" + id).c_str(), session);
    ASSERT_TRUE(r);
    doc = nlohmann::json::parse(r->body)["documents"][0];
    if (doc["status"] == "COMPLETED" || doc["status"] == "FAILED") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_EQ(doc["status"], "COMPLETED") << doc.dump();
  auto text = c.Get(("/api/documents/" + id + "/pages?page=1").c_str(), session);
  ASSERT_TRUE(text);
  ASSERT_EQ(text->status, 200) << text->body;
  EXPECT_NE(nlohmann::json::parse(text->body)["markdown"].get<std::string>().find("compressor manual"),
            std::string::npos);
  auto chunks = c.Get(("/api/documents/" + id + "/chunks").c_str(), session);
  ASSERT_TRUE(chunks);
  nlohmann::json cj = nlohmann::json::parse(chunks->body);
  ASSERT_GT(cj["total"].get<int>(), 0) << chunks->body;
  EXPECT_EQ(cj["enriched"], true);
  EXPECT_FALSE(cj["chunks"][0]["breadcrumbs"].empty());
  auto overview = c.Get("/api/overview", session);
  ASSERT_TRUE(overview);
  nlohmann::json o = nlohmann::json::parse(overview->body);
  EXPECT_EQ(o["documents"]["COMPLETED"], 1);
  ASSERT_FALSE(o["workers"].empty()) << overview->body;
  EXPECT_EQ(o["workers"][0]["alive"], true);
  EXPECT_GT(o["stages"]["extract"]["count"].get<int>(), 0);
  auto throughput = c.Get("/api/throughput?window=hour", session);
  ASSERT_TRUE(throughput);
  EXPECT_EQ(nlohmann::json::parse(throughput->body)["documents"], 1);
  auto search = c.Get("/api/search?q=calibrate%20the%20compressor&snippets=true", session);
  ASSERT_TRUE(search);
  nlohmann::json hits = nlohmann::json::parse(search->body);
  ASSERT_FALSE(hits.empty()) << search->body;
  EXPECT_EQ(hits[0]["document_id"], id);
  EXPECT_TRUE(hits[0]["snippet"].is_array());

  auto out = c.Delete("/api/session", changing);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  auto after = c.Get("/api/overview", session);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);
  serve_->Signal(SIGTERM);
  ProcessResult stopped = serve_->Wait(30);
  EXPECT_EQ(stopped.exit_code, 130) << stopped.err;
  serve_.reset();
  const std::string log = ReadFile(Workspace() + "/logs/docpipe.jsonl");
  EXPECT_EQ(log.find(kToken), std::string::npos) << "the token reached the log";
  EXPECT_EQ(log.find(cookie.substr(cookie.find('=') + 1)), std::string::npos) << "the cookie reached the log";
}

// The AWS backend against moto: documents, queue depth on /metrics, and the
// token from Secrets Manager.
TEST(ServeAwsTest, ServesTheAwsBackendWithATokenFromSecretsManager) {
  std::string error;
  std::unique_ptr<MotoServer> moto = MotoServer::Start(&error);
  ASSERT_NE(moto, nullptr) << "moto_server is required for the AWS tests: " << error;
  TempDir dir;
  const std::string prefix = "serve-" + std::to_string(getpid());
  EnvOverrides env = moto->DocpipeEnv(prefix);
  env["DOCPIPE_CLOUDWATCH_METRICS"] = "false";
  env["DOCPIPE_WORKSPACE"] = dir.Join("ws");
  env["AWS_SHARED_CREDENTIALS_FILE"] = dir.Join("no-credentials");
  env["AWS_CONFIG_FILE"] = dir.Join("no-config");
  auto run = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {DOCPIPE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, env, 300);
  };
  ProcessResult provision = run({"provision"});
  ASSERT_EQ(provision.exit_code, 0) << provision.err;
  WriteFile(dir.Join("docs/pump.md"), ManualText("pump"));
  ProcessResult ingest = run({"ingest", dir.Join("docs")});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  // A token in Secrets Manager (JSON form), and two messages waiting in the queue.
  ProcessResult boto = RunBoto3(*moto,
                                "import boto3, json, os\n"
                                "arn = boto3.client('secretsmanager').create_secret(Name=os.environ['P'] + '-token',\n"
                                "    SecretString=json.dumps({'DOCPIPE_API_TOKEN': '" + std::string(kToken) + "'}))['ARN']\n"
                                "sqs = boto3.client('sqs')\n"
                                "url = sqs.get_queue_url(QueueName=os.environ['P'] + '-work')['QueueUrl']\n"
                                "for i in range(2): sqs.send_message(QueueUrl=url, MessageBody='{}')\n"
                                "print(arn)\n",
                                {{"P", prefix}});
  ASSERT_EQ(boto.exit_code, 0) << boto.err;
  std::string arn = boto.out.substr(0, boto.out.find('\n'));

  const int port = FreeLoopbackPort();
  EnvOverrides serve_env = env;
  serve_env["DOCPIPE_API_TOKEN_SECRET_ARN"] = arn;
  serve_env["DOCPIPE_API_PORT"] = std::to_string(port);  // the environment, this time
  ChildProcess serve({DOCPIPE_BINARY, "serve"}, serve_env);
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30);
  bool up = false;
  for (int i = 0; i < 300 && !up && serve.Running(); ++i) {
    auto r = client.Get("/healthz");
    up = r && r->status == 200;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(up) << serve.Wait(5).err;
  const httplib::Headers auth = {{"Authorization", std::string("Bearer ") + kToken}};
  auto denied = client.Get("/api/documents");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  auto docs = client.Get("/api/documents", auth);
  ASSERT_TRUE(docs);
  ASSERT_EQ(docs->status, 200) << docs->body;
  nlohmann::json status = nlohmann::json::parse(run({"status", "--json"}).out);
  EXPECT_EQ(nlohmann::json::parse(docs->body)["documents"], status);
  ASSERT_EQ(status.size(), 1u);
  const std::string id = status[0]["document_id"];
  auto one = client.Get(("/api/documents/" + id).c_str(), auth);
  ASSERT_TRUE(one);
  EXPECT_EQ(nlohmann::json::parse(one->body)["status"], "COMPLETED");
  auto metrics = client.Get("/metrics", auth);
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("docpipe_queue_messages{state=\"visible\"} 2\n"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("docpipe_documents{status=\"COMPLETED\"} 1\n"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("docpipe_today_documents_completed 1\n"), std::string::npos) << metrics->body;
  // The dashboard's upload in this shape: a presigned PUT straight to the
  // bucket, which the Content-Security-Policy lets the page send.
  auto presign = client.Post("/api/uploads/presign", auth,
                             R"({"name":"valve manual.md","size":40,"content_type":"text/markdown"})",
                             "application/json");
  ASSERT_TRUE(presign);
  ASSERT_EQ(presign->status, 200) << presign->body;
  nlohmann::json target = nlohmann::json::parse(presign->body);
  EXPECT_EQ(target["source_key"], "input/valve manual.md");
  EXPECT_EQ(target["method"], "PUT");
  const std::string url = target["url"];
  const std::string origin = url.substr(0, url.find('/', url.find("://") + 3));
  EXPECT_NE(presign->get_header_value("Content-Security-Policy").find("connect-src 'self' " + origin),
            std::string::npos)
      << presign->get_header_value("Content-Security-Policy");
  EXPECT_NE(url.find("X-Amz-Signature="), std::string::npos);
  EXPECT_EQ(url.find(kToken), std::string::npos);
  // What a browser does with it: no credentials, just the URL and the header.
  const std::string body = "# Valve manual\n\nThe valve is presigned.\n";
  ProcessResult put = RunProcess({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H",
                                  "Content-Type: text/markdown", "--data-binary", body, url}, {}, 60);
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(put.out, "200");
  ProcessResult got = RunBoto3(*moto,
                               "import boto3, os\n"
                               "o = boto3.client('s3').get_object(Bucket=os.environ['B'], Key='input/valve manual.md')\n"
                               "print(o['Body'].read().decode(), end='')\n",
                               {{"B", env.at("S3_BUCKET")}});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, body);
  // The content type is signed (moto checks no signatures; the presigner is
  // checked against botocore in tests/unit/aws/sigv4_presign_test.cpp).
  EXPECT_NE(url.find("X-Amz-SignedHeaders=content-type%3Bhost"), std::string::npos) << url;

  serve.Signal(SIGTERM);
  ProcessResult stopped = serve.Wait(15);
  EXPECT_EQ(stopped.exit_code, 130) << stopped.err;
  EXPECT_EQ(stopped.err.find(kToken), std::string::npos);
}

}  // namespace
}  // namespace docpipe::testing
