// The DynamoDB adapters of the control, audit and metrics tables against a
// real moto_server, with boto3 as an independent client where the stored item
// itself matters. The behavioural cases mirror tests/unit/tables/
// sqlite_tables_test.cpp so both adapters are held to the same contract.
#include "tables/dynamodb_tables.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <regex>
#include <set>
#include <thread>
#include <utility>

#include "http/curl_http_client.h"
#include "support/moto_server.h"

namespace docpipe {
namespace {

using json = nlohmann::json;

constexpr TimeMs kT0 = 1795323310000;  // 2026-11-22T04:55:10.000Z

ControlRecord NewRecord(const std::string& doc, int version, DocStatus status, TimeMs updated_at) {
  ControlRecord r;
  r.document_id = doc;
  r.processing_version = FormatVersion(version);
  r.source_key = "input/" + doc + ".pdf";
  r.status = status;
  r.current_stage = "extract";
  r.created_at = kT0;
  r.updated_at = updated_at;
  return r;
}

// Passes requests to the real transport and records their X-Amz-Target;
// can drop the answer to chosen operations after the server has acted on
// them (the lost-response case that makes retried conditional writes hard).
class RecordingHttp final : public HttpClient {
 public:
  explicit RecordingHttp(HttpClient& inner) : inner_(inner) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    Result<HttpResponse> r = inner_.Send(request);
    const std::string* target = request.FindHeader("X-Amz-Target");
    const std::string op = target ? target->substr(target->find('.') + 1) : "";
    std::lock_guard lock(mu_);
    ops_.push_back(op);
    if (r.ok() && op == lose_op_ && lose_count_ > 0) {
      --lose_count_;
      return Status::Timeout("test: answer to " + op + " lost after the server acted on it");
    }
    return r;
  }
  void LoseNextAnswers(const std::string& op, int count) {
    std::lock_guard lock(mu_);
    lose_op_ = op;
    lose_count_ = count;
  }
  std::vector<std::string> TakeOps() {
    std::lock_guard lock(mu_);
    return std::exchange(ops_, {});
  }

 private:
  HttpClient& inner_;
  std::mutex mu_;
  std::vector<std::string> ops_;
  std::string lose_op_;
  int lose_count_ = 0;
};

// One moto_server for the whole suite; every test provisions its own set of
// tables (named after the test), so tests cannot see each other's items.
class DynamoDbTablesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Serialized: moto's threaded server does not make conditional writes
    // atomic under concurrency (see MotoServerOptions), DynamoDB does.
    moto_ = testing::MotoServer::Start(&moto_error_, {.serialize_requests = true}).release();
    if (moto_ == nullptr) return;
    curl_ = NewCurlHttpClient().release();
    http_ = new RecordingHttp(*curl_);
    clock_ = NewSystemClock().release();
    credentials_ = NewStaticCredentialsProvider({"AKIDTESTMOTO", "motosecret", "", 0}).release();
    quota_ = new RetryQuota();
    AwsServiceConfig config;
    config.region = "us-east-1";
    config.signing_name = "dynamodb";
    config.endpoint = moto_->endpoint();
    config.timeout_ms = 30'000;
    client_ = new AwsClient(config, *http_, *credentials_, *clock_, *quota_);
  }
  static void TearDownTestSuite() {
    delete client_;
    delete quota_;
    delete credentials_;
    delete clock_;
    delete http_;
    delete curl_;
    delete moto_;
    client_ = nullptr;
    moto_ = nullptr;
  }

  void SetUp() override {
    // No moto, no test: fail loudly with the reason instead of skipping.
    ASSERT_NE(moto_, nullptr) << "moto_server did not start: " << moto_error_;
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    names_.control = test + "-control";
    names_.audit = test + "-audit";
    names_.metrics = test + "-metrics";
    Status s = ProvisionDynamoDbTables(*client_, names_, 30'000);
    ASSERT_TRUE(s.ok()) << s.ToString();
    DynamoDbTableOptions small_pages{.page_limit = 2};  // every listing crosses pages
    control_ = NewDynamoDbControlTable(*client_, names_.control, small_pages);
    audit_ = NewDynamoDbAuditLog(*client_, names_.audit, small_pages);
    metrics_ = NewDynamoDbMetricsTable(*client_, names_.metrics, small_pages);
    http_->TakeOps();
  }
  void TearDown() override {
    if (http_ != nullptr) http_->LoseNextAnswers("", 0);
  }

  // Runs a boto3 script (TABLE_* in its environment) and parses its stdout as JSON.
  json Boto3(const std::string& script) {
    testing::ProcessResult r = testing::RunBoto3(
        *moto_, "import boto3, json, os\nc = boto3.client('dynamodb')\n" + script,
        {{"CONTROL", names_.control}, {"AUDIT", names_.audit}, {"METRICS", names_.metrics}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "boto3 printed: " << r.out << r.err;
    return j;
  }

  // The stored control item as boto3 sees it ({} when absent).
  json RawControlItem(const std::string& doc, const std::string& version) {
    return Boto3(
        "r = c.get_item(TableName=os.environ['CONTROL'], ConsistentRead=True, Key={"
        "'document_id': {'S': '" +
        doc + "'}, 'processing_version': {'S': '" + version +
        "'}})\n"
        "print(json.dumps(r.get('Item', {})))\n");
  }

  static testing::MotoServer* moto_;
  static std::string moto_error_;
  static HttpClient* curl_;
  static RecordingHttp* http_;
  static Clock* clock_;
  static CredentialsProvider* credentials_;
  static RetryQuota* quota_;
  static AwsClient* client_;

  DynamoDbTableNames names_;
  ControlTablePtr control_;
  AuditLogPtr audit_;
  MetricsTablePtr metrics_;
};

testing::MotoServer* DynamoDbTablesTest::moto_ = nullptr;
std::string DynamoDbTablesTest::moto_error_;
HttpClient* DynamoDbTablesTest::curl_ = nullptr;
RecordingHttp* DynamoDbTablesTest::http_ = nullptr;
Clock* DynamoDbTablesTest::clock_ = nullptr;
CredentialsProvider* DynamoDbTablesTest::credentials_ = nullptr;
RetryQuota* DynamoDbTablesTest::quota_ = nullptr;
AwsClient* DynamoDbTablesTest::client_ = nullptr;

// ---------------------------------------------------------------------------
// Control table

TEST_F(DynamoDbTablesTest, CreateGetAndDuplicate) {
  ControlRecord r = NewRecord("a", 1, DocStatus::kPending, kT0);
  r.stage_status["extract"].attempts = 1;
  r.stage_status["extract"].metrics = {{"pages", 3}, {"ratio", 0.25}, {"note", ""}};
  ASSERT_TRUE(control_->Create(r).ok());
  EXPECT_EQ(r.revision, 1);

  auto got = control_->Get("a", "000001");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->revision, 1);
  EXPECT_EQ(got->source_key, "input/a.pdf");
  EXPECT_EQ(got->stage_status.at("extract").attempts, 1);
  EXPECT_EQ(ToJson(*got), ToJson(r));

  ControlRecord dup = NewRecord("a", 1, DocStatus::kFailed, kT0 + 5);
  Status s = control_->Create(dup);
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_EQ(dup.revision, 0) << "a failed create leaves the record untouched";
  EXPECT_EQ(control_->Get("a", "000001")->status, DocStatus::kPending);

  EXPECT_TRUE(control_->Get("a", "000002").status().IsNotFound());
  EXPECT_TRUE(control_->Get("zz", "000001").status().IsNotFound());
}

TEST_F(DynamoDbTablesTest, RejectsRecordsWithoutKeyOrOverBudget) {
  ControlRecord r;
  EXPECT_EQ(control_->Create(r).code(), Status::Code::kInvalidInput);
  r = NewRecord("big", 1, DocStatus::kPending, kT0);
  r.stage_status["extract"].metrics["blob"] = std::string(kMaxItemBytes, 'x');
  EXPECT_EQ(control_->Create(r).code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(control_->Get("big", "000001").status().IsNotFound());
  EXPECT_EQ(http_->TakeOps(), (std::vector<std::string>{"GetItem"})) << "rejected before any write";

  ControlRecord ok = NewRecord("big", 1, DocStatus::kPending, kT0);
  ASSERT_TRUE(control_->Create(ok).ok());
  ok.last_error = std::string(10'000, 'e');  // capped by ToJson, so within budget
  ok.stage_status["extract"].metrics["blob"] = std::string(kMaxItemBytes, 'x');
  EXPECT_EQ(control_->Update(ok).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(ok.revision, 1);
}

TEST_F(DynamoDbTablesTest, GetLatestAndListVersions) {
  for (int v : {2, 1, 10}) {
    ControlRecord r = NewRecord("doc", v, DocStatus::kCompleted, kT0 + v);
    ASSERT_TRUE(control_->Create(r).ok());
  }
  ControlRecord other = NewRecord("doc2", 99, DocStatus::kPending, kT0);
  ASSERT_TRUE(control_->Create(other).ok());

  auto latest = control_->GetLatest("doc");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->processing_version, "000010");
  EXPECT_TRUE(control_->GetLatest("nope").status().IsNotFound());

  http_->TakeOps();
  auto versions = control_->ListVersions("doc");  // pages of 2
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[0].processing_version, "000001");
  EXPECT_EQ((*versions)[1].processing_version, "000002");
  EXPECT_EQ((*versions)[2].processing_version, "000010");
  EXPECT_GE(http_->TakeOps().size(), 2u) << "the listing crossed a page boundary";
  EXPECT_TRUE(control_->ListVersions("nope")->empty());
}

TEST_F(DynamoDbTablesTest, UpdateIsConditionalOnRevision) {
  ControlRecord r = NewRecord("a", 1, DocStatus::kPending, kT0);
  ASSERT_TRUE(control_->Create(r).ok());

  ControlRecord stale = r;  // a second worker's copy at revision 1
  r.status = DocStatus::kInProgress;
  r.lease_owner = "w1";
  r.updated_at = kT0 + 10;
  ASSERT_TRUE(control_->Update(r).ok());
  EXPECT_EQ(r.revision, 2);

  stale.lease_owner = "w2";
  Status s = control_->Update(stale);
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_NE(s.message().find("is at revision 2, not 1"), std::string::npos) << s.message();
  EXPECT_EQ(stale.revision, 1) << "a lost update leaves the revision alone";

  auto got = control_->Get("a", "000001");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->lease_owner, "w1");
  EXPECT_EQ(got->status, DocStatus::kInProgress);
  EXPECT_EQ(got->revision, 2);

  // The winner can keep writing from its fresh revision.
  r.status = DocStatus::kCompleted;
  ASSERT_TRUE(control_->Update(r).ok());
  EXPECT_EQ(r.revision, 3);

  ControlRecord missing = NewRecord("ghost", 1, DocStatus::kPending, kT0);
  missing.revision = 1;
  s = control_->Update(missing);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_TRUE(control_->Get("ghost", "000001").status().IsNotFound()) << "a failed update creates nothing";
}

TEST_F(DynamoDbTablesTest, UpdateIsOneConditionalUpdateItem) {
  ControlRecord r = NewRecord("a", 1, DocStatus::kPending, kT0);
  ASSERT_TRUE(control_->Create(r).ok());
  http_->TakeOps();
  r.status = DocStatus::kInProgress;
  ASSERT_TRUE(control_->Update(r).ok());
  EXPECT_EQ(http_->TakeOps(), (std::vector<std::string>{"UpdateItem"}));
  ControlRecord stale = r;
  stale.revision = 1;
  stale.lease_owner = "w2";
  EXPECT_TRUE(control_->Update(stale).IsConflict());
  EXPECT_EQ(http_->TakeOps(), (std::vector<std::string>{"UpdateItem"}))
      << "the stored item comes back with the failed condition: no second read";

  // A write identical to the stored item at the revision it would produce is
  // what a retry of a write that landed looks like: reported as written.
  ControlRecord same = r;
  same.revision = 1;
  EXPECT_TRUE(control_->Update(same).ok());
  EXPECT_EQ(same.revision, 2);
}

TEST_F(DynamoDbTablesTest, UpdateRemovesClearedAttributesAndHandlesReservedWords) {
  ControlRecord r = NewRecord("a", 1, DocStatus::kInProgress, kT0);
  r.ttl = 1'900'000'000;
  r.lease_owner = "w1";
  r.lease_expires_at = kT0 + 60'000;
  r.next_attempt_at = kT0 + 5'000;
  r.stage_status["extract"].started_at = kT0;
  r.stage_status["extract"].metrics = {{"value", 1}, {"status", "x"}};  // reserved words as map keys
  ASSERT_TRUE(control_->Create(r).ok());
  json before = RawControlItem("a", "000001");
  for (const char* name : {"ttl", "lease_expires_at", "next_attempt_at", "current_stage", "status"}) {
    EXPECT_TRUE(before.contains(name)) << name << " in " << before.dump();
  }
  EXPECT_EQ(before["ttl"], json({{"N", "1900000000"}}));
  EXPECT_EQ(before["status"], json({{"S", "IN_PROGRESS"}}));
  EXPECT_EQ(before["stage_status"]["M"]["extract"]["M"]["started_at"],
            json({{"S", "2026-11-22T04:55:10.000Z"}}));

  // Release the claim: times cleared, ttl dropped, back to before the first stage.
  r.status = DocStatus::kPending;
  r.lease_owner = "";
  r.lease_expires_at = 0;
  r.next_attempt_at = 0;
  r.ttl = 0;
  r.current_stage = "";
  r.stage_status["extract"].started_at = 0;
  r.updated_at = kT0 + 1;
  ASSERT_TRUE(control_->Update(r).ok());

  json after = RawControlItem("a", "000001");
  for (const char* name : {"ttl", "lease_expires_at", "next_attempt_at", "current_stage"}) {
    EXPECT_FALSE(after.contains(name)) << name << " should be gone: " << after.dump();
  }
  EXPECT_FALSE(after["stage_status"]["M"]["extract"]["M"].contains("started_at")) << after.dump();
  EXPECT_EQ(after["lease_owner"], json({{"S", ""}})) << "empty strings are kept in non-key attributes";
  EXPECT_EQ(after["status"], json({{"S", "PENDING"}}));
  EXPECT_EQ(after["revision"], json({{"N", "2"}}));
  EXPECT_EQ(after["updated_at"], json({{"S", "2026-11-22T04:55:10.001Z"}}));

  auto got = control_->Get("a", "000001");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(ToJson(*got), ToJson(r));
  EXPECT_EQ(got->current_stage, "");

  // And back: the attributes reappear.
  r.ttl = 1'900'000'001;
  r.current_stage = "chunk";
  ASSERT_TRUE(control_->Update(r).ok());
  got = control_->Get("a", "000001");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ttl, 1'900'000'001);
  EXPECT_EQ(got->current_stage, "chunk");
}

TEST_F(DynamoDbTablesTest, ListByStatusNewestFirstAcrossPages) {
  ControlRecord a = NewRecord("a", 1, DocStatus::kFailed, kT0 + 1);
  ControlRecord b = NewRecord("b", 1, DocStatus::kFailed, kT0 + 3);
  ControlRecord c = NewRecord("c", 1, DocStatus::kCompleted, kT0 + 2);
  ControlRecord d = NewRecord("d", 1, DocStatus::kFailed, kT0 + 2);
  for (ControlRecord* r : {&a, &b, &c, &d}) ASSERT_TRUE(control_->Create(*r).ok());

  auto failed = control_->List(DocStatus::kFailed, 10);
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  ASSERT_EQ(failed->size(), 3u);
  EXPECT_EQ((*failed)[0].document_id, "b");
  EXPECT_EQ((*failed)[1].document_id, "d");
  EXPECT_EQ((*failed)[2].document_id, "a");

  auto two = control_->List(DocStatus::kFailed, 2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].document_id, "d");

  auto all = control_->List(std::nullopt, 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), 4u);
  EXPECT_EQ(all->front().document_id, "b");
  EXPECT_EQ(all->back().document_id, "a");
  EXPECT_EQ(control_->List(std::nullopt, 1)->size(), 1u);
  EXPECT_TRUE(control_->List(DocStatus::kSuperseded, 10)->empty());

  // Status changes move a record between lists.
  c.status = DocStatus::kFailed;
  c.updated_at = kT0 + 9;
  ASSERT_TRUE(control_->Update(c).ok());
  failed = control_->List(DocStatus::kFailed, 10);
  ASSERT_EQ(failed->size(), 4u);
  EXPECT_EQ((*failed)[0].document_id, "c");
  EXPECT_TRUE(control_->List(DocStatus::kCompleted, 10)->empty());

  // Many more than a page: the limit stops paging, the order holds across pages.
  for (int i = 0; i < 9; ++i) {
    ControlRecord r = NewRecord("p" + std::to_string(i), 1, DocStatus::kPending, kT0 + 100 + i);
    ASSERT_TRUE(control_->Create(r).ok());
  }
  http_->TakeOps();
  auto pending = control_->List(DocStatus::kPending, 5);
  ASSERT_TRUE(pending.ok());
  std::vector<std::string> ids;
  for (const auto& r : *pending) ids.push_back(r.document_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"p8", "p7", "p6", "p5", "p4"}));
  EXPECT_EQ(http_->TakeOps().size(), 3u) << "pages of 2, 2 and the last 1";
  EXPECT_EQ(control_->List(DocStatus::kPending, 0)->size(), 9u) << "limit 0 lists all";
}

TEST_F(DynamoDbTablesTest, DeleteIsIdempotent) {
  ControlRecord r1 = NewRecord("a", 1, DocStatus::kCompleted, kT0);
  ControlRecord r2 = NewRecord("a", 2, DocStatus::kPending, kT0);
  ASSERT_TRUE(control_->Create(r1).ok());
  ASSERT_TRUE(control_->Create(r2).ok());
  ASSERT_TRUE(control_->Delete("a", "000002").ok());
  EXPECT_TRUE(control_->Delete("a", "000002").ok()) << "deleting an absent record is OK";
  EXPECT_TRUE(control_->Get("a", "000002").status().IsNotFound());
  EXPECT_EQ(control_->GetLatest("a")->processing_version, "000001");

  // A second adapter (as another process would) sees the same data.
  auto again = NewDynamoDbControlTable(*client_, names_.control);
  auto got = again->Get("a", "000001");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, DocStatus::kCompleted);
}

TEST_F(DynamoDbTablesTest, ConcurrentClaimsFromThreadsHaveOneWinner) {
  ControlRecord r = NewRecord("race", 1, DocStatus::kPending, kT0);
  ASSERT_TRUE(control_->Create(r).ok());

  constexpr int kThreads = 8;
  std::vector<ControlTablePtr> adapters;
  for (int i = 0; i < kThreads; ++i) adapters.push_back(NewDynamoDbControlTable(*client_, names_.control));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto rec = adapters[i]->Get("race", "000001");
      if (!rec.ok()) {
        results[i] = rec.status();
        ++ready;
        return;
      }
      rec->status = DocStatus::kInProgress;
      rec->lease_owner = "worker-" + std::to_string(i);
      rec->lease_expires_at = kT0 + 60'000;
      ++ready;
      while (!go.load()) std::this_thread::yield();
      results[i] = adapters[i]->Update(*rec);
    });
  }
  while (ready.load() < kThreads) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();

  int winners = 0, winner = -1;
  for (int i = 0; i < kThreads; ++i) {
    if (results[i].ok()) {
      ++winners;
      winner = i;
    } else {
      EXPECT_TRUE(results[i].IsConflict()) << results[i].ToString();
    }
  }
  ASSERT_EQ(winners, 1);
  auto stored = control_->Get("race", "000001");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->lease_owner, "worker-" + std::to_string(winner));
  EXPECT_EQ(stored->revision, 2);
}

// The server applied the write but its answer never arrived; the client's
// retry then fails the condition against its own write. The adapters
// recognise their item in the failure and report success, as SQLite would.
TEST_F(DynamoDbTablesTest, RetriedWritesWhoseFirstAnswerWasLostSucceed) {
  ControlRecord r = NewRecord("a", 1, DocStatus::kPending, kT0);
  http_->LoseNextAnswers("PutItem", 1);
  Status s = control_->Create(r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.revision, 1);
  EXPECT_EQ(http_->TakeOps(), (std::vector<std::string>{"PutItem", "PutItem"}));

  r.status = DocStatus::kInProgress;
  r.lease_owner = "w1";
  http_->LoseNextAnswers("UpdateItem", 1);
  s = control_->Update(r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.revision, 2);
  EXPECT_EQ(http_->TakeOps(), (std::vector<std::string>{"UpdateItem", "UpdateItem"}));
  EXPECT_EQ(control_->Get("a", "000001")->revision, 2);

  AuditEvent e;
  e.document_id = "a";
  e.event_type = "DOCUMENT_RECEIVED";
  e.time = kT0;
  http_->LoseNextAnswers("PutItem", 1);
  ASSERT_TRUE(audit_->Append(e).ok());
  auto events = audit_->List("a");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u) << "the retry did not append a second copy";
  EXPECT_EQ((*events)[0].event_id, e.event_id);

  // A metric ADD is not idempotent: with its answer lost it is not retried,
  // so the caller sees the failure and the counter holds exactly one add.
  http_->LoseNextAnswers("UpdateItem", 1);
  EXPECT_EQ(metrics_->Add("2026-11-22", "pages", 5).code(), Status::Code::kTimeout);
  EXPECT_EQ(http_->TakeOps().back(), "UpdateItem");
  EXPECT_DOUBLE_EQ(metrics_->GetDay("2026-11-22")->at("pages"), 5);
}

// ---------------------------------------------------------------------------
// Audit log

AuditEvent Event(const std::string& doc, const std::string& type, TimeMs t) {
  AuditEvent e;
  e.document_id = doc;
  e.processing_version = "000001";
  e.event_type = type;
  e.time = t;
  e.worker_id = "w1";
  return e;
}

TEST_F(DynamoDbTablesTest, AuditListsInTimeOrderWithGeneratedIds) {
  AuditEvent late = Event("d", "STAGE_COMPLETED", kT0 + 2000);
  AuditEvent early = Event("d", "DOCUMENT_RECEIVED", kT0);
  AuditEvent mid = Event("d", "STAGE_STARTED", kT0 + 1000);
  mid.stage = "extract";
  mid.details = {{"attempt", 1}};
  late.ttl = 1'900'000'000;
  AuditEvent other = Event("e", "DOCUMENT_RECEIVED", kT0);
  for (AuditEvent* e : {&late, &early, &mid, &other}) ASSERT_TRUE(audit_->Append(*e).ok());

  std::regex id_re(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#[0-9a-f]{8})");
  EXPECT_TRUE(std::regex_match(early.event_id, id_re)) << early.event_id;
  EXPECT_EQ(early.event_id.substr(0, 24), "2026-11-22T04:55:10.000Z");

  auto events = audit_->List("d");
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].event_type, "DOCUMENT_RECEIVED");
  EXPECT_EQ((*events)[1].event_type, "STAGE_STARTED");
  EXPECT_EQ((*events)[1].stage, "extract");
  EXPECT_EQ((*events)[1].details["attempt"], 1);
  EXPECT_EQ((*events)[1].event_id, mid.event_id);
  EXPECT_EQ((*events)[2].event_type, "STAGE_COMPLETED");
  EXPECT_EQ((*events)[2].time, kT0 + 2000);
  EXPECT_EQ((*events)[2].ttl, 1'900'000'000);
  EXPECT_EQ(ToJson((*events)[2]), ToJson(late));
  EXPECT_EQ(audit_->List("e")->size(), 1u);
  EXPECT_TRUE(audit_->List("none")->empty());
}

TEST_F(DynamoDbTablesTest, AuditSameMillisecondKeepsAppendOrder) {
  std::vector<std::string> types;
  for (int i = 0; i < 20; ++i) {
    types.push_back("EVENT_" + std::to_string(100 + i));
    AuditEvent e = Event("d", types.back(), kT0);
    ASSERT_TRUE(audit_->Append(e).ok());
  }
  auto events = audit_->List("d");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), types.size());
  for (size_t i = 0; i < types.size(); ++i) EXPECT_EQ((*events)[i].event_type, types[i]);
}

TEST_F(DynamoDbTablesTest, AuditExplicitIdsAreKeptAndUnique) {
  AuditEvent e = Event("d", "LEASE_EXPIRED", kT0);
  e.event_id = "2026-11-22T04:55:10.000Z#deadbeef";
  ASSERT_TRUE(audit_->Append(e).ok());
  EXPECT_EQ(e.event_id, "2026-11-22T04:55:10.000Z#deadbeef");
  AuditEvent dup = e;
  dup.worker_id = "w2";
  EXPECT_TRUE(audit_->Append(dup).IsConflict());

  AuditEvent no_time = Event("d", "X", 0);
  EXPECT_EQ(audit_->Append(no_time).code(), Status::Code::kInvalidInput);
  AuditEvent no_doc = Event("", "X", kT0);
  EXPECT_EQ(audit_->Append(no_doc).code(), Status::Code::kInvalidInput);
  AuditEvent huge = Event("d", "STAGE_COMPLETED", kT0);
  huge.details["blob"] = std::string(kMaxItemBytes, 'x');
  EXPECT_EQ(audit_->Append(huge).code(), Status::Code::kInvalidInput);
  auto events = audit_->List("d");
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].worker_id, "w1");
}

TEST_F(DynamoDbTablesTest, AuditIdsAreUniqueAcrossConcurrentWriters) {
  constexpr int kWriters = 4, kEvents = 15;
  std::vector<AuditLogPtr> logs;
  for (int i = 0; i < kWriters; ++i) logs.push_back(NewDynamoDbAuditLog(*client_, names_.audit));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < kEvents; ++k) {
        std::string type = "W";
        type.append(std::to_string(i)).append("_").append(std::to_string(100 + k));
        AuditEvent e = Event("d", type, kT0);  // same ms
        if (!logs[i]->Append(e).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto events = audit_->List("d");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), static_cast<size_t>(kWriters * kEvents));
  std::set<std::string> ids;
  std::map<std::string, std::vector<std::string>> per_writer;
  for (const auto& e : *events) {
    ids.insert(e.event_id);
    per_writer[e.event_type.substr(0, 2)].push_back(e.event_type);
  }
  EXPECT_EQ(ids.size(), events->size());
  for (const auto& [writer, types] : per_writer) {
    EXPECT_TRUE(std::is_sorted(types.begin(), types.end())) << writer << " kept its append order";
  }
}

// ---------------------------------------------------------------------------
// Metrics

TEST_F(DynamoDbTablesTest, MetricsAddGetAndListDays) {
  MetricsTable& t = *metrics_;
  ASSERT_TRUE(t.Add("2026-11-22", "pages", 10).ok());
  ASSERT_TRUE(t.Add("2026-11-22", "pages", 2.5).ok());
  ASSERT_TRUE(t.Add("2026-11-22", "documents_failed", 1).ok());
  ASSERT_TRUE(t.Add("2026-11-22", "stage_duration_ms#extract#b012", 1).ok());
  ASSERT_TRUE(t.Add("2026-11-20", "pages", 1).ok());
  ASSERT_TRUE(t.Add("2026-11-21", "pages", 0.1).ok());
  ASSERT_TRUE(t.Add("2026-11-21", "pages", 0.2).ok());
  auto day = t.GetDay("2026-11-22");
  ASSERT_TRUE(day.ok()) << day.status().ToString();
  EXPECT_EQ(day->size(), 3u);
  EXPECT_DOUBLE_EQ(day->at("pages"), 12.5);
  EXPECT_DOUBLE_EQ(day->at("documents_failed"), 1);
  EXPECT_DOUBLE_EQ(day->at("stage_duration_ms#extract#b012"), 1);
  EXPECT_DOUBLE_EQ(t.GetDay("2026-11-21")->at("pages"), 0.3) << "decimal arithmetic on the server";
  EXPECT_TRUE(t.GetDay("2026-01-01")->empty());
  auto days = t.ListDays();  // 5 items in pages of 2, days repeated across pages
  ASSERT_TRUE(days.ok()) << days.status().ToString();
  EXPECT_EQ(*days, (std::vector<std::string>{"2026-11-20", "2026-11-21", "2026-11-22"}));
  EXPECT_EQ(t.Add("", "pages", 1).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(t.Add("2026-11-22", "pages", std::nan("")).code(), Status::Code::kInvalidInput);
}

TEST_F(DynamoDbTablesTest, MetricsSetReplacesTheValue) {
  MetricsTable& t = *metrics_;
  ASSERT_TRUE(t.Add("2026-11-22", "pages", 4).ok());
  ASSERT_TRUE(t.Set("2026-11-22", "head_queue_visible", 7).ok());
  ASSERT_TRUE(t.Set("2026-11-22", "head_queue_visible", 3).ok());  // replaced, not added
  ASSERT_TRUE(t.Set("2026-11-22", "head_queue_visible", 3).ok());
  auto day = t.GetDay("2026-11-22");
  ASSERT_TRUE(day.ok()) << day.status().ToString();
  EXPECT_DOUBLE_EQ(day->at("head_queue_visible"), 3);
  EXPECT_DOUBLE_EQ(day->at("pages"), 4);
  EXPECT_EQ(t.Set("", "x", 1).code(), Status::Code::kInvalidInput);
}

TEST_F(DynamoDbTablesTest, MetricsConcurrentAddsAreAtomic) {
  constexpr int kThreads = 4, kAdds = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // Half the threads share the fixture's adapter, half have their own.
      MetricsTablePtr own = i % 2 ? NewDynamoDbMetricsTable(*client_, names_.metrics) : nullptr;
      MetricsTable* t = own ? own.get() : metrics_.get();
      for (int k = 0; k < kAdds; ++k) {
        if (!t->Add("2026-11-22", "chunks", 1).ok()) ++failures;
        if (!t->Add("2026-11-22", "tokens", 0.5).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto day = metrics_->GetDay("2026-11-22");
  ASSERT_TRUE(day.ok());
  EXPECT_DOUBLE_EQ(day->at("chunks"), kThreads * kAdds);
  EXPECT_DOUBLE_EQ(day->at("tokens"), kThreads * kAdds * 0.5);
}

// ---------------------------------------------------------------------------
// Provisioning

TEST_F(DynamoDbTablesTest, ProvisionedTablesMatchTheSchema) {
  json d = Boto3(R"py(
out = {}
for key in ('CONTROL', 'AUDIT', 'METRICS'):
    name = os.environ[key]
    t = c.describe_table(TableName=name)['Table']
    out[key] = {
        'keys': [[k['AttributeName'], k['KeyType']] for k in t['KeySchema']],
        'attrs': sorted([a['AttributeName'], a['AttributeType']] for a in t['AttributeDefinitions']),
        'gsis': sorted([g['IndexName'], [[k['AttributeName'], k['KeyType']] for k in g['KeySchema']],
                        g['Projection']['ProjectionType'], g['IndexStatus']] for g in t.get('GlobalSecondaryIndexes', [])),
        'status': t['TableStatus'],
        'billing': t.get('BillingModeSummary', {}).get('BillingMode'),
        'sse': t.get('SSEDescription', {}).get('Status'),
        'ttl': c.describe_time_to_live(TableName=name)['TimeToLiveDescription'],
    }
print(json.dumps(out))
)py");
  const json control = d["CONTROL"];
  EXPECT_EQ(control["keys"], json::parse(R"([["document_id","HASH"],["processing_version","RANGE"]])"));
  EXPECT_EQ(control["attrs"],
            json::parse(R"([["current_stage","S"],["document_id","S"],["processing_version","S"],
                                              ["status","S"],["updated_at","S"]])"));
  EXPECT_EQ(control["gsis"], json::parse(R"([
      ["current-stage-index", [["current_stage","HASH"],["updated_at","RANGE"]], "ALL", "ACTIVE"],
      ["status-updated-index", [["status","HASH"],["updated_at","RANGE"]], "ALL", "ACTIVE"]])"));
  EXPECT_EQ(d["AUDIT"]["keys"], json::parse(R"([["document_id","HASH"],["event_id","RANGE"]])"));
  // The dashboard's counts of one event type over time (AuditLog::Count).
  EXPECT_EQ(d["AUDIT"]["gsis"], json::parse(R"([
      ["event-type-index", [["event_type","HASH"],["event_id","RANGE"]], "ALL", "ACTIVE"]])"));
  EXPECT_EQ(d["METRICS"]["keys"], json::parse(R"([["date","HASH"],["metric","RANGE"]])"));
  for (const char* t : {"CONTROL", "AUDIT", "METRICS"}) {
    EXPECT_EQ(d[t]["status"], "ACTIVE") << t;
    EXPECT_EQ(d[t]["billing"], "PAY_PER_REQUEST") << t;
    EXPECT_EQ(d[t]["sse"], "ENABLED") << t;
  }
  EXPECT_EQ(control["ttl"], json::parse(R"({"TimeToLiveStatus":"ENABLED","AttributeName":"ttl"})"));
  EXPECT_EQ(d["AUDIT"]["ttl"], json::parse(R"({"TimeToLiveStatus":"ENABLED","AttributeName":"ttl"})"));
  EXPECT_EQ(d["METRICS"]["ttl"]["TimeToLiveStatus"], "DISABLED") << "daily counters are kept";
}

TEST_F(DynamoDbTablesTest, ProvisioningTwiceIsANoOp) {
  ControlRecord r = NewRecord("a", 1, DocStatus::kPending, kT0);
  ASSERT_TRUE(control_->Create(r).ok());
  http_->TakeOps();
  ASSERT_TRUE(ProvisionDynamoDbTables(*client_, names_, 30'000).ok());
  for (const std::string& op : http_->TakeOps()) {
    EXPECT_TRUE(op == "DescribeTable" || op == "DescribeTimeToLive") << "second provisioning wrote: " << op;
  }
  EXPECT_EQ(control_->Get("a", "000001")->revision, 1) << "existing items are untouched";
}

TEST_F(DynamoDbTablesTest, ProvisioningRejectsTablesWithAnotherShape) {
  // Tables made by someone else: a control table keyed differently and
  // without the stage index, an audit table with TTL on another attribute.
  Boto3(R"py(
S = lambda n: {'AttributeName': n, 'AttributeType': 'S'}
c.create_table(TableName='other-control', BillingMode='PAY_PER_REQUEST',
    AttributeDefinitions=[S('document_id'), S('version'), S('status'), S('updated_at')],
    KeySchema=[{'AttributeName': 'document_id', 'KeyType': 'HASH'}, {'AttributeName': 'version', 'KeyType': 'RANGE'}],
    GlobalSecondaryIndexes=[{'IndexName': 'status-updated-index', 'Projection': {'ProjectionType': 'KEYS_ONLY'},
        'KeySchema': [{'AttributeName': 'status', 'KeyType': 'HASH'}, {'AttributeName': 'updated_at', 'KeyType': 'RANGE'}]}])
c.create_table(TableName='other-audit', BillingMode='PAY_PER_REQUEST',
    AttributeDefinitions=[S('document_id'), S('event_id'), S('event_type')],
    KeySchema=[{'AttributeName': 'document_id', 'KeyType': 'HASH'}, {'AttributeName': 'event_id', 'KeyType': 'RANGE'}],
    GlobalSecondaryIndexes=[{'IndexName': 'event-type-index', 'Projection': {'ProjectionType': 'ALL'},
        'KeySchema': [{'AttributeName': 'event_type', 'KeyType': 'HASH'}, {'AttributeName': 'event_id', 'KeyType': 'RANGE'}]}])
c.update_time_to_live(TableName='other-audit', TimeToLiveSpecification={'Enabled': True, 'AttributeName': 'expires'})
c.create_table(TableName='old-audit', BillingMode='PAY_PER_REQUEST',
    AttributeDefinitions=[S('document_id'), S('event_id')],
    KeySchema=[{'AttributeName': 'document_id', 'KeyType': 'HASH'}, {'AttributeName': 'event_id', 'KeyType': 'RANGE'}])
print('{}')
)py");
  DynamoDbTableNames names = names_;
  names.control = "other-control";
  Status s = ProvisionDynamoDbTables(*client_, names, 30'000);
  ASSERT_EQ(s.code(), Status::Code::kInvalidInput) << s.ToString();
  EXPECT_NE(s.message().find("other-control"), std::string::npos) << s.message();
  EXPECT_NE(
      s.message().find("key schema is [document_id S HASH, version S RANGE], expected [document_id S HASH, "
                       "processing_version S RANGE]"),
      std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("index current-stage-index is missing"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("index status-updated-index projects KEYS_ONLY, expected ALL"),
            std::string::npos)
      << s.message();

  names = names_;
  names.audit = "other-audit";
  s = ProvisionDynamoDbTables(*client_, names, 30'000);
  ASSERT_EQ(s.code(), Status::Code::kInvalidInput) << s.ToString();
  EXPECT_NE(s.message().find("other-audit has TTL on attribute 'expires'"), std::string::npos) << s.message();

  // An audit table made before the dashboard: without its event-type-index.
  names.audit = "old-audit";
  s = ProvisionDynamoDbTables(*client_, names, 30'000);
  ASSERT_EQ(s.code(), Status::Code::kInvalidInput) << s.ToString();
  EXPECT_NE(s.message().find("old-audit"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("index event-type-index is missing"), std::string::npos) << s.message();
}

TEST(DynamoDbTableDefinitions, AreTheSchemaAsData) {
  DynamoDbTableNames names;
  auto requests = DynamoDbCreateTableRequests(names);
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0]["TableName"], "docpipe-control");
  EXPECT_EQ(requests[1]["TableName"], "docpipe-audit");
  EXPECT_EQ(requests[2]["TableName"], "docpipe-metrics");
  for (const json& r : requests) {
    EXPECT_EQ(r["BillingMode"], "PAY_PER_REQUEST");
    EXPECT_EQ(r["SSESpecification"], json({{"Enabled", true}}));
  }
  const json& gsis = requests[0]["GlobalSecondaryIndexes"];
  ASSERT_EQ(gsis.size(), 2u);
  EXPECT_EQ(gsis[0]["IndexName"], "status-updated-index");
  EXPECT_EQ(gsis[1]["IndexName"], "current-stage-index");
  EXPECT_EQ(gsis[1]["KeySchema"][0]["AttributeName"], "current_stage");
  EXPECT_EQ(gsis[1]["Projection"]["ProjectionType"], "ALL");
  EXPECT_EQ(DynamoDbTimeToLiveAttributes(names),
            (std::map<std::string, std::string>{{"docpipe-control", "ttl"}, {"docpipe-audit", "ttl"}}));
}

// ---------------------------------------------------------------------------
// Marshalling

TEST(DynamoDbMarshalling, RoundTripsJson) {
  json v = {{"s", "text"},
            {"empty", ""},
            {"i", -42},
            {"big", 9'007'199'254'740'993LL},
            {"u", 18'000'000'000'000'000'000ULL},
            {"d", 0.1},
            {"tiny", 1.5e-7},
            {"huge", 1e20},
            {"whole", 2.0},
            {"t", true},
            {"f", false},
            {"null", nullptr},
            {"list", {1, "a", json::object()}},
            {"map", {{"k", {{"n", 1}}}}}};
  auto item = JsonToItem(v);
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  EXPECT_EQ((*item)["s"], json({{"S", "text"}}));
  EXPECT_EQ((*item)["empty"], json({{"S", ""}}));
  EXPECT_EQ((*item)["i"], json({{"N", "-42"}}));
  EXPECT_EQ((*item)["big"], json({{"N", "9007199254740993"}}));
  EXPECT_EQ((*item)["d"], json({{"N", "0.1"}}));
  EXPECT_EQ((*item)["whole"], json({{"N", "2"}}));
  EXPECT_EQ((*item)["null"], json({{"NULL", true}}));
  EXPECT_EQ((*item)["list"]["L"][2], json({{"M", json::object()}}));
  auto back = ItemToJson(*item);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, v);
  EXPECT_TRUE((*back)["big"].is_number_integer()) << "integers beyond 2^53 stay exact";
  EXPECT_EQ((*back)["tiny"].get<double>(), 1.5e-7);

  for (double d : {1.0 / 3, 123456.789, 5e-324, 1.7976931348623157e308, -0.0}) {
    auto av = JsonToAttributeValue(d);
    ASSERT_TRUE(av.ok());
    auto j = AttributeValueToJson(*av);
    ASSERT_TRUE(j.ok()) << (*av).dump();
    EXPECT_EQ(j->get<double>(), d) << (*av).dump();
  }
}

TEST(DynamoDbMarshalling, ReadsWhatOthersWrite) {
  // DynamoDB may normalise or write numbers its own way; sets read as lists.
  EXPECT_EQ(*AttributeValueToJson({{"N", "2.50"}}), 2.5);
  EXPECT_TRUE(AttributeValueToJson({{"N", "7"}})->is_number_integer());
  EXPECT_EQ(*AttributeValueToJson({{"N", "1E+2"}}), 100.0);
  EXPECT_EQ(*AttributeValueToJson({{"SS", json::array({"a", "b"})}}), json::array({"a", "b"}));
  EXPECT_EQ(*AttributeValueToJson({{"NS", {"1", "2.5"}}}), json({1, 2.5}));
  EXPECT_EQ(AttributeValueToJson({{"B", "AAEC"}}).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(AttributeValueToJson({{"N", "abc"}}).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(AttributeValueToJson(json::object()).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(JsonToAttributeValue(std::numeric_limits<double>::infinity()).status().code(),
            Status::Code::kInvalidInput);
  EXPECT_EQ(JsonToItem(json::array()).status().code(), Status::Code::kInvalidInput);
}

}  // namespace
}  // namespace docpipe
