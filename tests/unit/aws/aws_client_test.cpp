// AwsClient: the AWS standard retry mode, error mapping and endpoint
// resolution, against a scripted transport.
#include "aws/aws_client.h"

#include <deque>
#include <mutex>

#include <gtest/gtest.h>

#include "support/fake_clock.h"

namespace docpipe {
namespace {

// Answers with scripted responses (or transport errors) and records requests.
class ScriptedHttp final : public HttpClient {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests.push_back(request);
    if (script.empty()) return HttpResponse{200, {}, "{}"};
    Result<HttpResponse> next = script.front();
    script.pop_front();
    return next;
  }
  void Add(int status, std::string body, std::map<std::string, std::string> headers = {}) {
    script.push_back(HttpResponse{status, std::move(headers), std::move(body)});
  }
  void AddError(Status s) { script.push_back(std::move(s)); }

  std::mutex mu_;
  std::deque<Result<HttpResponse>> script;
  std::vector<HttpRequest> requests;
};

// The operations the tests below call.
const AwsOperationSet& TestOperations() {
  static const AwsOperationSet ops{"test-adapter",
                                   "dynamodb",
                                   {{"GetItem", {{"dynamodb:GetItem", AwsResourceKind::kTable, ""}}},
                                    {"Y", {}},
                                    {"Add", {}},
                                    {"HeadObject", {}}}};
  return ops;
}

class AwsClientTest : public ::testing::Test {
 protected:
  static AwsServiceConfig Config(int max_attempts) {
    AwsServiceConfig c;
    c.region = "eu-west-1";
    c.signing_name = "dynamodb";
    c.endpoint = "http://127.0.0.1:9";
    c.max_attempts = max_attempts;
    return c;
  }
  AwsClient Client(int max_attempts = 3) {
    return AwsClient(Config(max_attempts), http_, *creds_, clock_, quota_, &TestOperations());
  }
  ScriptedHttp http_;
  CredentialsProviderPtr creds_ = NewStaticCredentialsProvider({"AKIDTEST", "secret", "token", 0});
  testing::FakeClock clock_;
  RetryQuota quota_;
};

const char* kThrottle = R"({"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"slow down"})";

TEST_F(AwsClientTest, JsonCallIsSignedAndTargeted) {
  http_.Add(200, R"({"Item":{}})");
  AwsClient client = Client();
  Result<nlohmann::json> r = client.CallJson("DynamoDB_20120810.GetItem", "1.0", {{"TableName", "t"}}, true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->contains("Item"));
  ASSERT_EQ(http_.requests.size(), 1u);
  const HttpRequest& req = http_.requests[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "http://127.0.0.1:9/");
  EXPECT_EQ(*req.FindHeader("X-Amz-Target"), "DynamoDB_20120810.GetItem");
  EXPECT_EQ(*req.FindHeader("Content-Type"), "application/x-amz-json-1.0");
  ASSERT_NE(req.FindHeader("Authorization"), nullptr);
  EXPECT_NE(req.FindHeader("Authorization")->find("/eu-west-1/dynamodb/aws4_request"), std::string::npos);
  EXPECT_EQ(*req.FindHeader("X-Amz-Security-Token"), "token");
  EXPECT_EQ(nlohmann::json::parse(req.body)["TableName"], "t");
}

TEST_F(AwsClientTest, ThrottlingIsRetriedWithBackoffThenSucceeds) {
  http_.Add(400, kThrottle);
  http_.Add(503, "");
  http_.Add(200, "{}");
  AwsClient client = Client();
  ASSERT_TRUE(client.CallJson("DynamoDB_20120810.GetItem", "1.0", {}, true).ok());
  EXPECT_EQ(http_.requests.size(), 3u);
  // Full jitter draws each wait from [0, base * 2^attempt]: a wait of 0 ms
  // (about one run in 70) sleeps not at all, so at most two sleeps.
  EXPECT_LE(clock_.sleeps(), 2);
  EXPECT_LE(clock_.slept_ms(), 100 + 200);
  EXPECT_EQ(quota_.available(), 500 - 2 * 5 + 5);  // a success refunds its last retry's cost
}

TEST_F(AwsClientTest, RetriesStopAtMaxAttempts) {
  for (int i = 0; i < 5; ++i) http_.Add(400, kThrottle);
  AwsClient client = Client(3);
  Result<nlohmann::json> r = client.CallJson("DynamoDB_20120810.GetItem", "1.0", {}, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kThrottled);
  EXPECT_NE(r.status().message().find("ThrottlingException: slow down (HTTP 400)"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(http_.requests.size(), 3u);
  EXPECT_EQ(quota_.available(), 490);
}

TEST_F(AwsClientTest, RetryAfterIsHonoured) {
  http_.Add(503, "", {{"retry-after", "7"}});
  http_.Add(200, "{}");
  AwsClient client = Client();
  ASSERT_TRUE(client.CallJson("X.Y", "1.1", {}, true).ok());
  EXPECT_EQ(clock_.slept_ms(), 7000);
}

// A Retry-After beyond any int64_t of milliseconds waits the cap (60 s), and
// its conversion is not undefined (found by clang's UBSan in the aws_answers
// fuzz target).
TEST_F(AwsClientTest, HugeRetryAfterWaitsTheCap) {
  http_.Add(503, "", {{"retry-after", "1e23"}});
  http_.Add(200, "{}");
  AwsClient client = Client();
  ASSERT_TRUE(client.CallJson("X.Y", "1.1", {}, true).ok());
  EXPECT_EQ(clock_.slept_ms(), 60'000);
}

TEST_F(AwsClientTest, ClientErrorsAreNotRetried) {
  http_.Add(400, R"({"__type":"com.amazon.coral.validate#ValidationException","message":"bad key"})");
  AwsClient client = Client();
  Result<nlohmann::json> r = client.CallJson("X.Y", "1.0", {}, true);
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(AwsClientTest, NonIdempotentCallsRetryOnlyUnsentRequests) {
  http_.Add(500, R"({"__type":"InternalServerError"})");
  AwsClient client = Client();
  EXPECT_FALSE(client.CallJson("X.Add", "1.0", {}, /*idempotent=*/false).ok());
  EXPECT_EQ(http_.requests.size(), 1u);

  http_.AddError(Status::Unavailable(std::string(kConnectFailedPrefix) + "POST http://127.0.0.1:9/: refused"));
  http_.Add(200, "{}");
  EXPECT_TRUE(client.CallJson("X.Add", "1.0", {}, false).ok());
  EXPECT_EQ(http_.requests.size(), 3u);

  http_.AddError(Status::Timeout("no answer"));  // may have been applied
  EXPECT_EQ(client.CallJson("X.Add", "1.0", {}, false).status().code(), Status::Code::kTimeout);
  EXPECT_EQ(http_.requests.size(), 4u);
}

TEST_F(AwsClientTest, QuotaExhaustionStopsRetries) {
  while (quota_.Acquire(false)) {
  }
  http_.Add(503, "");
  http_.Add(200, "{}");
  AwsClient client = Client();
  Result<nlohmann::json> r = client.CallJson("X.Y", "1.0", {}, true);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("retry quota exhausted"), std::string::npos);
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(AwsClientTest, MalformedJsonAnswerIsAnError) {
  http_.Add(200, "<html>proxy</html>");
  AwsClient client = Client();
  EXPECT_EQ(client.CallJson("X.Y", "1.0", {}, true).status().code(), Status::Code::kUnavailable);
}

TEST_F(AwsClientTest, RestAcceptsListedStatuses) {
  http_.Add(404, "");
  AwsClient client = Client();
  HttpRequest req;
  req.method = "HEAD";
  req.url = "http://127.0.0.1:9/b/k";
  Result<HttpResponse> r = client.CallRest("HeadObject", req, true, "S3 HeadObject", {404});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
}

TEST_F(AwsClientTest, UndeclaredOperationIsRefusedBeforeAnyRequest) {
  AwsClient client = Client();
  Result<nlohmann::json> r = client.CallJson("DynamoDB_20120810.DeleteTable", "1.0", {}, true);
  ASSERT_EQ(r.status().code(), Status::Code::kInternal);
  EXPECT_NE(r.status().message().find("DeleteTable"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("test-adapter"), std::string::npos) << r.status().message();
  HttpRequest req;
  req.method = "GET";
  req.url = "http://127.0.0.1:9/b/k";
  EXPECT_EQ(client.CallRest("GetObject", req, true, "S3 GetObject").status().code(), Status::Code::kInternal);
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(AwsClientTest, UnboundClientOnlyHandsOutBoundOnes) {
  AwsClient root(Config(3), http_, *creds_, clock_, quota_);
  EXPECT_EQ(root.CallJson("DynamoDB_20120810.GetItem", "1.0", {}, true).status().code(), Status::Code::kInternal);
  std::unique_ptr<AwsClient> bound = root.ForAdapter(TestOperations());
  EXPECT_TRUE(bound->CallJson("DynamoDB_20120810.GetItem", "1.0", {}, true).ok());
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(AwsClientTest, OperationsOfAnotherServiceAreRefused) {
  AwsServiceConfig sqs = Config(3);
  sqs.signing_name = "sqs";
  AwsClient client(sqs, http_, *creds_, clock_, quota_, &TestOperations());
  EXPECT_EQ(client.CallJson("AmazonSQS.GetItem", "1.0", {}, true).status().code(), Status::Code::kInternal);
}

TEST_F(AwsClientTest, ScopeNarrowsTheDeclaredOperations) {
  auto scope = std::make_shared<AwsCallScope>(AwsCallScope{"reader", {"test-adapter/GetItem"}});
  AwsClient root(Config(3), http_, *creds_, clock_, quota_, nullptr, scope);
  std::unique_ptr<AwsClient> bound = root.ForAdapter(TestOperations());
  EXPECT_TRUE(bound->CallJson("DynamoDB_20120810.GetItem", "1.0", {}, true).ok());
  Result<nlohmann::json> r = bound->CallJson("X.Add", "1.0", {}, false);
  ASSERT_EQ(r.status().code(), Status::Code::kInternal);
  EXPECT_NE(r.status().message().find("role reader"), std::string::npos) << r.status().message();
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST(AwsErrorTest, CodesFromEveryProtocolMapToStatuses) {
  auto code_of = [](int status, std::string body, std::map<std::string, std::string> headers = {}) {
    return AwsErrorStatus("Op", HttpResponse{status, std::move(headers), std::move(body)}).code();
  };
  using C = Status::Code;
  EXPECT_EQ(code_of(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"})"),
            C::kConflict);
  EXPECT_EQ(code_of(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"})"), C::kNotFound);
  EXPECT_EQ(code_of(400, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist"})",
                    {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}}),
            C::kNotFound);
  EXPECT_EQ(code_of(404, "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>"),
            C::kNotFound);
  EXPECT_EQ(code_of(503, "<Error><Code>SlowDown</Code></Error>"), C::kThrottled);
  EXPECT_EQ(code_of(429, ""), C::kThrottled);
  EXPECT_EQ(code_of(500, ""), C::kUnavailable);
  EXPECT_EQ(code_of(403, "<Error><Code>AccessDenied</Code><Message>no</Message></Error>"), C::kInvalidInput);
  EXPECT_EQ(AwsErrorCode(HttpResponse{400, {{"x-amzn-errortype", "ValidationException:http://x"}}, ""}),
            "ValidationException");
  Status s = AwsErrorStatus("S3 GetObject input/a.pdf",
                            HttpResponse{404, {}, "<Error><Code>NoSuchKey</Code><Message>The key does not exist"
                                                  "</Message></Error>"});
  EXPECT_EQ(s.message(), "S3 GetObject input/a.pdf: NoSuchKey: The key does not exist (HTTP 404)");
}

TEST(AwsEndpointTest, ServiceVariableThenGlobalThenPublic) {
  EXPECT_EQ(ResolveAwsEndpoint("sqs", "eu-west-1", {}), "https://sqs.eu-west-1.amazonaws.com");
  Environment env = {{"AWS_ENDPOINT_URL", "http://localhost:5000/"}};
  EXPECT_EQ(ResolveAwsEndpoint("sqs", "eu-west-1", env), "http://localhost:5000");
  env["AWS_ENDPOINT_URL_SQS"] = "http://q:1";
  EXPECT_EQ(ResolveAwsEndpoint("sqs", "eu-west-1", env), "http://q:1");
  env["AWS_ENDPOINT_URL_CLOUDWATCH"] = "http://cw:2";
  EXPECT_EQ(ResolveAwsEndpoint("monitoring", "eu-west-1", env), "http://cw:2");
  env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = "http://sm:3";
  EXPECT_EQ(ResolveAwsEndpoint("secretsmanager", "eu-west-1", env), "http://sm:3");
}

}  // namespace
}  // namespace docpipe

namespace docpipe {
namespace {

// Issue 17, item 2: a remote call ran past its stage's deadline while it
// waited out a Retry-After (Comprehend's throttling asks for up to a
// minute). The call's abort_if (the stage's cancel flag, raised at the
// deadline) now ends it within a slice of the wait, on the clock.
TEST_F(AwsClientTest, AbortIfEndsTheCallWithinAQuarterSecondOfTheDeadline) {
  for (int i = 0; i < 3; ++i) http_.Add(503, "", {{"retry-after", "60"}});
  AwsClient client = Client(3);
  const TimeMs deadline = clock_.NowMs() + 5'000;
  Result<nlohmann::json> r = client.CallJson("DynamoDB_20120810.GetItem", "1.0", {}, true, 0, nullptr,
                                             [&] { return clock_.NowMs() >= deadline; });
  EXPECT_EQ(r.status().code(), Status::Code::kCancelled) << r.status().ToString();
  EXPECT_EQ(http_.requests.size(), 1u);
  EXPECT_GE(clock_.NowMs(), deadline);
  EXPECT_LE(clock_.NowMs(), deadline + 250) << "not the minute the server asked for";
  EXPECT_TRUE(http_.requests[0].abort_if) << "the transport polls it while the request is on the wire";
}

TEST_F(AwsClientTest, AnAbortedCallSendsNothing) {
  AwsClient client = Client(3);
  Result<nlohmann::json> r =
      client.CallJson("DynamoDB_20120810.GetItem", "1.0", {}, true, 0, nullptr, [] { return true; });
  EXPECT_EQ(r.status().code(), Status::Code::kCancelled);
  EXPECT_TRUE(http_.requests.empty());
}

}  // namespace
}  // namespace docpipe
