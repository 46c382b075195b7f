#include "queue/sqs_work_queue.h"

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/curl_http_client.h"
#include "support/moto_fixture.h"
#include "unit/queue/queue_helpers.h"

namespace docpipe {
namespace {

using testing::MotoServer;
using testing::RunBoto3;

class SqsStaticCredentials final : public CredentialsProvider {
 public:
  Result<AwsCredentials> Get() override { return AwsCredentials{"AKIDTESTMOTO", "motosecret", "", 0}; }
};

// An AwsClient and what it depends on, on a scripted transport.
struct TestAwsClient {
  TestAwsClient(HttpClient& http, const std::string& endpoint, int64_t timeout_ms = 30'000)
      : clock(NewSystemClock()),
        client(AwsServiceConfig{"us-east-1", "sqs", endpoint, 3, timeout_ms}, http, credentials, *clock, quota) {}
  SqsStaticCredentials credentials;
  std::unique_ptr<Clock> clock;
  RetryQuota quota;
  AwsClient client;
};

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count();
}

void SleepMs(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// ---------------------------------------------------------------------------
// Against a real moto_server. The port's contract (delivery, visibility,
// stale handles, delays, stats, dead letters, long polls, argument checks)
// runs against this adapter in work_queue_conformance_test.cpp; here is what
// only SQS does.

class SqsWorkQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    moto_ = testing::SharedMotoServer(&error);
    // No moto, no test: these tests fail rather than skip.
    ASSERT_NE(moto_, nullptr) << testing::MotoStartFailure(error);
    aws_ = std::make_unique<testing::MotoAwsClient>(*moto_, "sqs");
    // One pair of queues per test, named after it, so tests do not share messages.
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dlq_name_ = name_ + "-dlq";
  }

  AwsClient& sqs() { return aws_->client(); }

  // Provisions this test's queues and opens the work queue on them.
  WorkQueuePtr Provision(int max_receive_count = 5, int visibility_timeout_s = 1) {
    Status st = ProvisionSqsQueues(sqs(), name_, dlq_name_, max_receive_count, visibility_timeout_s);
    EXPECT_TRUE(st.ok()) << st.ToString();
    auto url = GetSqsQueueUrl(sqs(), name_);
    auto dlq = GetSqsQueueUrl(sqs(), dlq_name_);
    EXPECT_TRUE(url.ok() && dlq.ok()) << url.status().ToString() << " " << dlq.status().ToString();
    if (!url.ok() || !dlq.ok()) return nullptr;
    queue_url_ = *url;
    auto q = NewSqsWorkQueue(sqs(), SqsQueueOptions{*url, *dlq});
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? std::move(*q) : nullptr;
  }

  // Runs a boto3 script (an independent client) that prints one JSON value.
  nlohmann::json Boto3Json(const std::string& script) {
    testing::EnvOverrides env = {{"QUEUE_NAME", name_}, {"DLQ_NAME", dlq_name_}};
    testing::ProcessResult r =
        RunBoto3(*moto_, "import boto3, json, os\nsqs = boto3.client('sqs')\n" + script, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "boto3 printed: " << r.out << r.err;
    return j;
  }

  MotoServer* moto_ = nullptr;
  std::unique_ptr<testing::MotoAwsClient> aws_;
  std::string name_, dlq_name_, queue_url_;
};

TEST_F(SqsWorkQueueTest, CannotLookUpBodiesOrTellGarbageHandlesFromGone) {
  WorkQueuePtr q = Provision();
  ASSERT_NE(q, nullptr);
  const std::string body = R"({"document_id":"a","processing_version":"000001"})";
  ASSERT_TRUE(q->Send(body, 0).ok());
  Result<std::optional<bool>> has = q->HasMessage(body);
  ASSERT_TRUE(has.ok());
  EXPECT_FALSE(has->has_value()) << "SQS cannot look messages up by body";
  EXPECT_TRUE(q->Delete("not-a-receipt-handle").ok()) << "SQS cannot tell garbage from gone";
  EXPECT_EQ(StatsOf(*q).visible, 1);
}

TEST_F(SqsWorkQueueTest, InteroperatesWithBoto3) {
  WorkQueuePtr q = Provision();
  ASSERT_NE(q, nullptr);
  // We send, boto3 receives and deletes, then sends one back.
  ASSERT_TRUE(q->Send("from docpipe", 0).ok());
  nlohmann::json got = Boto3Json(R"(
url = sqs.get_queue_url(QueueName=os.environ['QUEUE_NAME'])['QueueUrl']
r = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0, MaxNumberOfMessages=10)
for m in r.get('Messages', []):
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m['ReceiptHandle'])
sqs.send_message(QueueUrl=url, MessageBody='from boto3 ✓')
print(json.dumps([m['Body'] for m in r.get('Messages', [])])))");
  EXPECT_EQ(got, nlohmann::json::array({"from docpipe"}));
  QueueMessage m = ReceiveOne(*q, 30'000);
  EXPECT_EQ(m.body, "from boto3 ✓");
  EXPECT_EQ(m.receive_count, 1);
}

TEST_F(SqsWorkQueueTest, LongPollReturnsPromptlyWhenAMessageArrives) {
  WorkQueuePtr q = Provision();
  ASSERT_NE(q, nullptr);
  // The sender has its own client, as another process would.
  std::thread sender([&] {
    SleepMs(700);
    testing::MotoAwsClient aws(*moto_, "sqs");
    auto other = NewSqsWorkQueue(aws.client(), SqsQueueOptions{queue_url_, ""});
    ASSERT_TRUE(other.ok());
    EXPECT_TRUE((*other)->Send("late", 0).ok());
  });
  auto start = std::chrono::steady_clock::now();
  auto got = q->Receive(1, 30'000, 5000);
  int64_t elapsed = ElapsedMs(start);
  sender.join();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().body, "late");
  EXPECT_GE(elapsed, 600) << "the receive waited for the message";
  EXPECT_LT(elapsed, 4000) << "the long poll returned when the message arrived, not at the end of the wait";
}

TEST_F(SqsWorkQueueTest, WithoutADeadLetterQueueUrlDeadIsNotLookedUp) {
  WorkQueuePtr q = Provision(/*max_receive_count=*/1);
  ASSERT_NE(q, nullptr);
  ASSERT_TRUE(q->Send("poison", 0).ok());
  EXPECT_EQ(ReceiveOne(*q, 0).receive_count, 1);
  SleepMs(5);
  EXPECT_EQ(ReceiveCount(*q, 0), 0u);
  EXPECT_EQ(StatsOf(*q).dead, 1);
  auto no_dlq = NewSqsWorkQueue(sqs(), SqsQueueOptions{queue_url_, ""});
  ASSERT_TRUE(no_dlq.ok());
  EXPECT_EQ(StatsOf(**no_dlq).dead, 0);
}

TEST_F(SqsWorkQueueTest, RedrivesIntoTheDeadLetterQueueBoto3Reads) {
  WorkQueuePtr q = Provision(/*max_receive_count=*/2);
  ASSERT_NE(q, nullptr);
  ASSERT_TRUE(q->Send("poison", 0).ok());
  EXPECT_EQ(ReceiveOne(*q, 0).receive_count, 1);
  SleepMs(5);
  EXPECT_EQ(ReceiveOne(*q, 0).receive_count, 2);
  SleepMs(5);
  EXPECT_EQ(ReceiveCount(*q, 0), 0u);
  nlohmann::json dlq = Boto3Json(R"(
url = sqs.get_queue_url(QueueName=os.environ['DLQ_NAME'])['QueueUrl']
n = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['ApproximateNumberOfMessages'])['Attributes']
r = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0, MaxNumberOfMessages=10, VisibilityTimeout=0)
print(json.dumps({'count': int(n['ApproximateNumberOfMessages']), 'bodies': [m['Body'] for m in r.get('Messages', [])]})))");
  EXPECT_EQ(dlq["count"], 1);
  EXPECT_EQ(dlq["bodies"], nlohmann::json::array({"poison"}));
  auto no_dlq = NewSqsWorkQueue(sqs(), SqsQueueOptions{queue_url_, ""});
  ASSERT_TRUE(no_dlq.ok());
  EXPECT_EQ((*no_dlq)->PeekDeadLetters(10).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ((*no_dlq)->DeleteDeadLetter("h").code(), Status::Code::kInvalidInput);
}

TEST_F(SqsWorkQueueTest, ProvisioningIsIdempotentAndConverges) {
  ASSERT_TRUE(ProvisionSqsQueues(sqs(), name_, dlq_name_, 2, 30).ok());
  Status again = ProvisionSqsQueues(sqs(), name_, dlq_name_, 2, 30);
  ASSERT_TRUE(again.ok()) << again.ToString();
  const std::string read_attributes = R"(
url = sqs.get_queue_url(QueueName=os.environ['QUEUE_NAME'])['QueueUrl']
dlq = sqs.get_queue_url(QueueName=os.environ['DLQ_NAME'])['QueueUrl']
a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['All'])['Attributes']
d = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=['All'])['Attributes']
rp = json.loads(a['RedrivePolicy'])
print(json.dumps({'visibility': a['VisibilityTimeout'], 'wait': a['ReceiveMessageWaitTimeSeconds'],
                  'target': rp['deadLetterTargetArn'], 'max': int(rp['maxReceiveCount']),
                  'dlq_arn': d['QueueArn'], 'dlq_retention': d['MessageRetentionPeriod'],
                  'queues': sorted(u.rsplit('/', 1)[1] for u in sqs.list_queues(
                      QueueNamePrefix=os.environ['QUEUE_NAME']).get('QueueUrls', []))})))";
  nlohmann::json a = Boto3Json(read_attributes);
  EXPECT_EQ(a["visibility"], "30");
  EXPECT_EQ(a["wait"], "20");
  EXPECT_EQ(a["max"], 2);
  EXPECT_EQ(a["target"], a["dlq_arn"]);
  EXPECT_EQ(a["dlq_retention"], "1209600");
  EXPECT_EQ(a["queues"], nlohmann::json::array({name_, dlq_name_}));

  // Other settings: CreateQueue refuses (QueueAlreadyExists), provisioning
  // updates the attributes instead.
  Status changed = ProvisionSqsQueues(sqs(), name_, dlq_name_, 4, 45);
  ASSERT_TRUE(changed.ok()) << changed.ToString();
  a = Boto3Json(read_attributes);
  EXPECT_EQ(a["visibility"], "45");
  EXPECT_EQ(a["max"], 4);
  EXPECT_EQ(a["target"], a["dlq_arn"]);
}

TEST_F(SqsWorkQueueTest, ProvisioningRejectsBadSettings) {
  EXPECT_EQ(ProvisionSqsQueues(sqs(), name_, dlq_name_, 0, 30).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(ProvisionSqsQueues(sqs(), name_, dlq_name_, 2, 43'201).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(ProvisionSqsQueues(sqs(), name_, name_, 2, 30).code(), Status::Code::kInvalidInput);
}

TEST_F(SqsWorkQueueTest, QueueUrlOfMissingQueueIsNotFound) {
  auto missing = GetSqsQueueUrl(sqs(), "no-such-queue");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find("no-such-queue"), std::string::npos);
  ASSERT_TRUE(ProvisionSqsQueues(sqs(), name_, dlq_name_, 2, 30).ok());
  auto url = GetSqsQueueUrl(sqs(), name_);
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_TRUE(url->ends_with("/" + name_)) << *url;
}

TEST_F(SqsWorkQueueTest, AQueueNeedsAUrl) {
  EXPECT_EQ(NewSqsWorkQueue(sqs(), SqsQueueOptions{}).status().code(), Status::Code::kInvalidInput);
}

// ---------------------------------------------------------------------------
// Request shapes and real-SQS error answers moto does not produce, through a
// scripted transport.

class SqsScriptedHttp final : public HttpClient {
 public:
  using Responder = std::function<HttpResponse(const HttpRequest&)>;
  explicit SqsScriptedHttp(Responder responder) : responder_(std::move(responder)) {}
  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    return responder_(request);
  }
  std::vector<HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  Responder responder_;
  std::vector<HttpRequest> requests_;
};

HttpResponse Ok(const std::string& body = "{}") { return {200, {}, body}; }

// An SQS JSON-protocol error as AWS sends it.
HttpResponse SqsError(const std::string& query_code, const std::string& type, const std::string& message) {
  HttpResponse r;
  r.status = 400;
  r.headers["x-amzn-query-error"] = query_code + ";Sender";
  r.headers["content-type"] = "application/x-amz-json-1.0";
  r.body = nlohmann::json({{"__type", "com.amazonaws.sqs#" + type}, {"message", message}}).dump();
  return r;
}

nlohmann::json BodyOf(const HttpRequest& r) { return nlohmann::json::parse(r.body); }

TEST(SqsWorkQueueRequestTest, SecondsAreRoundedUpAndCapped) {
  SqsScriptedHttp http([](const HttpRequest&) { return Ok(); });
  TestAwsClient aws(http, "http://sqs.test", /*timeout_ms=*/1000);
  auto q = NewSqsWorkQueue(aws.client, SqsQueueOptions{"http://sqs.test/1/q", ""});
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE((*q)->Send("b", 1).ok());
  ASSERT_TRUE((*q)->Send("b", 2'000'000).ok());
  ASSERT_TRUE((*q)->Receive(25, 1500, 25'000).ok());
  ASSERT_TRUE((*q)->Receive(3, 100'000'000, 999).ok());
  ASSERT_TRUE((*q)->ChangeVisibility("h", 1).ok());
  std::vector<HttpRequest> reqs = http.requests();
  ASSERT_EQ(reqs.size(), 5u);

  EXPECT_EQ(*reqs[0].FindHeader("X-Amz-Target"), "AmazonSQS.SendMessage");
  EXPECT_EQ(*reqs[0].FindHeader("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(BodyOf(reqs[0])["DelaySeconds"], 1);
  EXPECT_EQ(BodyOf(reqs[0])["QueueUrl"], "http://sqs.test/1/q");
  EXPECT_EQ(BodyOf(reqs[1])["DelaySeconds"], 900);

  nlohmann::json rcv = BodyOf(reqs[2]);
  EXPECT_EQ(*reqs[2].FindHeader("X-Amz-Target"), "AmazonSQS.ReceiveMessage");
  EXPECT_EQ(rcv["MaxNumberOfMessages"], 10);
  EXPECT_EQ(rcv["VisibilityTimeout"], 2);
  EXPECT_EQ(rcv["WaitTimeSeconds"], 20);
  EXPECT_EQ(rcv["MessageSystemAttributeNames"], nlohmann::json::array({"ApproximateReceiveCount"}));
  EXPECT_EQ(reqs[2].timeout_ms, 30'000) << "long poll of 20 s + 10 s";
  rcv = BodyOf(reqs[3]);
  EXPECT_EQ(rcv["MaxNumberOfMessages"], 3);
  EXPECT_EQ(rcv["VisibilityTimeout"], 43'200);
  EXPECT_EQ(rcv["WaitTimeSeconds"], 0);
  EXPECT_EQ(reqs[3].timeout_ms, 10'000);

  EXPECT_EQ(*reqs[4].FindHeader("X-Amz-Target"), "AmazonSQS.ChangeMessageVisibility");
  EXPECT_EQ(BodyOf(reqs[4])["VisibilityTimeout"], 1);
  EXPECT_EQ(BodyOf(reqs[4])["ReceiptHandle"], "h");
}

TEST(SqsWorkQueueRequestTest, PeekIsAShortPollOfTheDeadLetterQueue) {
  SqsScriptedHttp http([](const HttpRequest&) {
    return Ok(R"({"Messages":[{"MessageId":"m","ReceiptHandle":"r","Body":"b",
                               "Attributes":{"ApproximateReceiveCount":"6"}}]})");
  });
  TestAwsClient aws(http, "http://sqs.test");
  auto q = NewSqsWorkQueue(aws.client, SqsQueueOptions{"http://sqs.test/1/q", "http://sqs.test/1/dlq"});
  ASSERT_TRUE(q.ok());
  auto dead = (*q)->PeekDeadLetters(50);
  ASSERT_TRUE(dead.ok()) << dead.status().ToString();
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ(dead->front().receive_count, 6);
  EXPECT_EQ(dead->front().receipt_handle, "r");
  nlohmann::json req = BodyOf(http.requests().at(0));
  EXPECT_EQ(req["QueueUrl"], "http://sqs.test/1/dlq");
  EXPECT_EQ(req["VisibilityTimeout"], 0);
  EXPECT_EQ(req["WaitTimeSeconds"], 0);
  EXPECT_EQ(req["MaxNumberOfMessages"], 10);

  ASSERT_TRUE((*q)->DeleteDeadLetter("r").ok());
  EXPECT_EQ(*http.requests().at(1).FindHeader("X-Amz-Target"), "AmazonSQS.DeleteMessage");
  EXPECT_EQ(BodyOf(http.requests().at(1))["QueueUrl"], "http://sqs.test/1/dlq");
  EXPECT_EQ(BodyOf(http.requests().at(1))["ReceiptHandle"], "r");
}

TEST(SqsWorkQueueRequestTest, ParsesReceivedMessages) {
  SqsScriptedHttp http([](const HttpRequest&) {
    return Ok(R"({"Messages":[
      {"MessageId":"m1","ReceiptHandle":"r1","Body":"b1","Attributes":{"ApproximateReceiveCount":"3"}},
      {"MessageId":"m2","ReceiptHandle":"r2","Body":"b2"}]})");
  });
  TestAwsClient aws(http, "http://sqs.test");
  auto q = NewSqsWorkQueue(aws.client, SqsQueueOptions{"http://sqs.test/1/q", ""});
  ASSERT_TRUE(q.ok());
  auto got = (*q)->Receive(10, 1000, 0);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].message_id, "m1");
  EXPECT_EQ((*got)[0].receipt_handle, "r1");
  EXPECT_EQ((*got)[0].body, "b1");
  EXPECT_EQ((*got)[0].receive_count, 3);
  EXPECT_EQ((*got)[1].receive_count, 1) << "at least this delivery when the attribute is missing";
}

TEST(SqsWorkQueueRequestTest, RealSqsStaleHandleAnswersAreNotFound) {
  // The answers real SQS gives for handles that no longer name an in-flight
  // message (moto gives only ReceiptHandleIsInvalid).
  const std::vector<HttpResponse> stale = {
      SqsError("InvalidParameterValue", "InvalidParameterValue",
               "Value AQEBx for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."),
      SqsError("InvalidParameterValue", "InvalidParameterValue",
               "Value AQEBx for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not "
               "available for visibility timeout change."),
      SqsError("AWS.SimpleQueueService.MessageNotInflight", "MessageNotInflight",
               "The specified message isn't in flight."),
      SqsError("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", "The input receipt handle is invalid."),
  };
  for (const HttpResponse& answer : stale) {
    SqsScriptedHttp http([&](const HttpRequest&) { return answer; });
    TestAwsClient aws(http, "http://sqs.test");
    auto q = NewSqsWorkQueue(aws.client, SqsQueueOptions{"http://sqs.test/1/q", ""});
    ASSERT_TRUE(q.ok());
    Status st = (*q)->ChangeVisibility("h", 1000);
    EXPECT_TRUE(st.IsNotFound()) << st.ToString();
    EXPECT_TRUE((*q)->Delete("h").ok()) << answer.body;
  }
}

TEST(SqsWorkQueueRequestTest, OtherErrorsPassThrough) {
  // Over the 12 h limit: a real error, not a stale handle.
  SqsScriptedHttp http([](const HttpRequest&) {
    return SqsError("InvalidParameterValue", "InvalidParameterValue",
                    "Value 43200 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the "
                    "message is beyond the limit [43200 seconds]");
  });
  TestAwsClient aws(http, "http://sqs.test");
  auto q = NewSqsWorkQueue(aws.client, SqsQueueOptions{"http://sqs.test/1/q", ""});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)->ChangeVisibility("h", 43'200'000).code(), Status::Code::kInvalidInput);
  EXPECT_EQ((*q)->Delete("h").code(), Status::Code::kInvalidInput);

  SqsScriptedHttp missing([](const HttpRequest&) {
    return SqsError("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "The specified queue does not exist.");
  });
  TestAwsClient aws2(missing, "http://sqs.test");
  auto q2 = NewSqsWorkQueue(aws2.client, SqsQueueOptions{"http://sqs.test/1/q", ""});
  ASSERT_TRUE(q2.ok());
  EXPECT_TRUE((*q2)->Receive(1, 1000, 0).status().IsNotFound());
}

}  // namespace
}  // namespace docpipe
