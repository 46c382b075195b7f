// The DynamoDB adapters of the control, audit and metrics tables against a
// real moto_server, with boto3 as an independent client where the stored item
// itself matters. The ports' contract runs against this adapter and SQLite's
// in tables_conformance_test.cpp; here is what only DynamoDB does: the
// requests sent, paging, the stored items, lost answers and provisioning.
#include "tables/dynamodb_tables.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <utility>

#include "http/curl_http_client.h"
#include "support/moto_fixture.h"
#include "unit/tables/table_records.h"

namespace docpipe {
namespace {

using json = nlohmann::json;

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

// The process's moto_server; every test provisions its own set of tables
// (named after the test), so tests cannot see each other's items.
class DynamoDbTablesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Serialized: moto's threaded server does not make conditional writes
    // atomic under concurrency (see MotoServerOptions), DynamoDB does.
    std::string error;
    moto_ = testing::SharedMotoServer(&error, {.serialize_requests = true});
    // No moto, no test: fail loudly with the reason instead of skipping.
    ASSERT_NE(moto_, nullptr) << testing::MotoStartFailure(error);
    aws_ = std::make_unique<testing::MotoAwsClient>(*moto_, "dynamodb", &http_);
    client_ = &aws_->client();
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
    http_.TakeOps();
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

  testing::MotoServer* moto_ = nullptr;
  HttpClientPtr curl_ = NewCurlHttpClient();
  RecordingHttp http_{*curl_};
  std::unique_ptr<testing::MotoAwsClient> aws_;
  AwsClient* client_ = nullptr;

  DynamoDbTableNames names_;
  ControlTablePtr control_;
  AuditLogPtr audit_;
  MetricsTablePtr metrics_;
};

// ---------------------------------------------------------------------------
// Control table

// (That they are InvalidInput is the contract's.)
TEST_F(DynamoDbTablesTest, RecordsWithoutKeyOrOverBudgetAreRejectedBeforeAnyRequest) {
  ControlRecord no_key;
  ControlRecord big = NewRecord("big", 1, DocStatus::kPending, kT0);
  big.stage_status["extract"].metrics["blob"] = std::string(kMaxItemBytes, 'x');
  for (ControlRecord* r : {&no_key, &big}) EXPECT_FALSE(control_->Create(*r).ok());
  EXPECT_TRUE(http_.TakeOps().empty()) << "rejected before any request";
}

TEST_F(DynamoDbTablesTest, ListVersionsFollowsThePages) {
  for (int v : {2, 1, 10}) {
    ControlRecord r = NewRecord("doc", v, DocStatus::kCompleted, kT0 + v);
    ASSERT_TRUE(control_->Create(r).ok());
  }
  http_.TakeOps();
  auto versions = control_->ListVersions("doc");  // pages of 2
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[0].processing_version, "000001");
  EXPECT_EQ((*versions)[1].processing_version, "000002");
  EXPECT_EQ((*versions)[2].processing_version, "000010");
  EXPECT_GE(http_.TakeOps().size(), 2u) << "the listing crossed a page boundary";
}

TEST_F(DynamoDbTablesTest, UpdateIsOneConditionalUpdateItem) {
  ControlRecord r = NewRecord("a", 1, DocStatus::kPending, kT0);
  ASSERT_TRUE(control_->Create(r).ok());
  http_.TakeOps();
  r.status = DocStatus::kInProgress;
  ASSERT_TRUE(control_->Update(r).ok());
  EXPECT_EQ(http_.TakeOps(), (std::vector<std::string>{"UpdateItem"}));
  ControlRecord stale = r;
  stale.revision = 1;
  stale.lease_owner = "w2";
  EXPECT_TRUE(control_->Update(stale).IsConflict());
  EXPECT_EQ(http_.TakeOps(), (std::vector<std::string>{"UpdateItem"}))
      << "the stored item comes back with the failed condition: no second read";

  // A second call writing a record identical to the stored one, from the
  // revision before it, is another writer (two threads of one worker
  // claiming in the same millisecond), not a retry of the call that wrote it:
  // the write token tells them apart (a call's own retries:
  // RetriedWritesWhoseFirstAnswerWasLostSucceed).
  ControlRecord same = r;
  same.revision = 1;
  EXPECT_TRUE(control_->Update(same).IsConflict());
  EXPECT_EQ(same.revision, 1);
}

// The stored items (the round trip itself is the contract's).
TEST_F(DynamoDbTablesTest, UpdateRemovesClearedAttributesAndHandlesReservedWords) {
  ControlRecord r = ClaimedRecord("a");
  ASSERT_TRUE(control_->Create(r).ok());
  json before = RawControlItem("a", "000001");
  for (const char* name : {"ttl", "lease_expires_at", "next_attempt_at", "current_stage", "status"}) {
    EXPECT_TRUE(before.contains(name)) << name << " in " << before.dump();
  }
  EXPECT_EQ(before["ttl"], json({{"N", "1900000000"}}));
  EXPECT_EQ(before["status"], json({{"S", "IN_PROGRESS"}}));
  EXPECT_EQ(before["stage_status"]["M"]["extract"]["M"]["started_at"],
            json({{"S", "2026-11-22T04:55:10.000Z"}}));

  ReleaseClaim(r);
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
}

TEST_F(DynamoDbTablesTest, ListByStatusStopsPagingAtTheLimit) {
  // Many more than a page: the limit stops paging, the order holds across pages.
  for (int i = 0; i < 9; ++i) {
    // (Not "p" + std::to_string(i): GCC 12 at -O3 warns about it, a false -Wstringop-overflow.)
    ControlRecord r = NewRecord(fmt::format("p{}", i), 1, DocStatus::kPending, kT0 + 100 + i);
    ASSERT_TRUE(control_->Create(r).ok());
  }
  http_.TakeOps();
  auto pending = control_->List(DocStatus::kPending, 5);
  ASSERT_TRUE(pending.ok());
  std::vector<std::string> ids;
  for (const auto& r : *pending) ids.push_back(r.document_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"p8", "p7", "p6", "p5", "p4"}));
  EXPECT_EQ(http_.TakeOps().size(), 3u) << "pages of 2, 2 and the last 1";
  EXPECT_EQ(control_->List(DocStatus::kPending, 0)->size(), 9u) << "limit 0 lists all";
}

// The server applied the write but its answer never arrived; the client's
// retry then fails the condition against its own write. The adapters
// recognise their item in the failure and report success, as SQLite would.
TEST_F(DynamoDbTablesTest, RetriedWritesWhoseFirstAnswerWasLostSucceed) {
  ControlRecord r = NewRecord("a", 1, DocStatus::kPending, kT0);
  http_.LoseNextAnswers("PutItem", 1);
  Status s = control_->Create(r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.revision, 1);
  EXPECT_EQ(http_.TakeOps(), (std::vector<std::string>{"PutItem", "PutItem"}));

  r.status = DocStatus::kInProgress;
  r.lease_owner = "w1";
  http_.LoseNextAnswers("UpdateItem", 1);
  s = control_->Update(r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.revision, 2);
  EXPECT_EQ(http_.TakeOps(), (std::vector<std::string>{"UpdateItem", "UpdateItem"}));
  EXPECT_EQ(control_->Get("a", "000001")->revision, 2);

  AuditEvent e;
  e.document_id = "a";
  e.event_type = "DOCUMENT_RECEIVED";
  e.time = kT0;
  http_.LoseNextAnswers("PutItem", 1);
  ASSERT_TRUE(audit_->Append(e).ok());
  auto events = audit_->List("a");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u) << "the retry did not append a second copy";
  EXPECT_EQ((*events)[0].event_id, e.event_id);

  // A metric ADD is not idempotent: with its answer lost it is not retried,
  // so the caller sees the failure and the counter holds exactly one add.
  http_.LoseNextAnswers("UpdateItem", 1);
  EXPECT_EQ(metrics_->Add("2026-11-22", "pages", 5).code(), Status::Code::kTimeout);
  EXPECT_EQ(http_.TakeOps().back(), "UpdateItem");
  EXPECT_DOUBLE_EQ(metrics_->GetDay("2026-11-22")->at("pages"), 5);
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
  http_.TakeOps();
  ASSERT_TRUE(ProvisionDynamoDbTables(*client_, names_, 30'000).ok());
  for (const std::string& op : http_.TakeOps()) {
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
