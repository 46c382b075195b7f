#include "aws/secrets.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/curl_http_client.h"
#include "support/moto_fixture.h"

namespace docpipe {
namespace {

using testing::MotoServer;

// Secrets are created once per suite with boto3 (an independent client);
// the suite's moto_server holds them.
class SecretsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = testing::SharedMotoServer(&start_error_);
    if (!moto_) return;
    testing::ProcessResult r = testing::RunBoto3(*moto_, R"(
import boto3, json
sm = boto3.client('secretsmanager')
arns = {}
def put(name, **kw):
    arns[name] = sm.create_secret(Name=name, **kw)['ARN']
put('plain', SecretString='sk-plain-value')
put('keyed', SecretString=json.dumps({'OPENAI_API_KEY': 'sk-keyed-value', 'OTHER': 'other-value'}))
put('single', SecretString=json.dumps({'api_key': 'sk-single-value'}))
put('ambiguous', SecretString=json.dumps({'user': 'u-value', 'password': 'p-value'}))
put('not_string', SecretString=json.dumps({'OPENAI_API_KEY': 97531}))
put('binary', SecretBinary=b'\x00\x01binary-value')
put('json_scalar', SecretString='"sk-quoted-value"')
print(json.dumps(arns))
)");
    arns_ = nlohmann::json::parse(r.out, nullptr, false);
    if (r.exit_code != 0 || !arns_.is_object()) {
      boto3_error_ = "creating secrets with boto3 failed: " + r.err + r.out;
    }
  }
  void SetUp() override {
    // No moto, no test: these tests fail rather than skip.
    ASSERT_NE(moto_, nullptr) << testing::MotoStartFailure(start_error_);
    ASSERT_TRUE(boto3_error_.empty()) << boto3_error_;
    aws_ = std::make_unique<testing::MotoAwsClient>(*moto_, "secretsmanager");
  }

  std::string Arn(const std::string& name) { return arns_.value(name, ""); }
  Result<std::string> Resolve(const std::string& name, const std::string& key = "OPENAI_API_KEY") {
    return ResolveSecret(aws_->client(), Arn(name), key);
  }
  // An error must name the ARN and never leak any secret value.
  void ExpectSafeError(const Status& st, const std::string& arn) {
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find(arn), std::string::npos) << st.ToString();
    EXPECT_EQ(st.message().find("-value"), std::string::npos) << "leaked a value: " << st.ToString();
  }

  static inline MotoServer* moto_ = nullptr;
  static inline std::string start_error_;
  static inline std::string boto3_error_;
  static inline nlohmann::json arns_;
  std::unique_ptr<testing::MotoAwsClient> aws_;
};

TEST_F(SecretsTest, PlainSecretStringIsTheValue) {
  auto v = Resolve("plain");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "sk-plain-value");
  // By name as well as by ARN (GetSecretValue accepts both).
  v = ResolveSecret(aws_->client(), "plain", "OPENAI_API_KEY");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "sk-plain-value");
}

TEST_F(SecretsTest, JsonObjectYieldsTheNamedKey) {
  auto v = Resolve("keyed");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "sk-keyed-value");
  v = Resolve("keyed", "OTHER");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "other-value");
}

TEST_F(SecretsTest, JsonObjectWithOneStringFieldYieldsIt) {
  auto v = Resolve("single");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "sk-single-value");
}

TEST_F(SecretsTest, JsonScalarIsPlainText) {
  auto v = Resolve("json_scalar");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, "\"sk-quoted-value\"");
}

TEST_F(SecretsTest, AmbiguousObjectIsAClearError) {
  auto v = Resolve("ambiguous");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), Status::Code::kInvalidInput);
  ExpectSafeError(v.status(), Arn("ambiguous"));
  EXPECT_NE(v.status().message().find("OPENAI_API_KEY"), std::string::npos) << v.status().ToString();
}

TEST_F(SecretsTest, NonStringFieldIsAClearError) {
  auto v = Resolve("not_string");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), Status::Code::kInvalidInput);
  ExpectSafeError(v.status(), Arn("not_string"));
  EXPECT_EQ(v.status().message().find("97531"), std::string::npos) << v.status().ToString();
}

TEST_F(SecretsTest, BinarySecretIsAClearError) {
  auto v = Resolve("binary");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), Status::Code::kInvalidInput);
  ExpectSafeError(v.status(), Arn("binary"));
}

TEST_F(SecretsTest, MissingSecretIsNotFound) {
  const std::string arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf";
  auto v = ResolveSecret(aws_->client(), arn, "OPENAI_API_KEY");
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(v.status().IsNotFound()) << v.status().ToString();
  ExpectSafeError(v.status(), arn);
}

TEST_F(SecretsTest, ApiKeyFromEnvironmentThenSecretArn) {
  Environment env = {{"OPENAI_API_KEY", "sk-from-env"}, {"OPENAI_API_KEY_SECRET_ARN", Arn("keyed")}};
  auto direct = ResolveApiKey("OPENAI_API_KEY", env, aws_->client());
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  EXPECT_EQ(*direct, "sk-from-env");  // the variable wins, no call needed

  env.erase("OPENAI_API_KEY");
  auto keyed = ResolveApiKey("OPENAI_API_KEY", env, aws_->client());
  ASSERT_TRUE(keyed.ok()) << keyed.status().ToString();
  EXPECT_EQ(*keyed, "sk-keyed-value");

  auto plain = ResolveApiKey("PINECONE_API_KEY", {{"PINECONE_API_KEY_SECRET_ARN", Arn("plain")}}, aws_->client());
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, "sk-plain-value");

  auto none = ResolveApiKey("PINECONE_API_KEY", {}, aws_->client());
  EXPECT_TRUE(none.status().IsNotFound());
  EXPECT_NE(none.status().message().find("PINECONE_API_KEY_SECRET_ARN"), std::string::npos);

  auto bad = ResolveApiKey("OPENAI_API_KEY", {{"OPENAI_API_KEY_SECRET_ARN", Arn("binary")}}, aws_->client());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("OPENAI_API_KEY_SECRET_ARN"), std::string::npos);
  EXPECT_EQ(bad.status().message().find("binary-value"), std::string::npos);
}

}  // namespace
}  // namespace docpipe
