#include "lambda/s3_event_handler.h"

#include <gtest/gtest.h>

#include <thread>

#include "extract/extractor_registry.h"
#include "object_store/local_object_store.h"
#include "pipeline/document_id.h"
#include "queue/sqlite_work_queue.h"
#include "support/fake_clock.h"
#include "support/test_util.h"
#include "tables/sqlite_tables.h"

namespace docpipe {
namespace {

using json = nlohmann::json;

// Captures log lines so tests can check what a record logged.
class HandlerLogCapture final : public Logger {
 public:
  struct Line {
    LogLevel level;
    std::string event;
    json fields;
  };
  void Log(LogLevel level, const std::string& event, json fields) override {
    std::lock_guard lock(mu_);
    lines.push_back({level, event, std::move(fields)});
  }
  std::vector<Line> With(const std::string& event) {
    std::lock_guard lock(mu_);
    std::vector<Line> out;
    for (const Line& l : lines) {
      if (l.event == event) out.push_back(l);
    }
    return out;
  }
  std::vector<Line> lines;

 private:
  std::mutex mu_;
};

json S3Record(const std::string& key, const std::string& etag, int64_t size = 2048,
              const std::string& bucket = "docs-bucket") {
  return {
      {"eventSource", "aws:s3"},
      {"eventName", "ObjectCreated:Put"},
      {"s3", {{"bucket", {{"name", bucket}}}, {"object", {{"key", key}, {"size", size}, {"eTag", etag}}}}}};
}

json Notification(std::vector<json> records) { return {{"Records", records}}; }

// One workspace of SQLite tables and queue, as one Lambda's Runtime would
// open it; two of these on the same files act like two Lambdas.
struct Backend {
  Backend(const testing::TempDir& dir, Clock& clock, Logger& logger) {
    store = *NewLocalObjectStore(dir.Join("store"));
    const std::string db = dir.Join("docpipe.db");
    control = *NewSqliteControlTable(db);
    audit = *NewSqliteAuditLog(db);
    metrics = *NewSqliteMetricsTable(db);
    queue = *NewSqliteWorkQueue(db, clock, SqliteWorkQueueOptions{});
    services =
        std::make_unique<Services>(Services{clock, logger, *store, *control, *audit, *metrics, *queue});
    events = std::make_unique<EventRecorder>(*services, "lambda-test", 0);
    registrar = std::make_unique<Registrar>(*services, *events, 3);
  }
  ObjectStorePtr store;
  ControlTablePtr control;
  AuditLogPtr audit;
  MetricsTablePtr metrics;
  WorkQueuePtr queue;
  std::unique_ptr<Services> services;
  std::unique_ptr<EventRecorder> events;
  std::unique_ptr<Registrar> registrar;
};

class S3EventHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override { backend_ = std::make_unique<Backend>(dir_, clock_, log_); }

  S3EventHandler Handler(const std::string& bucket = "docs-bucket") {
    S3EventHandlerOptions o;
    o.expected_bucket = bucket;
    o.suffixes = SupportedSuffixes();
    return S3EventHandler(*backend_->registrar, o);
  }

  S3EventSummary Handle(const json& event, const std::string& bucket = "docs-bucket") {
    S3EventHandler h = Handler(bucket);
    Result<S3EventSummary> r = h.Handle(event, log_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : S3EventSummary{};
  }

  int QueueDepth() {
    Result<QueueStats> s = backend_->queue->Stats();
    return s.ok() ? static_cast<int>(s->visible + s->delayed) : -1;
  }

  void DrainQueue() {
    Result<std::vector<QueueMessage>> got = backend_->queue->Receive(100, 60'000, 0);
    ASSERT_TRUE(got.ok());
    for (const QueueMessage& m : *got) ASSERT_TRUE(backend_->queue->Delete(m.receipt_handle).ok());
  }

  std::vector<ControlRecord> Versions(const std::string& key) {
    Result<std::vector<ControlRecord>> v = backend_->control->ListVersions(DocumentIdForKey(key));
    return v.ok() ? *v : std::vector<ControlRecord>{};
  }

  int CountAudit(const std::string& key, const std::string& type) {
    int n = 0;
    for (const AuditEvent& e : *backend_->audit->List(DocumentIdForKey(key))) n += e.event_type == type;
    return n;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  HandlerLogCapture log_;
  std::unique_ptr<Backend> backend_;
};

TEST_F(S3EventHandlerTest, RegistersEachCreatedObjectWithoutDownloading) {
  S3EventSummary s = Handle(Notification(
      {S3Record("input/guide+v2.pdf", "aaa111"), S3Record("input/notes/readme.md", "bbb222", 77)}));
  EXPECT_EQ(s.registered, 2);
  EXPECT_EQ(s.duplicates, 0);
  EXPECT_EQ(s.skipped, 0);
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(QueueDepth(), 2);

  std::vector<ControlRecord> v = Versions("input/guide v2.pdf");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].source_key, "input/guide v2.pdf");
  EXPECT_EQ(v[0].source_etag, "aaa111");
  EXPECT_EQ(v[0].source_size, 2048);
  EXPECT_EQ(v[0].content_sha256, "") << "unknown: the object was not read";
  EXPECT_EQ(v[0].status, DocStatus::kPending);
  EXPECT_EQ(v[0].processing_version, "000001");
  EXPECT_EQ(CountAudit("input/guide v2.pdf", audit_event::kDocumentReceived), 1);
  EXPECT_EQ(Versions("input/notes/readme.md").at(0).source_size, 77);

  json j = s.ToJson();
  EXPECT_EQ(j["registered"], 2);
  EXPECT_EQ(j["failed"], json::array());
  EXPECT_EQ(j["documents"][0]["document_id"], DocumentIdForKey("input/guide v2.pdf"));
  EXPECT_EQ(j["documents"][0]["outcome"], "new");

  // Per-document log lines carry the document id.
  auto registered = log_.With("document_registered");
  ASSERT_EQ(registered.size(), 2u);
  EXPECT_EQ(registered[0].fields["document_id"], DocumentIdForKey("input/guide v2.pdf"));
  EXPECT_EQ(registered[0].fields["etag"], "aaa111");
}

TEST_F(S3EventHandlerTest, SameKeyAndEtagIsADuplicate) {
  json event = Notification({S3Record("input/a.pdf", "etag-1")});
  ASSERT_EQ(Handle(event).registered, 1);
  // Completed work: a redelivered event must not queue anything.
  ControlRecord rec = Versions("input/a.pdf").at(0);
  rec.status = DocStatus::kCompleted;
  ASSERT_TRUE(backend_->control->Update(rec).ok());
  DrainQueue();

  // Quoted, as S3 headers spell it: the same ETag.
  S3EventSummary s = Handle(Notification({S3Record("input/a.pdf", "\"etag-1\"")}));
  EXPECT_EQ(s.registered, 0);
  EXPECT_EQ(s.duplicates, 1);
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(Versions("input/a.pdf").size(), 1u) << "no new version";
  EXPECT_EQ(QueueDepth(), 0) << "no message for a finished duplicate";
  EXPECT_EQ(CountAudit("input/a.pdf", audit_event::kDuplicateSkipped), 1);
  EXPECT_EQ(s.ToJson()["documents"][0]["outcome"], "duplicate");
  EXPECT_EQ(log_.With("document_duplicate").size(), 1u);
}

TEST_F(S3EventHandlerTest, DuplicateOfUnfinishedVersionRequeuesIt) {
  // As for file registrations: if the first message was lost (say the queue
  // send failed after the control record was written, and Lambda retried the
  // event), the duplicate revives the work; an extra message is dropped or
  // deferred at claim time.
  ASSERT_EQ(Handle(Notification({S3Record("input/a.pdf", "etag-1")})).registered, 1);
  DrainQueue();  // the lost message
  S3EventSummary s = Handle(Notification({S3Record("input/a.pdf", "etag-1")}));
  EXPECT_EQ(s.duplicates, 1);
  EXPECT_EQ(Versions("input/a.pdf").size(), 1u);
  EXPECT_EQ(QueueDepth(), 1);
}

TEST_F(S3EventHandlerTest, NewEtagMakesANewVersion) {
  ASSERT_EQ(Handle(Notification({S3Record("input/a.pdf", "etag-1")})).registered, 1);
  S3EventSummary s = Handle(Notification({S3Record("input/a.pdf", "etag-2", 4096)}));
  EXPECT_EQ(s.registered, 1);
  EXPECT_EQ(s.ToJson()["documents"][0]["outcome"], "new_version");
  std::vector<ControlRecord> v = Versions("input/a.pdf");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].processing_version, "000002");
  EXPECT_EQ(v[1].source_etag, "etag-2");
  EXPECT_EQ(v[1].source_size, 4096);
  EXPECT_EQ(QueueDepth(), 2) << "one message per version; the processor supersedes the old one";
  // Back to the first ETag: the latest is etag-2, so etag-1 is new content again.
  EXPECT_EQ(Handle(Notification({S3Record("input/a.pdf", "etag-1")})).registered, 1);
  EXPECT_EQ(Versions("input/a.pdf").size(), 3u);
}

TEST_F(S3EventHandlerTest, FailedRecordIsReportedAndOthersStillRegister) {
  json bad_size = S3Record("input/b.pdf", "e2");
  bad_size["s3"]["object"].erase("size");
  S3EventSummary s = Handle(Notification({
      S3Record("input/a.pdf", "e1"),
      bad_size,                                                   // invalid record
      S3Record("input/c.pdf", "e3", 10, "someone-elses-bucket"),  // wrong bucket
      S3Record("input/..%2Fescape.pdf", "e4"),                    // key the store rejects
      S3Record("input/d.md", "e5"),
  }));
  EXPECT_EQ(s.registered, 2);
  ASSERT_EQ(s.failed.size(), 3u);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.failed[0].key, "input/b.pdf");
  EXPECT_NE(s.failed[0].error.find("missing object.size"), std::string::npos) << s.failed[0].error;
  EXPECT_EQ(s.failed[1].key, "input/c.pdf");
  EXPECT_NE(
      s.failed[1].error.find("bucket 'someone-elses-bucket' is not the configured bucket 'docs-bucket'"),
      std::string::npos)
      << s.failed[1].error;
  EXPECT_EQ(s.failed[2].key, "input/../escape.pdf");
  EXPECT_EQ(Versions("input/a.pdf").size(), 1u);
  EXPECT_EQ(Versions("input/d.md").size(), 1u);
  EXPECT_TRUE(Versions("input/c.pdf").empty());
  EXPECT_EQ(log_.With("s3_record_failed").size(), 3u);

  std::string msg = s.FailureMessage();
  EXPECT_EQ(msg.rfind("3 of 5 records failed: input/b.pdf: ", 0), 0u) << msg;

  // Lambda retries the whole event: the registered records are duplicates now.
  S3EventSummary again = Handle(Notification({S3Record("input/a.pdf", "e1"), S3Record("input/d.md", "e5")}));
  EXPECT_EQ(again.registered, 0);
  EXPECT_EQ(again.duplicates, 2);
}

TEST_F(S3EventHandlerTest, SkipsOtherPrefixesTypesAndEvents) {
  json removed = S3Record("input/a.pdf", "e1");
  removed["eventName"] = "ObjectRemoved:Delete";
  S3EventSummary s = Handle(Notification({
      S3Record("extracted/doc/page-0001.md", "e1"),  // our own output
      S3Record("input/photo.XCF", "e2"), S3Record("input/folder/", "e3", 0), removed,
      S3Record("input/UPPER.PDF", "e4"),  // suffixes are case-insensitive
  }));
  EXPECT_EQ(s.skipped, 4);
  EXPECT_EQ(s.registered, 1);
  EXPECT_TRUE(s.ok());
  auto skipped = log_.With("s3_record_skipped");
  ASSERT_EQ(skipped.size(), 4u);
  EXPECT_EQ(skipped[0].fields["reason"], "outside input/");
  EXPECT_NE(skipped[1].fields["reason"].get<std::string>().find("unsupported file type"), std::string::npos);
  EXPECT_EQ(QueueDepth(), 1);
}

TEST_F(S3EventHandlerTest, EmptyExpectedBucketAcceptsAny) {
  S3EventSummary s = Handle(Notification({S3Record("input/a.pdf", "e1", 1, "any-bucket")}), "");
  EXPECT_EQ(s.registered, 1);
}

TEST_F(S3EventHandlerTest, TestEventAndNonS3Events) {
  S3EventHandler h = Handler();
  Result<S3EventSummary> t = h.HandleText(R"({"Service":"Amazon S3","Event":"s3:TestEvent"})", log_);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->test_event);
  EXPECT_TRUE(t->ok());
  EXPECT_EQ(t->registered + t->skipped, 0);
  EXPECT_EQ(log_.With("s3_test_event_ignored").size(), 1u);

  Result<S3EventSummary> bad = h.HandleText(R"({"key1":"value1"})", log_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidInput);
  Result<S3EventSummary> not_json = h.HandleText("{oops", log_);
  ASSERT_FALSE(not_json.ok());
  EXPECT_NE(not_json.status().message().find("not JSON"), std::string::npos);
}

TEST_F(S3EventHandlerTest, RegisterObjectValidates) {
  Registrar& r = *backend_->registrar;
  EXPECT_EQ(r.RegisterObject("input/a.pdf", 1, "").status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(r.RegisterObject("input/a.pdf", 1, "\"\"").status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(r.RegisterObject("input/a.pdf", -1, "e").status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(r.RegisterObject("/abs.pdf", 1, "e").status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Versions("input/a.pdf").empty());
}

TEST_F(S3EventHandlerTest, FileRegistrationAfterEventIsANewVersion) {
  // The fingerprints differ in kind (ETag vs SHA-256), so neither is trusted
  // to match the other.
  ASSERT_TRUE(backend_->registrar->RegisterObject("input/a.md", 5, "etag-1").ok());
  testing::WriteFile(dir_.Join("src/a.md"), "hello");
  Result<Registration> r = backend_->registrar->RegisterLocalFile(dir_.Join("src/a.md"), "input/a.md");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, Registration::Outcome::kNewVersion);
  std::vector<ControlRecord> v = Versions("input/a.md");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].source_etag, "");
  EXPECT_EQ(v[1].content_sha256.size(), 64u);
}

TEST_F(S3EventHandlerTest, ConcurrentLambdasRegisterOnce) {
  // Each "Lambda" has its own connections to the same tables, as two
  // processes would; they race on the conditional create.
  constexpr int kLambdas = 4;
  std::vector<std::unique_ptr<Backend>> backends;
  for (int i = 0; i < kLambdas; ++i) backends.push_back(std::make_unique<Backend>(dir_, clock_, log_));
  std::vector<Registration> results(kLambdas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kLambdas; ++i) {
    threads.emplace_back([&, i] {
      Result<Registration> r = backends[i]->registrar->RegisterObject("input/race.pdf", 10, "same-etag");
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      results[i] = *r;
    });
  }
  for (std::thread& t : threads) t.join();
  int fresh = 0, dups = 0;
  for (const Registration& r : results) {
    fresh += r.outcome == Registration::Outcome::kNew;
    dups += r.outcome == Registration::Outcome::kDuplicate;
    EXPECT_EQ(r.processing_version, "000001");
  }
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(dups, kLambdas - 1);
  EXPECT_EQ(Versions("input/race.pdf").size(), 1u);
  EXPECT_EQ(CountAudit("input/race.pdf", audit_event::kDocumentReceived), 1);
}

}  // namespace
}  // namespace docpipe
