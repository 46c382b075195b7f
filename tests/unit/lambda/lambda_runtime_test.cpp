#include "lambda/lambda_runtime.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#include "extract/extractor_registry.h"
#include "http/curl_http_client.h"
#include "lambda/s3_event_handler.h"
#include "object_store/local_object_store.h"
#include "queue/sqlite_work_queue.h"
#include "support/fake_clock.h"
#include "support/test_util.h"
#include "tables/sqlite_tables.h"

namespace docpipe {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// An in-process Lambda Runtime API (2018-06-01) on a loopback port: hands out
// queued events on /next (blocking until one is queued, like the real one)
// and records what the runtime posts back.
class FakeRuntimeApi {
 public:
  struct Event {
    std::string request_id;
    std::string payload;
    std::string deadline_ms;  // header value; "" = header absent
    std::string trace_id;
  };
  struct Post {
    std::string path;
    std::string body;
    std::string error_type;  // Lambda-Runtime-Function-Error-Type
    std::string content_type;
  };

  FakeRuntimeApi() {
    server_.Get("/2018-06-01/runtime/invocation/next",
                [this](const httplib::Request&, httplib::Response& res) {
                  std::unique_lock lock(mu_);
                  ++next_calls_;
                  cv_.notify_all();
                  cv_.wait(lock, [&] { return closing_ || !events_.empty() || next_status_ != 200; });
                  if (next_status_ != 200) {
                    res.status = next_status_;
                    res.set_content("{\"errorMessage\":\"broken\"}", "application/json");
                    return;
                  }
                  if (closing_) {
                    res.status = 503;
                    return;
                  }
                  Event e = events_.front();
                  events_.pop_front();
                  res.set_header("Lambda-Runtime-Aws-Request-Id", e.request_id);
                  if (!e.deadline_ms.empty()) res.set_header("Lambda-Runtime-Deadline-Ms", e.deadline_ms);
                  if (!e.trace_id.empty()) res.set_header("Lambda-Runtime-Trace-Id", e.trace_id);
                  res.set_header("Lambda-Runtime-Invoked-Function-Arn",
                                 "arn:aws:lambda:eu-west-1:123456789012:function:docpipe");
                  res.set_content(e.payload, "application/json");
                });
    auto record = [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      posts_.push_back({req.path, req.body, req.get_header_value("Lambda-Runtime-Function-Error-Type"),
                        req.get_header_value("Content-Type")});
      res.status = 202;
      res.set_content("{\"status\":\"OK\"}", "application/json");
      cv_.notify_all();
    };
    server_.Post(R"(/2018-06-01/runtime/invocation/([^/]+)/response)", record);
    server_.Post(R"(/2018-06-01/runtime/invocation/([^/]+)/error)", record);
    server_.Post("/2018-06-01/runtime/init/error", record);
    // Bound and listening from here on: connections wait in the backlog
    // until the thread accepts them.
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // cpp-httplib's stop() does nothing until the loop runs: a Stop() right
    // after construction would leave the thread accepting forever (a hung test).
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  ~FakeRuntimeApi() { Stop(); }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      cv_.notify_all();
    }
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void Queue(Event e) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }
  void FailNext(int status) {
    std::lock_guard lock(mu_);
    next_status_ = status;
    cv_.notify_all();
  }
  std::vector<Post> posts() {
    std::lock_guard lock(mu_);
    return posts_;
  }
  int next_calls() {
    std::lock_guard lock(mu_);
    return next_calls_;
  }
  bool WaitForNextCalls(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return next_calls_ >= n; });
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  std::vector<Post> posts_;
  int next_calls_ = 0;
  int next_status_ = 200;
  bool closing_ = false;
};

class RuntimeLogCapture final : public Logger {
 public:
  void Log(LogLevel, const std::string& event, json fields) override {
    std::lock_guard lock(mu_);
    lines_.push_back({{"event", event}, {"fields", std::move(fields)}});
  }
  std::vector<json> With(const std::string& event) {
    std::lock_guard lock(mu_);
    std::vector<json> out;
    for (const json& l : lines_) {
      if (l["event"] == event) out.push_back(l["fields"]);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<json> lines_;
};

json S3EventJson(std::vector<std::pair<std::string, std::string>> key_etags) {
  json records = json::array();
  for (const auto& [key, etag] : key_etags) {
    records.push_back({{"eventSource", "aws:s3"},
                       {"eventName", "ObjectCreated:Put"},
                       {"s3",
                        {{"bucket", {{"name", "docs-bucket"}}},
                         {"object", {{"key", key}, {"size", 100}, {"eTag", etag}}}}}});
  }
  return {{"Records", records}};
}

class LambdaRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("_X_AMZN_TRACE_ID");
    store_ = *NewLocalObjectStore(dir_.Join("store"));
    const std::string db = dir_.Join("docpipe.db");
    control_ = *NewSqliteControlTable(db);
    audit_ = *NewSqliteAuditLog(db);
    metrics_ = *NewSqliteMetricsTable(db);
    queue_ = *NewSqliteWorkQueue(db, clock_, SqliteWorkQueueOptions{});
    services_ =
        std::make_unique<Services>(Services{clock_, log_, *store_, *control_, *audit_, *metrics_, *queue_});
    events_ = std::make_unique<EventRecorder>(*services_, "lambda-test", 0);
    registrar_ = std::make_unique<Registrar>(*services_, *events_, 3);
    S3EventHandlerOptions o;
    o.expected_bucket = "docs-bucket";
    o.suffixes = SupportedSuffixes();
    handler_ = std::make_unique<S3EventHandler>(*registrar_, o);
    http_ = NewCurlHttpClient();
    api_ = std::make_unique<LambdaRuntimeApi>(*http_, fake_.address());
  }
  void TearDown() override { ::unsetenv("_X_AMZN_TRACE_ID"); }

  Status Run(
      LambdaRuntimeOptions options, const LambdaHandler& handler,
      const std::function<bool()>& stop = [] { return false; }) {
    return RunLambdaLoop(*api_, clock_, log_, options, handler, stop);
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  RuntimeLogCapture log_;
  ObjectStorePtr store_;
  ControlTablePtr control_;
  AuditLogPtr audit_;
  MetricsTablePtr metrics_;
  WorkQueuePtr queue_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<EventRecorder> events_;
  std::unique_ptr<Registrar> registrar_;
  std::unique_ptr<S3EventHandler> handler_;
  FakeRuntimeApi fake_;
  HttpClientPtr http_;
  std::unique_ptr<LambdaRuntimeApi> api_;
};

TEST_F(LambdaRuntimeTest, ServesTwoEventsAndPostsResponseAndError) {
  const TimeMs deadline = clock_.NowMs() + 60'000;
  fake_.Queue({"req-1", S3EventJson({{"input/a.pdf", "e1"}, {"input/b+c.md", "e2"}}).dump(),
               std::to_string(deadline), "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"});
  json second = S3EventJson({{"input/a.pdf", "e1"}, {"input/d.txt", "e3"}});
  second["Records"][1]["s3"]["bucket"]["name"] = "other-bucket";
  // A constant deadline, as @vercel/fun sends: not an epoch time.
  fake_.Queue({"req-2", second.dump(), "5000", "Root=1-2"});

  LambdaRuntimeOptions options;
  options.max_invocations = 2;
  ASSERT_TRUE(Run(options, MakeS3LambdaHandler(*handler_)).ok());

  std::vector<FakeRuntimeApi::Post> posts = fake_.posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].path, "/2018-06-01/runtime/invocation/req-1/response");
  EXPECT_EQ(posts[0].error_type, "");
  EXPECT_EQ(posts[0].content_type, "application/json");
  json summary = json::parse(posts[0].body);
  EXPECT_EQ(summary["registered"], 2);
  EXPECT_EQ(summary["duplicates"], 0);
  EXPECT_EQ(summary["skipped"], 0);
  EXPECT_EQ(summary["failed"], json::array());

  EXPECT_EQ(posts[1].path, "/2018-06-01/runtime/invocation/req-2/error");
  EXPECT_EQ(posts[1].error_type, "Docpipe.RecordsFailed");
  json error = json::parse(posts[1].body);
  EXPECT_EQ(error["errorType"], "Docpipe.RecordsFailed");
  EXPECT_NE(error["errorMessage"].get<std::string>().find(
                "1 of 2 records failed: input/d.txt: bucket 'other-bucket'"),
            std::string::npos)
      << error["errorMessage"];

  // The second event's good record was a duplicate of the first's.
  std::vector<json> dups = log_.With("document_duplicate");
  ASSERT_EQ(dups.size(), 1u);
  EXPECT_EQ(dups[0]["aws_request_id"], "req-2") << "per-invocation fields on handler lines";
  EXPECT_EQ(dups[0]["trace_id"], "Root=1-2");

  std::vector<json> started = log_.With("lambda_invocation_started");
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0]["remaining_ms"], 60'000);
  EXPECT_FALSE(started[1].contains("remaining_ms")) << "implausible deadline treated as unknown";
  ASSERT_NE(std::getenv("_X_AMZN_TRACE_ID"), nullptr);
  EXPECT_STREQ(std::getenv("_X_AMZN_TRACE_ID"), "Root=1-2");
  EXPECT_EQ(log_.With("lambda_invocation_finished").size(), 2u);
}

TEST_F(LambdaRuntimeTest, InvalidEventAndHandlerExceptionBecomeErrors) {
  fake_.Queue({"r1", R"({"hello":"world"})", "", ""});
  fake_.Queue({"r2", "not json at all", "", ""});
  LambdaRuntimeOptions options;
  options.max_invocations = 2;
  ASSERT_TRUE(Run(options, MakeS3LambdaHandler(*handler_)).ok());
  std::vector<FakeRuntimeApi::Post> posts = fake_.posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].error_type, "Docpipe.InvalidEvent");
  EXPECT_EQ(posts[1].error_type, "Docpipe.InvalidEvent");
  EXPECT_EQ(std::getenv("_X_AMZN_TRACE_ID"), nullptr) << "no trace header: no stale trace id";

  fake_.Queue({"r3", "{}", "", ""});
  options.max_invocations = 1;
  ASSERT_TRUE(Run(options, [](const LambdaInvocation&, Logger&) -> LambdaOutcome {
                throw std::runtime_error("boom");
              }).ok());
  posts = fake_.posts();
  ASSERT_EQ(posts.size(), 3u);
  EXPECT_EQ(posts[2].path, "/2018-06-01/runtime/invocation/r3/error");
  EXPECT_EQ(posts[2].error_type, "Runtime.HandlerException");
  EXPECT_EQ(json::parse(posts[2].body)["errorMessage"], "boom");
}

TEST_F(LambdaRuntimeTest, StopFlagEndsABlockedNext) {
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    fake_.WaitForNextCalls(1);
    std::this_thread::sleep_for(200ms);
    stop = true;
  });
  auto t0 = std::chrono::steady_clock::now();
  Status st = Run(LambdaRuntimeOptions{}, MakeS3LambdaHandler(*handler_), [&] { return stop.load(); });
  auto elapsed = std::chrono::steady_clock::now() - t0;
  stopper.join();
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_LT(elapsed, 3s) << "the long poll noticed the flag (curl polls it about once a second)";
  EXPECT_TRUE(fake_.posts().empty());
  EXPECT_EQ(log_.With("lambda_runtime_stopped").at(0)["invocations"], 0);
}

TEST_F(LambdaRuntimeTest, TransportErrorsAreRetriedThenGiveUp) {
  fake_.Stop();  // nothing listens on the port any more
  LambdaRuntimeOptions options;
  options.max_next_failures = 4;
  Status st = Run(options, MakeS3LambdaHandler(*handler_));
  EXPECT_EQ(st.code(), Status::Code::kUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("after 4 attempts"), std::string::npos) << st.message();
  EXPECT_EQ(clock_.sleeps(), 3) << "backoff between attempts";
  EXPECT_EQ(log_.With("lambda_next_failed").size(), 4u);
}

TEST_F(LambdaRuntimeTest, HttpErrorOnNextIsFatal) {
  fake_.FailNext(500);
  Status st = Run(LambdaRuntimeOptions{}, MakeS3LambdaHandler(*handler_));
  EXPECT_EQ(st.code(), Status::Code::kInternal) << st.ToString();
  EXPECT_NE(st.message().find("HTTP 500"), std::string::npos);
}

TEST_F(LambdaRuntimeTest, InitErrorIsPosted) {
  ASSERT_TRUE(api_->ReportInitError("Runtime.InitError", "cannot open workspace").ok());
  std::vector<FakeRuntimeApi::Post> posts = fake_.posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].path, "/2018-06-01/runtime/init/error");
  EXPECT_EQ(posts[0].error_type, "Runtime.InitError");
  EXPECT_EQ(json::parse(posts[0].body),
            (json{{"errorMessage", "cannot open workspace"}, {"errorType", "Runtime.InitError"}}));
}

TEST(PlausibleDeadlineTest, OnlyFutureEpochMilliseconds) {
  const TimeMs now = testing::FakeClock::kDefaultStart;
  auto d = [&](const char* s) {
    std::string v = s;
    return PlausibleDeadline(&v, now);
  };
  EXPECT_EQ(d("1795323370000"), std::optional<TimeMs>(1795323370000));
  EXPECT_EQ(d("5000"), std::nullopt);           // @vercel/fun's constant
  EXPECT_EQ(d("1795323300000"), std::nullopt);  // in the past
  EXPECT_EQ(d("999999999999"), std::nullopt);
  EXPECT_EQ(d(""), std::nullopt);
  EXPECT_EQ(d("12ab"), std::nullopt);
  EXPECT_EQ(d("-1795323370000"), std::nullopt);
  EXPECT_EQ(d("99999999999999999999999"), std::nullopt);
  EXPECT_EQ(PlausibleDeadline(nullptr, now), std::nullopt);
}

}  // namespace
}  // namespace docpipe
