// The AWS shape end to end against a real moto_server, verified with boto3 as
// an independent client: provision, S3 upload, the S3-event Lambda handler,
// two scale-out workers, a worker killed mid-document, a poison document, and
// a run with every peer behind a fault-injecting proxy.
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/ai_fakes.h"
#include "e2e/cli_fixture.h"
#include "unit/index/fake_pinecone.h"
#include "support/moto_server.h"

namespace docpipe::testing {
namespace {

const std::vector<std::string> kPdfs = {"/usr/share/doc/glpk-doc/gmpl.pdf", "/usr/share/doc/glpk-doc/graphs.pdf",
                                        "/usr/share/doc/libtasn1-doc/libtasn1.pdf"};
const std::vector<std::string> kStages = {"extract", "chunk", "enrich", "embed", "load"};

class AwsPipelineTest : public ::testing::Test {
 protected:
  // A failed start fails every test (in SetUp), never skips them.
  static void SetUpTestSuite() { moto_ = MotoServer::Start(&start_error_).release(); }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(moto_, nullptr) << "moto_server is required for the AWS tests: " << start_error_;
    // Each test gets its own bucket, tables and queues on the shared server.
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    prefix_ = "t" + std::to_string(++counter_) + "-" + std::to_string(getpid());
    env_ = moto_->DocpipeEnv(prefix_);
    env_["DOCPIPE_WORKSPACE"] = dir_.Join("ws-" + name);
    // No stray credentials from the machine.
    env_["AWS_SHARED_CREDENTIALS_FILE"] = dir_.Join("no-credentials");
    env_["AWS_CONFIG_FILE"] = dir_.Join("no-config");
  }

  ProcessResult Run(const std::vector<std::string>& args, const EnvOverrides& extra = {}, int timeout_s = 300) {
    std::vector<std::string> argv = {DOCPIPE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    EnvOverrides env = env_;
    for (const auto& [k, v] : extra) env[k] = v;
    return RunProcess(argv, env, timeout_s);
  }

  std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& args, const EnvOverrides& extra = {}) {
    std::vector<std::string> argv = {DOCPIPE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    EnvOverrides env = env_;
    for (const auto& [k, v] : extra) env[k] = v;
    return std::make_unique<ChildProcess>(argv, env);
  }

  // Runs a boto3 script that prints one JSON document; the script sees the
  // test's resource names as environment variables.
  nlohmann::json Boto3(const std::string& script) {
    ProcessResult r = RunBoto3(*moto_, "import boto3, json, os, sys, urllib.parse\n" + script, env_);
    EXPECT_EQ(r.exit_code, 0) << "boto3 script failed:\n" << script << "\nstderr: " << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "boto3 script printed no JSON: " << r.out << "\nstderr: " << r.err;
    return j;
  }

  void Provision(const EnvOverrides& extra = {}) {
    ProcessResult r = Run({"provision"}, extra);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  // Uploads local files to input/<name> with boto3 and writes the S3 event
  // notification S3 would send for them (keys URL-encoded, '+' for space).
  std::string UploadAndMakeEvent(const std::vector<std::pair<std::string, std::string>>& files) {
    nlohmann::json pairs = nlohmann::json::array();
    for (const auto& [path, key] : files) pairs.push_back({path, key});
    std::string event_path = dir_.Join(prefix_ + "-event.json");
    nlohmann::json out = Boto3(
        "s3 = boto3.client('s3')\nb = os.environ['S3_BUCKET']\nrecords = []\n"
        "for path, key in json.loads('" + pairs.dump() + "'):\n"
        "    s3.upload_file(path, b, key)\n"
        "    h = s3.head_object(Bucket=b, Key=key)\n"
        "    records.append({'eventVersion': '2.1', 'eventSource': 'aws:s3', 'awsRegion': 'us-east-1',\n"
        "        'eventTime': '2026-11-26T08:00:00.000Z', 'eventName': 'ObjectCreated:Put',\n"
        "        's3': {'s3SchemaVersion': '1.0', 'bucket': {'name': b, 'arn': 'arn:aws:s3:::' + b},\n"
        "               'object': {'key': urllib.parse.quote_plus(key, safe='/'), 'size': h['ContentLength'],\n"
        "                          'eTag': h['ETag'].strip('\"'), 'sequencer': '0A1B2C3D4E5F678901'}}})\n"
        "json.dump({'Records': records}, open('" + event_path + "', 'w'))\n"
        "print(json.dumps({'records': len(records)}))\n");
    EXPECT_EQ(out.value("records", 0), static_cast<int>(files.size()));
    return event_path;
  }

  // Every control item, with boto3.
  nlohmann::json ControlItems() {
    return Boto3(
        "t = boto3.resource('dynamodb').Table(os.environ['DYNAMODB_CONTROL_TABLE'])\n"
        "items = t.scan(ConsistentRead=True)['Items']\n"
        "print(json.dumps(items, default=lambda d: int(d) if d == int(d) else float(d)))\n");
  }

  nlohmann::json AuditOf(const std::string& document_id) {
    return Boto3(
        "from boto3.dynamodb.conditions import Key\n"
        "t = boto3.resource('dynamodb').Table(os.environ['DYNAMODB_AUDIT_TABLE'])\n"
        "r = t.query(KeyConditionExpression=Key('document_id').eq('" + document_id + "'), ConsistentRead=True)\n"
        "print(json.dumps(r['Items'], default=lambda d: int(d) if d == int(d) else float(d)))\n");
  }

  nlohmann::json QueueDepths() {
    return Boto3(
        "sqs = boto3.client('sqs')\nout = {}\n"
        "for role in ['SQS_QUEUE_NAME', 'SQS_DLQ_NAME']:\n"
        "    url = sqs.get_queue_url(QueueName=os.environ[role])['QueueUrl']\n"
        "    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['All'])['Attributes']\n"
        "    out[role] = {k: int(a[k]) for k in ['ApproximateNumberOfMessages',\n"
        "        'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed']}\n"
        "print(json.dumps(out))\n");
  }

  static int64_t Total(const nlohmann::json& depth) {
    int64_t n = 0;
    for (const auto& [k, v] : depth.items()) n += v.get<int64_t>();
    return n;
  }

  static MotoServer* moto_;
  static std::string start_error_;
  static int counter_;
  std::string prefix_;
  EnvOverrides env_;
  TempDir dir_;
};

MotoServer* AwsPipelineTest::moto_ = nullptr;
std::string AwsPipelineTest::start_error_;
int AwsPipelineTest::counter_ = 0;

TEST_F(AwsPipelineTest, LambdaRegistersAndTwoWorkersProcessEverything) {
  Provision();
  std::vector<std::pair<std::string, std::string>> files;
  for (const std::string& pdf : kPdfs) {
    files.push_back({pdf, "input/manuals/" + std::filesystem::path(pdf).filename().string()});
  }
  // A key S3 URL-encodes: spaces become '+', a literal '+' becomes %2B.
  WriteFile(dir_.Join("notes.md"), "# Release notes\n\nThe frobnicator now supports C++ and plus signs.\n");
  files.push_back({dir_.Join("notes.md"), "input/team notes/c++ & more.md"});
  std::string event = UploadAndMakeEvent(files);

  ProcessResult lambda = Run({"lambda", "--event", event});
  ASSERT_EQ(lambda.exit_code, 0) << lambda.out << lambda.err;
  nlohmann::json summary = nlohmann::json::parse(lambda.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << lambda.out;
  EXPECT_EQ(summary.value("registered", -1), 4) << summary.dump();
  // S3 delivers at least once: the same event again registers nothing new.
  ProcessResult again = Run({"lambda", "--event", event});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out, nullptr, false).value("duplicates", -1), 4) << again.out;

  auto a = Start({"worker", "--drain", "--concurrency", "2"});
  auto b = Start({"worker", "--drain", "--concurrency", "1"});
  ProcessResult ra = a->Wait(600), rb = b->Wait(600);
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;

  // boto3 sees what docpipe wrote.
  nlohmann::json items = ControlItems();
  ASSERT_EQ(items.size(), 4u) << items.dump(1);
  std::set<std::string> sources;
  for (const auto& item : items) {
    SCOPED_TRACE(item.value("source_key", ""));
    sources.insert(item["source_key"].get<std::string>());
    EXPECT_EQ(item["status"], "COMPLETED") << item.dump(1);
    EXPECT_EQ(item["processing_version"], "000001");
    for (const std::string& stage : kStages) EXPECT_EQ(item["stage_status"][stage]["status"], "COMPLETED");
    EXPECT_GT(item["chunk_count"].get<int>(), 0);
    std::string id = item["document_id"];
    nlohmann::json listing = Boto3(
        "s3 = boto3.client('s3')\nb = os.environ['S3_BUCKET']\nid = '" + id + "'\nout = {}\n"
        "for p in ['extracted/' + id + '/', 'chunks/' + id + '.json', 'enriched/' + id + '.json',\n"
        "          'embeddings/' + id + '.json', 'errors/' + id + '.json']:\n"
        "    out[p] = s3.list_objects_v2(Bucket=b, Prefix=p).get('KeyCount', 0)\n"
        "print(json.dumps(out))\n");
    EXPECT_GT(listing["extracted/" + id + "/"].get<int>(), 0) << listing.dump();
    EXPECT_EQ(listing["chunks/" + id + ".json"], 1);
    EXPECT_EQ(listing["enriched/" + id + ".json"], 1);
    EXPECT_EQ(listing["embeddings/" + id + ".json"], 1);
    EXPECT_EQ(listing["errors/" + id + ".json"], 0);

    nlohmann::json audit = AuditOf(id);
    EXPECT_EQ(CountEvents(audit, "DOCUMENT_RECEIVED"), 1) << audit.dump(1);
    for (const std::string& stage : kStages) {
      EXPECT_EQ(CountEvents(audit, "STAGE_STARTED", stage), 1) << stage;
      EXPECT_EQ(CountEvents(audit, "STAGE_COMPLETED", stage), 1) << stage;
    }
    EXPECT_EQ(CountEvents(audit, "DOCUMENT_COMPLETED"), 1);
    ASSERT_FALSE(audit.empty());
    EXPECT_EQ(audit.back()["event_type"], "DOCUMENT_COMPLETED");  // time-ordered sort key
  }
  EXPECT_TRUE(sources.count("input/team notes/c++ & more.md")) << "URL-decoded key";

  nlohmann::json depths = QueueDepths();
  EXPECT_EQ(Total(depths["SQS_QUEUE_NAME"]), 0) << depths.dump();
  EXPECT_EQ(Total(depths["SQS_DLQ_NAME"]), 0) << depths.dump();

  // Both workers published their CloudWatch metrics before exiting.
  nlohmann::json cw = Boto3(
      "cw = boto3.client('cloudwatch')\nnames = {}\n"
      "for m in cw.list_metrics(Namespace='DocPipe')['Metrics']:\n"
      "    names.setdefault(m['MetricName'], []).append({d['Name']: d['Value'] for d in m.get('Dimensions', [])})\n"
      "import datetime\nnow = datetime.datetime.now(datetime.timezone.utc)\n"
      "s = cw.get_metric_statistics(Namespace='DocPipe', MetricName='DocumentsProcessed', Statistics=['Sum'],\n"
      "    StartTime=now - datetime.timedelta(hours=1), EndTime=now + datetime.timedelta(minutes=5), Period=3600)\n"
      "names['_processed'] = sum(p['Sum'] for p in s['Datapoints'])\n"
      "print(json.dumps(names))\n");
  for (const char* name : {"DocumentsProcessed", "PagesProcessed", "StageDuration"}) {
    EXPECT_TRUE(cw.contains(name)) << name << " missing: " << cw.dump();
  }
  std::set<std::string> stage_dims;
  for (const auto& d : cw["StageDuration"]) stage_dims.insert(d.value("Stage", ""));
  for (const std::string& stage : kStages) EXPECT_TRUE(stage_dims.count(stage)) << stage;
  EXPECT_EQ(cw["_processed"].get<double>(), 4.0) << cw.dump();

  // The daily metrics table counted every document once.
  nlohmann::json day = Boto3(
      "t = boto3.resource('dynamodb').Table(os.environ['DYNAMODB_METRICS_TABLE'])\n"
      "print(json.dumps({i['metric']: float(i['value']) for i in t.scan()['Items']}))\n");
  EXPECT_EQ(day.value("documents_completed", 0.0), 4.0) << day.dump();
  EXPECT_EQ(day.value("documents_received", 0.0), 4.0) << day.dump();

  // The CLI reads the same tables: status, audit and search work on AWS too.
  ProcessResult status = Run({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(nlohmann::json::parse(status.out, nullptr, false).size(), 4u) << status.out;
  ProcessResult search = Run({"search", "--json", "Abstract Syntax Notation One DER encoding"});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  nlohmann::json hits = nlohmann::json::parse(search.out, nullptr, false);
  ASSERT_FALSE(hits.is_discarded()) << search.out;
  ASSERT_FALSE(hits.empty());
  EXPECT_NE(hits.dump().find("libtasn1.pdf"), std::string::npos) << hits.dump(1).substr(0, 2000);
}

// One fault proxy (tests/support/fault_proxy.mjs) in front of `target`:
// a fixed share of requests get latency, connection resets before and after
// the peer acted, 5xx, truncated bodies or throttling, chosen by `seed`.
class FaultProxy {
 public:
  FaultProxy(const std::string& target, int seed, const std::string& port_file) {
    process_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "node", std::string(DOCPIPE_SOURCE_DIR) + "/tests/support/fault_proxy.mjs", "--target", target, "--seed",
        std::to_string(seed), "--share", "0.2", "--port-file", port_file, "--max-seconds", "900"});
    for (int i = 0; i < 200 && port_.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (std::filesystem::exists(port_file)) port_ = ReadFile(port_file);
    }
  }
  bool ok() const { return !port_.empty(); }
  std::string url() const { return "http://127.0.0.1:" + port_; }
  //! Stops the proxy; what it did, as it counted.
  nlohmann::json Stop() {
    process_->Signal(SIGTERM);
    ProcessResult r = process_->Wait(30);
    nlohmann::json counts = nlohmann::json::parse(r.out.substr(r.out.find('\n') + 1), nullptr, false);
    EXPECT_FALSE(counts.is_discarded()) << r.out << r.err;
    return counts;
  }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string port_;
};

// Issue 17: the AWS shape with every peer behind a fault proxy (20 % of the
// requests to moto, OpenAI, Comprehend and Pinecone fail or are slowed, with
// fixed seeds): registration by the Lambda and two workers must lose no
// document, run no stage twice and leave both queues empty. 20 small
// documents keep make test's share small; bench/faults/run.sh runs 200
// (DOCPIPE_FAULT_DOCUMENTS).
TEST_F(AwsPipelineTest, DocumentsThroughFaultyPeersAreAllProcessedOnce) {
  const int documents = std::getenv("DOCPIPE_FAULT_DOCUMENTS") ? std::atoi(std::getenv("DOCPIPE_FAULT_DOCUMENTS")) : 20;
  Provision();  // straight to moto: the faults are for the pipeline
  FakeOpenAi openai;
  FakeComprehend comprehend;
  FakePineconeOptions po;
  po.api_key = "pk-e2e-test";
  po.index_name = "docs";
  po.dimension = 256;
  FakePinecone pinecone(po);
  FaultProxy moto_proxy(moto_->endpoint(), 1701, dir_.Join("moto.port"));
  FaultProxy openai_proxy(openai.url(), 1702, dir_.Join("openai.port"));
  FaultProxy comprehend_proxy(comprehend.url(), 1703, dir_.Join("comprehend.port"));
  FaultProxy pinecone_proxy(pinecone.url(), 1704, dir_.Join("pinecone.port"));
  for (const FaultProxy* p : {&moto_proxy, &openai_proxy, &comprehend_proxy, &pinecone_proxy}) {
    ASSERT_TRUE(p->ok()) << "the fault proxy did not start: node and tests/support/fault_proxy.mjs are needed "
                            "(scripts/install-deps.sh test)";
  }

  std::vector<std::pair<std::string, std::string>> files;
  for (int i = 0; i < documents; ++i) {
    const std::string name = fmt::format("doc-{:03}.md", i);
    WriteFile(dir_.Join(name), fmt::format("# Report {}\n\nThe GLPK solver {} handled case {} for "
                                           "ops-{}@example.com.\n\n## Details\n\n- item {}\n- item {}\n",
                                           i, i * 7, i * 13, i, i, i + 1));
    files.push_back({dir_.Join(name), "input/faults/" + name});
  }
  std::string event = UploadAndMakeEvent(files);

  const EnvOverrides through_proxies = {{"AWS_ENDPOINT_URL", moto_proxy.url()},
                                        {"AWS_MAX_ATTEMPTS", "10"},
                                        {"DOCPIPE_ENRICHER", "comprehend"},
                                        {"AWS_ENDPOINT_URL_COMPREHEND", comprehend_proxy.url()},
                                        {"DOCPIPE_EMBEDDER", "openai"},
                                        {"OPENAI_BASE_URL", openai_proxy.url() + "/v1"},
                                        {"OPENAI_API_KEY", "sk-e2e-test"},
                                        {"OPENAI_DIMENSIONS", "256"},
                                        {"DOCPIPE_VECTOR_STORE", "pinecone"},
                                        {"PINECONE_API_KEY", "pk-e2e-test"},
                                        {"PINECONE_INDEX", "docs"},
                                        {"PINECONE_CONTROLLER_HOST", pinecone_proxy.url()},
                                        {"PINECONE_INDEX_HOST", pinecone_proxy.url()}};
  ProcessResult lambda = Run({"lambda", "--event", event}, through_proxies);
  ASSERT_EQ(lambda.exit_code, 0) << lambda.out << lambda.err;
  nlohmann::json summary = nlohmann::json::parse(lambda.out, nullptr, false);
  EXPECT_EQ(summary.value("registered", -1), documents) << lambda.out;

  auto a = Start({"worker", "--drain", "--concurrency", "2"}, through_proxies);
  auto b = Start({"worker", "--drain", "--concurrency", "1"}, through_proxies);
  ProcessResult ra = a->Wait(900), rb = b->Wait(900);
  EXPECT_EQ(ra.exit_code, 0) << ra.err.substr(0, 4000);
  EXPECT_EQ(rb.exit_code, 0) << rb.err.substr(0, 4000);

  // Every document once, every stage once, nothing left queued.
  nlohmann::json items = ControlItems();
  EXPECT_EQ(static_cast<int>(items.size()), documents) << items.dump(1).substr(0, 4000);
  int64_t chunks = 0;
  for (const auto& item : items) {
    SCOPED_TRACE(item.value("source_key", ""));
    EXPECT_EQ(item["status"], "COMPLETED") << item.dump(1);
    EXPECT_EQ(item["processing_version"], "000001");
    chunks += item.value("chunk_count", 0);
    nlohmann::json audit = AuditOf(item["document_id"]);
    EXPECT_EQ(CountEvents(audit, "DOCUMENT_RECEIVED"), 1) << audit.dump(1);
    for (const std::string& stage : kStages) {
      EXPECT_EQ(CountEvents(audit, "STAGE_STARTED", stage), 1) << stage << audit.dump(1);
      EXPECT_EQ(CountEvents(audit, "STAGE_COMPLETED", stage), 1) << stage;
    }
    EXPECT_EQ(CountEvents(audit, "DOCUMENT_COMPLETED"), 1);
  }
  nlohmann::json depths = QueueDepths();
  EXPECT_EQ(Total(depths["SQS_QUEUE_NAME"]), 0) << depths.dump();
  EXPECT_EQ(Total(depths["SQS_DLQ_NAME"]), 0) << depths.dump();
  EXPECT_EQ(static_cast<int64_t>(pinecone.Ids().size()), chunks);
  EXPECT_TRUE(openai.violations().empty()) << ::testing::PrintToString(openai.violations());
  EXPECT_TRUE(pinecone.violations().empty()) << ::testing::PrintToString(pinecone.violations());

  // The faults happened: every kind on the way to moto, some on each AI peer.
  nlohmann::json moto_counts = moto_proxy.Stop();
  std::cerr << "fault proxy counts: moto " << moto_counts.dump() << "\n";
  for (const char* kind : {"latency", "reset", "reset-after", "5xx", "truncate", "throttle"}) {
    EXPECT_GT(moto_counts.value(kind, 0), 0) << kind << " " << moto_counts.dump();
  }
  for (FaultProxy* p : {&openai_proxy, &comprehend_proxy, &pinecone_proxy}) {
    nlohmann::json c = p->Stop();
    std::cerr << "fault proxy counts: " << c.dump() << "\n";
    EXPECT_GT(c.value("requests", 0), 0) << c.dump();
  }
}

TEST_F(AwsPipelineTest, WorkerKilledMidDocumentIsTakenOverAndCompletesOnce) {
  // A short lease so the message reappears quickly after the kill.
  env_["DOCPIPE_LEASE_SECONDS"] = "4";
  Provision();
  std::string event = UploadAndMakeEvent({{kPdfs[1], "input/graphs.pdf"}});
  ASSERT_EQ(Run({"lambda", "--event", event}).exit_code, 0);

  // Worker A hangs in extract until killed.
  auto a = Start({"worker", "--concurrency", "1"}, {{"DOCPIPE_FAULT_EXTRACT_DELAY_MS", "600000"}});
  // Kill it once it has recorded the start of extract (the claim alone is
  // not enough: the audit event follows the claim).
  const std::string id = ControlItems()[0]["document_id"];
  bool started = false;
  for (int i = 0; i < 300 && !started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ProcessResult s = Run({"audit", id, "--json"});
    nlohmann::json trail = nlohmann::json::parse(s.out, nullptr, false);
    started = !trail.is_discarded() && CountEvents(trail, "STAGE_STARTED", "extract") == 1;
  }
  ASSERT_TRUE(started) << "worker A never started extract";
  a->Signal(SIGKILL);
  a->Wait(10);

  ProcessResult b = Run({"worker", "--drain"});
  ASSERT_EQ(b.exit_code, 0) << b.err;

  nlohmann::json items = ControlItems();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["status"], "COMPLETED") << items.dump(1);
  EXPECT_EQ(items[0]["retry_count"], 1);
  nlohmann::json audit = AuditOf(items[0]["document_id"]);
  EXPECT_EQ(CountEvents(audit, "LEASE_EXPIRED"), 1) << audit.dump(1);
  EXPECT_EQ(CountEvents(audit, "STAGE_STARTED", "extract"), 2);  // A's attempt and B's
  for (const std::string& stage : kStages) EXPECT_EQ(CountEvents(audit, "STAGE_COMPLETED", stage), 1) << stage;
  EXPECT_EQ(CountEvents(audit, "DOCUMENT_COMPLETED"), 1);
  nlohmann::json depths = QueueDepths();
  EXPECT_EQ(Total(depths["SQS_QUEUE_NAME"]) + Total(depths["SQS_DLQ_NAME"]), 0) << depths.dump();
}

TEST_F(AwsPipelineTest, PoisonDocumentReachesDeadLetterQueueAndIsFailed) {
  env_["DOCPIPE_LEASE_SECONDS"] = "2";
  env_["DOCPIPE_MAX_RECEIVE_COUNT"] = "2";
  env_["DOCPIPE_MAX_RETRIES"] = "10";  // the crashes, not the retry budget, must end it
  Provision();
  std::string event = UploadAndMakeEvent({{kPdfs[0], "input/poison.pdf"}});
  ASSERT_EQ(Run({"lambda", "--event", event}).exit_code, 0);

  // Every delivery kills its worker, as an out-of-memory kill would.
  const EnvOverrides crash = {{"DOCPIPE_FAULT_EXTRACT_CRASH", "1"}};
  for (int delivery = 1; delivery <= 2; ++delivery) {
    ProcessResult r = Run({"worker", "--drain", "--concurrency", "1"}, crash);
    EXPECT_EQ(r.exit_code, 128 + SIGKILL) << "delivery " << delivery << ": " << r.err;
  }
  // The third receive finds the message moved to the dead-letter queue; the
  // worker drains and its dead-letter sweep records the failure.
  ProcessResult last = Run({"worker", "--drain", "--concurrency", "1"}, crash);
  ASSERT_EQ(last.exit_code, 0) << last.err;

  nlohmann::json depths = QueueDepths();
  EXPECT_EQ(Total(depths["SQS_QUEUE_NAME"]), 0) << depths.dump();
  EXPECT_EQ(depths["SQS_DLQ_NAME"]["ApproximateNumberOfMessages"], 1) << depths.dump();
  nlohmann::json items = ControlItems();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["status"], "FAILED") << items.dump(1);
  EXPECT_NE(items[0].value("last_error", "").find("poison"), std::string::npos) << items.dump(1);
  std::string id = items[0]["document_id"];
  nlohmann::json audit = AuditOf(id);
  EXPECT_EQ(CountEvents(audit, "DOCUMENT_FAILED"), 1) << audit.dump(1);
  nlohmann::json err = Boto3("s3 = boto3.client('s3')\n"
                             "o = s3.get_object(Bucket=os.environ['S3_BUCKET'], Key='errors/" + id + ".json')\n"
                             "print(o['Body'].read().decode())\n");
  EXPECT_EQ(err.value("document_id", ""), id);

  // Once the cause is fixed (here: no more crash injection), `docpipe retry`
  // requeues it and an ordinary worker finishes it; the CLI reads DynamoDB.
  ProcessResult retry = Run({"retry", id, "--no-wait"});
  ASSERT_EQ(retry.exit_code, 0) << retry.out << retry.err;
  ProcessResult worker = Run({"worker", "--drain"});
  ASSERT_EQ(worker.exit_code, 0) << worker.err;
  ProcessResult cli_audit = Run({"audit", id, "--json"});
  ASSERT_EQ(cli_audit.exit_code, 0) << cli_audit.err;
  nlohmann::json trail = nlohmann::json::parse(cli_audit.out, nullptr, false);
  ASSERT_FALSE(trail.is_discarded()) << cli_audit.out;
  EXPECT_EQ(CountEvents(trail, "DOCUMENT_FAILED"), 1) << trail.dump(1);
  EXPECT_EQ(CountEvents(trail, "DOCUMENT_COMPLETED"), 1) << trail.dump(1);
  EXPECT_EQ(ControlItems()[0]["status"], "COMPLETED");
}

}  // namespace
}  // namespace docpipe::testing
