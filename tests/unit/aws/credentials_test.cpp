#include "aws/credentials.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/curl_http_client.h"
#include "support/fake_clock.h"
#include "support/test_util.h"
#include "common/strings.h"

namespace docpipe {
namespace {

using testing::FakeClock;
using testing::TempDir;
using testing::WriteFile;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;

// Distinctive values so tests can check they never leak into messages.
constexpr const char* kSecret = "SECRETwJalrXUtnFEMIK7MDENGbPxRfiCY";
constexpr const char* kToken = "TOKENFwoGZXIvYXdzEBYaDHVzZXJfdG9rZW4";

// Records requests and answers from a queue of canned responses (transport
// errors included); an empty queue answers Unavailable. Thread-safe.
class FakeHttp final : public HttpClient {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override {
    if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (responses_.empty()) return Status::Unavailable("fake: connection refused");
    Result<HttpResponse> r = responses_.front();
    responses_.pop_front();
    return r;
  }

  void Push(int status, std::string body) {
    std::lock_guard lock(mu_);
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    responses_.emplace_back(std::move(r));
  }
  void PushError(Status s) {
    std::lock_guard lock(mu_);
    responses_.emplace_back(std::move(s));
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  void set_delay_ms(int ms) { delay_ms_ = ms; }

 private:
  mutable std::mutex mu_;
  std::vector<HttpRequest> requests_;
  std::deque<Result<HttpResponse>> responses_;
  int delay_ms_ = 0;
};

std::string EcsJson(const std::string& key, const std::string& expiration,
                    const std::string& secret = kSecret, const std::string& token = kToken) {
  return fmt::format(R"({{"AccessKeyId":"{}","SecretAccessKey":"{}","Token":"{}","Expiration":"{}"}})", key,
                     secret, token, expiration);
}

std::string StsXml(const std::string& key, const std::string& expiration, const std::string& secret = kSecret,
                   const std::string& token = kToken) {
  return fmt::format(R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:docpipe:worker</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/docpipe-role/s</Arn>
      <AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>{}</SessionToken>
      <SecretAccessKey>{}</SecretAccessKey>
      <Expiration>{}</Expiration>
      <AccessKeyId>{}</AccessKeyId>
    </Credentials>
    <Provider>oidc.eks.us-east-1.amazonaws.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
)",
                     token, secret, expiration, key);
}

std::string StsError(const std::string& code, const std::string& message) {
  return fmt::format(
      R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>)"
      R"(<Code>{}</Code><Message>{}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>)",
      code, message);
}

void ExpectNoSecrets(const Status& s) {
  EXPECT_EQ(s.message().find(kSecret), std::string::npos) << s.ToString();
  EXPECT_EQ(s.message().find(kToken), std::string::npos) << s.ToString();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class CredentialsTest : public ::testing::Test {
 protected:
  // The tests never read the real ~/.aws: HOME points at a temp dir when a test sets it.
  CredentialsProviderPtr Chain(const Environment& env) {
    return NewDefaultCredentialsChain(env, http_, clock_);
  }
  std::string Home() const { return dir_.path(); }
  std::string Expiry(int64_t from_now_ms) const { return FormatIso8601(clock_.NowMs() + from_now_ms); }

  TempDir dir_;
  FakeClock clock_;
  FakeHttp http_;
};

// ---------------------------------------------------------------------------
// Static and environment

TEST_F(CredentialsTest, StaticProviderReturnsItsCredentials) {
  CredentialsProviderPtr p = NewStaticCredentialsProvider({"AKIDSTATIC", kSecret, kToken, 123});
  Result<AwsCredentials> c = p->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDSTATIC");
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(c->expiration, 123);
}

TEST_F(CredentialsTest, EnvironmentKeysWithAndWithoutSessionToken) {
  Result<AwsCredentials> c =
      Chain({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", kSecret}})->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDENV");
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, "");
  EXPECT_EQ(c->expiration, 0);

  c = Chain({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
             {"AWS_SECRET_ACCESS_KEY", kSecret},
             {"AWS_SESSION_TOKEN", kToken}})
          ->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(http_.count(), 0u);
}

TEST_F(CredentialsTest, PartialEnvironmentKeysAreAnErrorNamingTheMissingVariable) {
  Result<AwsCredentials> c =
      Chain({{"AWS_SECRET_ACCESS_KEY", kSecret}, {"AWS_SESSION_TOKEN", kToken}})->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Contains(c.status().message(), "AWS_ACCESS_KEY_ID is not")) << c.status().ToString();
  ExpectNoSecrets(c.status());

  c = Chain({{"AWS_ACCESS_KEY_ID", "AKIDENV"}})->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Contains(c.status().message(), "AWS_SECRET_ACCESS_KEY is not")) << c.status().ToString();
}

TEST_F(CredentialsTest, PartialEnvironmentKeysDoNotFallThroughToOtherSources) {
  WriteFile(dir_.Join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
  Result<AwsCredentials> c = Chain({{"HOME", Home()}, {"AWS_ACCESS_KEY_ID", "AKIDENV"}})->Get();
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
}

TEST_F(CredentialsTest, EmptyVariablesCountAsUnset) {
  WriteFile(dir_.Join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
  Result<AwsCredentials> c =
      Chain({{"HOME", Home()}, {"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}, {"AWS_PROFILE", ""}})
          ->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDFILE");
}

TEST_F(CredentialsTest, NoSourceIsUnavailableAndListsWhatWasTried) {
  Result<AwsCredentials> c = Chain({{"HOME", Home()}})->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kUnavailable);
  const std::string& m = c.status().message();
  EXPECT_TRUE(m.starts_with("no AWS credentials: set AWS_ACCESS_KEY_ID/")) << m;
  EXPECT_TRUE(Contains(m, "AWS_PROFILE")) << m;
  EXPECT_TRUE(Contains(m, "task role")) << m;
  for (const char* source : {"environment:", "web identity:", "shared files:", "container endpoint:"}) {
    EXPECT_TRUE(Contains(m, source)) << source << " missing from: " << m;
  }
  EXPECT_TRUE(Contains(m, Home() + "/.aws/credentials")) << m;
  EXPECT_EQ(http_.count(), 0u);
}

// ---------------------------------------------------------------------------
// Precedence

TEST_F(CredentialsTest, ChainOrderEnvironmentThenWebIdentityThenFilesThenContainer) {
  WriteFile(dir_.Join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
  WriteFile(dir_.Join("token"), "jwt");
  Environment env = {{"HOME", Home()},
                     {"AWS_ACCESS_KEY_ID", "AKIDENV"},
                     {"AWS_SECRET_ACCESS_KEY", "s"},
                     {"AWS_WEB_IDENTITY_TOKEN_FILE", dir_.Join("token")},
                     {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r"},
                     {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"}};
  EXPECT_EQ(Chain(env)->Get()->access_key_id, "AKIDENV");
  EXPECT_EQ(http_.count(), 0u);

  env.erase("AWS_ACCESS_KEY_ID");
  env.erase("AWS_SECRET_ACCESS_KEY");
  http_.Push(200, StsXml("AKIDSTS", Expiry(kHour)));
  EXPECT_EQ(Chain(env)->Get()->access_key_id, "AKIDSTS");
  ASSERT_EQ(http_.count(), 1u);
  EXPECT_EQ(http_.requests()[0].method, "POST");

  env.erase("AWS_WEB_IDENTITY_TOKEN_FILE");
  EXPECT_EQ(Chain(env)->Get()->access_key_id, "AKIDFILE");
  EXPECT_EQ(http_.count(), 1u);

  env.erase("HOME");
  http_.Push(200, EcsJson("AKIDECS", Expiry(kHour)));
  EXPECT_EQ(Chain(env)->Get()->access_key_id, "AKIDECS");
  EXPECT_EQ(http_.count(), 2u);
}

TEST_F(CredentialsTest, ChainRemembersTheSourceThatSucceeded) {
  Environment env = {{"HOME", Home()}, {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds"}};
  CredentialsProviderPtr p = Chain(env);
  http_.Push(200, EcsJson("AKIDECS1", Expiry(kHour)));
  ASSERT_EQ(p->Get()->access_key_id, "AKIDECS1");

  // A profile appearing later does not take over: refreshes ask the container endpoint again.
  WriteFile(dir_.Join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
  clock_.Advance(kHour);
  http_.Push(200, EcsJson("AKIDECS2", Expiry(kHour)));
  Result<AwsCredentials> c = p->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDECS2");
  EXPECT_EQ(http_.count(), 2u);
}

// ---------------------------------------------------------------------------
// Shared files

TEST_F(CredentialsTest, SharedCredentialsFileDefaultProfile) {
  WriteFile(dir_.Join(".aws/credentials"),
            "# my keys\r\n"
            "; another comment\n"
            "\n"
            "[other]\n"
            "aws_access_key_id=AKIDOTHER\n"
            "aws_secret_access_key=x\n"
            "  [ default ]   # trailing comment\n"
            "  aws_access_key_id   =   AKIDDEFAULT   \n"
            "\taws_secret_access_key = " +
                std::string(kSecret) +
                " ; inline comment\r\n"
                "AWS_SESSION_TOKEN = " +
                kToken + "\n");
  Result<AwsCredentials> c = Chain({{"HOME", Home()}})->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);  // key names are case-insensitive
  EXPECT_EQ(c->expiration, 0);
}

TEST_F(CredentialsTest, ProfileSelectionFromAwsProfileThenAwsDefaultProfile) {
  WriteFile(dir_.Join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s\n"
            "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n"
            "[prod]\naws_access_key_id = AKIDPROD\naws_secret_access_key = s\n");
  EXPECT_EQ(Chain({{"HOME", Home()}})->Get()->access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(Chain({{"HOME", Home()}, {"AWS_PROFILE", "dev"}})->Get()->access_key_id, "AKIDDEV");
  EXPECT_EQ(Chain({{"HOME", Home()}, {"AWS_DEFAULT_PROFILE", "prod"}})->Get()->access_key_id, "AKIDPROD");
  EXPECT_EQ(Chain({{"HOME", Home()}, {"AWS_PROFILE", "dev"}, {"AWS_DEFAULT_PROFILE", "prod"}})
                ->Get()
                ->access_key_id,
            "AKIDDEV");
}

TEST_F(CredentialsTest, ConfigFileUsesProfilePrefixExceptForDefault) {
  WriteFile(dir_.Join(".aws/config"),
            "[default]\nregion = eu-west-1\naws_access_key_id = AKIDCFGDEFAULT\naws_secret_access_key = s\n"
            "[dev]\naws_access_key_id = AKIDWRONG\naws_secret_access_key = s\n"
            "[profile  dev ]\naws_access_key_id = AKIDCFGDEV\naws_secret_access_key = s\n");
  EXPECT_EQ(Chain({{"HOME", Home()}})->Get()->access_key_id, "AKIDCFGDEFAULT");
  EXPECT_EQ(Chain({{"HOME", Home()}, {"AWS_PROFILE", "dev"}})->Get()->access_key_id, "AKIDCFGDEV");
}

TEST_F(CredentialsTest, CredentialsFileWinsOverConfigFileAndTheKeysComeFromOneFile) {
  WriteFile(dir_.Join(".aws/config"),
            "[profile dev]\naws_access_key_id = AKIDCFG\naws_secret_access_key = cfgsecret\n"
            "aws_session_token = stale-config-token\n");
  WriteFile(dir_.Join(".aws/credentials"),
            "[dev]\naws_access_key_id = AKIDCRED\naws_secret_access_key = credsecret\n");
  Result<AwsCredentials> c = Chain({{"HOME", Home()}, {"AWS_PROFILE", "dev"}})->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDCRED");
  EXPECT_EQ(c->secret_access_key, "credsecret");
  EXPECT_EQ(c->session_token, "");  // not the config file's token for other keys
}

TEST_F(CredentialsTest, FileLocationsFromEnvironmentWithTildeExpansion) {
  WriteFile(dir_.Join("elsewhere/creds"),
            "[default]\naws_access_key_id = AKIDCUSTOM\naws_secret_access_key = s\n");
  WriteFile(dir_.Join("elsewhere/cfg"),
            "[profile c]\naws_access_key_id = AKIDCUSTOMCFG\naws_secret_access_key = s\n");
  WriteFile(dir_.Join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = s\n");
  Environment env = {{"HOME", Home()},
                     {"AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds"},
                     {"AWS_CONFIG_FILE", dir_.Join("elsewhere/cfg")}};
  EXPECT_EQ(Chain(env)->Get()->access_key_id, "AKIDCUSTOM");
  env["AWS_PROFILE"] = "c";
  EXPECT_EQ(Chain(env)->Get()->access_key_id, "AKIDCUSTOMCFG");
}

TEST_F(CredentialsTest, NamedProfileThatDoesNotExistIsAnErrorNotAFallThrough) {
  WriteFile(dir_.Join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s\n");
  Result<AwsCredentials> c = Chain({{"HOME", Home()},
                                    {"AWS_PROFILE", "staging"},
                                    {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds"}})
                                 ->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Contains(c.status().message(), "\"staging\"")) << c.status().ToString();
  EXPECT_TRUE(Contains(c.status().message(), "AWS_PROFILE")) << c.status().ToString();
  EXPECT_TRUE(Contains(c.status().message(), Home() + "/.aws/credentials")) << c.status().ToString();
  EXPECT_EQ(http_.count(), 0u);

  // The same when neither file exists at all.
  c = Chain({{"HOME", dir_.Join("nohome")}, {"AWS_DEFAULT_PROFILE", "staging"}})->Get();
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Contains(c.status().message(), "AWS_DEFAULT_PROFILE is \"staging\"")) << c.status().ToString();
}

TEST_F(CredentialsTest, MissingOrKeylessDefaultProfileFallsThroughToTheContainer) {
  http_.Push(200, EcsJson("AKIDECS1", Expiry(kHour)));
  EXPECT_EQ(Chain({{"HOME", Home()}, {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"}})->Get()->access_key_id,
            "AKIDECS1");

  // A [default] with only settings is common on developer machines.
  WriteFile(dir_.Join(".aws/config"), "[default]\nregion = us-west-2\noutput = json\n");
  http_.Push(200, EcsJson("AKIDECS2", Expiry(kHour)));
  EXPECT_EQ(Chain({{"HOME", Home()}, {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"}})->Get()->access_key_id,
            "AKIDECS2");
}

TEST_F(CredentialsTest, NamedProfileWithoutKeysIsAnError) {
  WriteFile(dir_.Join(".aws/config"), "[profile dev]\nregion = us-west-2\n");
  Result<AwsCredentials> c = Chain({{"HOME", Home()}, {"AWS_PROFILE", "dev"}})->Get();
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Contains(c.status().message(), "\"dev\"")) << c.status().ToString();
}

TEST_F(CredentialsTest, RoleArnAndCredentialProcessProfilesAreUnsupported) {
  WriteFile(dir_.Join(".aws/config"),
            "[profile assume]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = default\n"
            "[profile both]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
            "aws_access_key_id = AKIDBOTH\naws_secret_access_key = s\n"
            "[profile proc]\ncredential_process = /usr/bin/get-creds\n");
  for (const char* profile : {"assume", "both"}) {
    Result<AwsCredentials> c = Chain({{"HOME", Home()}, {"AWS_PROFILE", profile}})->Get();
    ASSERT_FALSE(c.ok()) << profile;
    EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
    EXPECT_TRUE(Contains(c.status().message(), "role_arn")) << c.status().ToString();
    EXPECT_TRUE(Contains(c.status().message(), "not support")) << c.status().ToString();
  }
  Result<AwsCredentials> c = Chain({{"HOME", Home()}, {"AWS_PROFILE", "proc"}})->Get();
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Contains(c.status().message(), "credential_process")) << c.status().ToString();
}

TEST_F(CredentialsTest, ProfileWithHalfAKeyPairIsAnErrorWithoutTheSecret) {
  WriteFile(dir_.Join(".aws/credentials"), fmt::format("[default]\naws_secret_access_key = {}\n", kSecret));
  Result<AwsCredentials> c = Chain({{"HOME", Home()}})->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Contains(c.status().message(), "no aws_access_key_id")) << c.status().ToString();
  ExpectNoSecrets(c.status());
}

TEST_F(CredentialsTest, IniNestedSettingsAreIgnoredAndMalformedLinesReported) {
  WriteFile(dir_.Join(".aws/config"),
            "[default]\n"
            "s3 =\n"
            "  aws_access_key_id = AKIDNESTED\n"
            "  addressing_style = path\n"
            "aws_access_key_id = AKIDTOP\n"
            "aws_secret_access_key = s\n");
  EXPECT_EQ(Chain({{"HOME", Home()}})->Get()->access_key_id, "AKIDTOP");

  WriteFile(dir_.Join(".aws/config"), fmt::format("[default]\naws_access_key_id = AKID\n{}\n", kSecret));
  Result<AwsCredentials> c = Chain({{"HOME", Home()}})->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Contains(c.status().message(), Home() + "/.aws/config:3")) << c.status().ToString();
  ExpectNoSecrets(c.status());
}

// ---------------------------------------------------------------------------
// Container endpoint

TEST_F(CredentialsTest, ContainerRelativeUri) {
  http_.Push(200, EcsJson("AKIDECS", "2026-11-22T11:00:00Z"));
  Result<AwsCredentials> c =
      Chain({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc-123"}})->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDECS");
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(c->expiration, 1795345200000);  // 2026-11-22T11:00:00Z

  ASSERT_EQ(http_.count(), 1u);
  HttpRequest r = http_.requests()[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url, "http://169.254.170.2/v2/credentials/abc-123");
  EXPECT_EQ(r.FindHeader("Authorization"), nullptr);
  EXPECT_EQ(r.connect_timeout_ms, 2000);
  EXPECT_EQ(r.timeout_ms, 5000);
}

TEST_F(CredentialsTest, ContainerFullUriWithToken) {
  http_.Push(200, EcsJson("AKIDPOD", Expiry(kHour)));
  Result<AwsCredentials> c =
      Chain({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials"},
             {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer abc"}})
          ->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDPOD");
  HttpRequest r = http_.requests().at(0);
  EXPECT_EQ(r.url, "http://169.254.170.23/v1/credentials");
  ASSERT_NE(r.FindHeader("Authorization"), nullptr);
  EXPECT_EQ(*r.FindHeader("Authorization"), "Bearer abc");
}

TEST_F(CredentialsTest, ContainerRelativeUriWinsOverFullUri) {
  http_.Push(200, EcsJson("AKIDECS", Expiry(kHour)));
  ASSERT_TRUE(Chain({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/rel"},
                     {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/full"}})
                  ->Get()
                  .ok());
  EXPECT_EQ(http_.requests().at(0).url, "http://169.254.170.2/rel");
}

TEST_F(CredentialsTest, ContainerTokenFileWinsAndIsRereadOnRefresh) {
  WriteFile(dir_.Join("pod-token"), "token-one\n");
  CredentialsProviderPtr p = Chain({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost:8080/creds"},
                                    {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "literal"},
                                    {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir_.Join("pod-token")}});
  http_.Push(200, EcsJson("AKID1", Expiry(kHour)));
  ASSERT_TRUE(p->Get().ok());
  EXPECT_EQ(*http_.requests().at(0).FindHeader("Authorization"), "token-one");

  WriteFile(dir_.Join("pod-token"), "token-two");
  clock_.Advance(kHour - 4 * kMinute);
  http_.Push(200, EcsJson("AKID2", Expiry(kHour)));
  Result<AwsCredentials> c = p->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKID2");
  EXPECT_EQ(*http_.requests().at(1).FindHeader("Authorization"), "token-two");
}

TEST_F(CredentialsTest, ContainerMissingTokenFileIsAnError) {
  Result<AwsCredentials> c = Chain({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://creds.example.com/x"},
                                    {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir_.Join("missing")}})
                                 ->Get();
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Contains(c.status().message(), "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))
      << c.status().ToString();
  EXPECT_EQ(http_.count(), 0u);
}

TEST_F(CredentialsTest, ContainerFullUriAllowsHttpsAnywhereAndHttpOnlyToLocalAgents) {
  for (const char* url :
       {"https://creds.example.com/v1", "http://127.0.0.1:51679/creds", "http://127.3.2.1/x",
        "http://localhost/x", "HTTP://LOCALHOST:80/x", "http://169.254.170.2/v2/credentials",
        "http://169.254.170.23/v1/credentials", "http://[::1]:8080/x", "http://[fd00:ec2::23]/v1/credentials",
        "http://127.0.0.1?x=1"}) {
    FakeHttp http;
    http.Push(200, EcsJson("AKIDOK", Expiry(kHour)));
    Result<AwsCredentials> c =
        NewDefaultCredentialsChain({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", url}}, http, clock_)->Get();
    EXPECT_TRUE(c.ok()) << url << ": " << c.status().ToString();
    ASSERT_EQ(http.count(), 1u) << url;
    EXPECT_EQ(http.requests()[0].url, url);
  }
  for (const char* url :
       {"http://169.254.169.254/latest/meta-data/iam/security-credentials/r", "http://example.com/creds",
        "http://127.0.0.1.nip.io/x", "http://169.254.170.2.example.com/x", "http://127.0.0.1@evil.example/x",
        "http://user:pw@127.0.0.1/x", "http://0177.0.0.1/x", "http://127.1/x", "http://2130706433/x",
        "http://[::ffff:127.0.0.1]/x", "http://evil.example#@127.0.0.1/", "ftp://127.0.0.1/x",
        "file:///etc/passwd", "127.0.0.1/x", "http:///x"}) {
    FakeHttp http;
    Result<AwsCredentials> c =
        NewDefaultCredentialsChain({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", url}}, http, clock_)->Get();
    EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput) << url << ": " << c.status().ToString();
    EXPECT_TRUE(Contains(c.status().message(), "AWS_CONTAINER_CREDENTIALS_FULL_URI"))
        << c.status().ToString();
    EXPECT_EQ(http.count(), 0u) << url;
  }
}

TEST_F(CredentialsTest, ContainerRetriesTransportErrorsAnd5xxWithBackoff) {
  http_.PushError(Status::Unavailable("connection reset"));
  http_.Push(503, "busy");
  http_.PushError(Status::Timeout("timed out"));
  http_.Push(200, EcsJson("AKIDECS", Expiry(kHour)));
  Result<AwsCredentials> c = Chain({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"}})->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(http_.count(), 4u);
  EXPECT_EQ(clock_.sleeps(), 3);
  EXPECT_GT(clock_.slept_ms(), 0);
  EXPECT_LE(clock_.slept_ms(), 100 + 200 + 400);  // short: a credential fetch must not stall a worker
}

TEST_F(CredentialsTest, ContainerGivesUpAfterThreeRetries) {
  for (int i = 0; i < 5; ++i) http_.Push(500, "{\"message\":\"agent broken\"}");
  Result<AwsCredentials> c = Chain({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"}})->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kUnavailable);
  EXPECT_TRUE(Contains(c.status().message(), "HTTP 500: agent broken")) << c.status().ToString();
  EXPECT_EQ(http_.count(), 4u);
}

TEST_F(CredentialsTest, Container4xxIsNotRetriedAndDoesNotQuoteTheToken) {
  http_.Push(401, fmt::format(R"({{"code":"AccessDenied","message":"bad token {}"}})", kToken));
  Result<AwsCredentials> c = Chain({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/c"},
                                    {"AWS_CONTAINER_AUTHORIZATION_TOKEN", kToken}})
                                 ->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Contains(c.status().message(), "HTTP 401: bad token [redacted]")) << c.status().ToString();
  ExpectNoSecrets(c.status());
  EXPECT_EQ(http_.count(), 1u);
}

TEST_F(CredentialsTest, ContainerBadAnswersAreErrorsWithoutSecrets) {
  const std::string bodies[] = {
      fmt::format(R"({{"AccessKeyId":"AKID","SecretAccessKey":"{}","Token":"{}")", kSecret,
                  kToken),  // truncated
      fmt::format(R"({{"SecretAccessKey":"{}","Token":"{}"}})", kSecret, kToken),
      EcsJson("AKID", "next tuesday"),
      EcsJson("AKID", "2026-02-30T00:00:00Z"),
  };
  for (const std::string& body : bodies) {
    FakeHttp http;
    http.Push(200, body);
    Result<AwsCredentials> c =
        NewDefaultCredentialsChain({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"}}, http, clock_)->Get();
    ASSERT_FALSE(c.ok()) << body;
    ExpectNoSecrets(c.status());
  }
}

// Expiration formats the endpoints use, via the container answer.
TEST_F(CredentialsTest, ExpirationParsesIso8601Variants) {
  const std::pair<const char*, TimeMs> cases[] = {
      {"2026-11-26T12:00:00Z", 1795694400000},        {"2026-11-26T12:00:00.5Z", 1795694400500},
      {"2026-11-26T12:00:00.123456Z", 1795694400123}, {"2026-11-26T13:30:00+01:30", 1795694400000},
      {"2026-11-26T10:00:00-0200", 1795694400000},    {"2028-02-29T00:00:00Z", 1835395200000},
  };
  for (const auto& [text, want] : cases) {
    FakeHttp http;
    http.Push(200, EcsJson("AKID", text));
    Result<AwsCredentials> c =
        NewDefaultCredentialsChain({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"}}, http, clock_)->Get();
    ASSERT_TRUE(c.ok()) << text << ": " << c.status().ToString();
    EXPECT_EQ(c->expiration, want) << text;
  }
  for (const char* bad : {"2026-11-26T12:00:00", "2026-11-26 12:00:00Z", "2026-13-01T00:00:00Z",
                          "2026-11-26T12:00:00.Z", "2026-11-26T25:00:00Z", "2026-11-26T12:00:00Zjunk"}) {
    FakeHttp http;
    http.Push(200, EcsJson("AKID", bad));
    Result<AwsCredentials> c =
        NewDefaultCredentialsChain({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"}}, http, clock_)->Get();
    EXPECT_FALSE(c.ok()) << bad;
  }
}

// ---------------------------------------------------------------------------
// Web identity

TEST_F(CredentialsTest, WebIdentityRequestIsAnUnsignedUrlEncodedQueryCall) {
  WriteFile(dir_.Join("token"), "eyJ.a+b/c=&x\n");
  http_.Push(200, StsXml("ASIASTS", "2026-11-22T06:00:00Z"));
  Result<AwsCredentials> c = Chain({{"AWS_WEB_IDENTITY_TOKEN_FILE", dir_.Join("token")},
                                    {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/docpipe-role"},
                                    {"AWS_ROLE_SESSION_NAME", "ci@run=1,a.b"},
                                    {"AWS_REGION", "eu-central-1"},
                                    {"AWS_DEFAULT_REGION", "us-west-2"}})
                                 ->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(http_.count(), 1u);
  HttpRequest r = http_.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://sts.eu-central-1.amazonaws.com/");
  ASSERT_NE(r.FindHeader("content-type"), nullptr);
  EXPECT_TRUE(r.FindHeader("content-type")->starts_with("application/x-www-form-urlencoded"));
  EXPECT_EQ(r.FindHeader("Authorization"), nullptr);  // AssumeRoleWithWebIdentity is unsigned
  EXPECT_EQ(r.body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
            "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdocpipe-role"
            "&RoleSessionName=ci%40run%3D1%2Ca.b"
            "&WebIdentityToken=eyJ.a%2Bb%2Fc%3D%26x");
}

TEST_F(CredentialsTest, WebIdentityParsesTheXmlAnswer) {
  WriteFile(dir_.Join("token"), "jwt");
  http_.Push(200, StsXml("ASIASTS", "2026-11-22T06:00:00.000Z", "se&amp;cret&#x2F;&#47;", "tok&lt;en&gt;"));
  Result<AwsCredentials> c =
      Chain({{"AWS_WEB_IDENTITY_TOKEN_FILE", dir_.Join("token")}, {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}})
          ->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ASIASTS");
  EXPECT_EQ(c->secret_access_key, "se&cret//");
  EXPECT_EQ(c->session_token, "tok<en>");
  EXPECT_EQ(c->expiration, 1795327200000);  // 2026-11-22T06:00:00Z
}

TEST_F(CredentialsTest, WebIdentityDefaultsAndEndpointOverrides) {
  WriteFile(dir_.Join("token"), "jwt");
  Environment env = {{"AWS_WEB_IDENTITY_TOKEN_FILE", dir_.Join("token")},
                     {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}};
  http_.Push(200, StsXml("A1", Expiry(kHour)));
  ASSERT_TRUE(Chain(env)->Get().ok());
  EXPECT_EQ(http_.requests()[0].url, "https://sts.us-east-1.amazonaws.com/");
  EXPECT_TRUE(Contains(http_.requests()[0].body, fmt::format("&RoleSessionName=docpipe-{}&", clock_.NowMs())))
      << http_.requests()[0].body;

  env["AWS_DEFAULT_REGION"] = "ap-southeast-2";
  http_.Push(200, StsXml("A2", Expiry(kHour)));
  ASSERT_TRUE(Chain(env)->Get().ok());
  EXPECT_EQ(http_.requests()[1].url, "https://sts.ap-southeast-2.amazonaws.com/");

  env["AWS_ENDPOINT_URL"] = "http://localhost:4566/";
  http_.Push(200, StsXml("A3", Expiry(kHour)));
  ASSERT_TRUE(Chain(env)->Get().ok());
  EXPECT_EQ(http_.requests()[2].url, "http://localhost:4566/");

  env["AWS_ENDPOINT_URL_STS"] = "https://sts.internal.example";
  http_.Push(200, StsXml("A4", Expiry(kHour)));
  ASSERT_TRUE(Chain(env)->Get().ok());
  EXPECT_EQ(http_.requests()[3].url, "https://sts.internal.example/");
}

TEST_F(CredentialsTest, WebIdentityRereadsTheTokenFileOnRefresh) {
  WriteFile(dir_.Join("token"), "jwt-one");
  CredentialsProviderPtr p =
      Chain({{"AWS_WEB_IDENTITY_TOKEN_FILE", dir_.Join("token")}, {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}});
  http_.Push(200, StsXml("A1", Expiry(kHour)));
  ASSERT_TRUE(p->Get().ok());
  WriteFile(dir_.Join("token"), "jwt-two");
  clock_.Advance(56 * kMinute);
  http_.Push(200, StsXml("A2", Expiry(kHour)));
  EXPECT_EQ(p->Get()->access_key_id, "A2");
  ASSERT_EQ(http_.count(), 2u);
  EXPECT_TRUE(http_.requests()[0].body.ends_with("&WebIdentityToken=jwt-one"));
  EXPECT_TRUE(http_.requests()[1].body.ends_with("&WebIdentityToken=jwt-two"));
  // One session name per provider, so the audit trail shows one session.
  auto session = [](const std::string& body) {
    size_t start = body.find("RoleSessionName=");
    return body.substr(start, body.find('&', start) - start);
  };
  EXPECT_EQ(session(http_.requests()[0].body),
            fmt::format("RoleSessionName=docpipe-{}", FakeClock::kDefaultStart));
  EXPECT_EQ(session(http_.requests()[1].body), session(http_.requests()[0].body));
}

TEST_F(CredentialsTest, WebIdentityStsErrorsAreMappedAndDoNotQuoteTheToken) {
  WriteFile(dir_.Join("token"), kToken);
  Environment env = {{"AWS_WEB_IDENTITY_TOKEN_FILE", dir_.Join("token")},
                     {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}};
  http_.Push(400, StsError("InvalidIdentityToken", fmt::format("Token {} is not valid", kToken)));
  Result<AwsCredentials> c = Chain(env)->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(
      Contains(c.status().message(), "InvalidIdentityToken: Token [redacted] is not valid (HTTP 400)"))
      << c.status().ToString();
  ExpectNoSecrets(c.status());
  EXPECT_EQ(http_.count(), 1u);

  // IDPCommunicationError is transient: retried, then reported as Unavailable.
  for (int i = 0; i < 4; ++i) http_.Push(400, StsError("IDPCommunicationError", "IdP unreachable"));
  c = Chain(env)->Get();
  EXPECT_EQ(c.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(http_.count(), 5u);

  // A 200 without the secret fields is an error that quotes nothing of the body.
  http_.Push(
      200,
      fmt::format("<AssumeRoleWithWebIdentityResponse><Credentials><SessionToken>{}</SessionToken>"
                  "<SecretAccessKey>{}</SecretAccessKey></Credentials></AssumeRoleWithWebIdentityResponse>",
                  kToken, kSecret));
  c = Chain(env)->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(Contains(c.status().message(), "AccessKeyId")) << c.status().ToString();
  ExpectNoSecrets(c.status());
}

TEST_F(CredentialsTest, WebIdentityMisconfigurationIsAnError) {
  Result<AwsCredentials> c = Chain({{"AWS_WEB_IDENTITY_TOKEN_FILE", dir_.Join("token")}})->Get();
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Contains(c.status().message(), "AWS_ROLE_ARN")) << c.status().ToString();

  c = Chain(
          {{"AWS_WEB_IDENTITY_TOKEN_FILE", dir_.Join("missing")}, {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}})
          ->Get();
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Contains(c.status().message(), dir_.Join("missing"))) << c.status().ToString();
  EXPECT_EQ(http_.count(), 0u);
}

// ---------------------------------------------------------------------------
// Caching and refresh

class CachingTest : public CredentialsTest {
 protected:
  CredentialsProviderPtr EcsChain() { return Chain({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"}}); }
};

TEST_F(CachingTest, NoSecondCallBeforeTheRefreshWindow) {
  CredentialsProviderPtr p = EcsChain();
  http_.Push(200, EcsJson("AKID1", Expiry(kHour)));
  ASSERT_EQ(p->Get()->access_key_id, "AKID1");
  clock_.Advance(kHour - 5 * kMinute - 1);  // one millisecond before the window
  Result<AwsCredentials> c = p->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKID1");
  EXPECT_EQ(http_.count(), 1u);
}

TEST_F(CachingTest, RefreshesInsideTheWindow) {
  CredentialsProviderPtr p = EcsChain();
  http_.Push(200, EcsJson("AKID1", Expiry(kHour)));
  ASSERT_EQ(p->Get()->access_key_id, "AKID1");
  clock_.Advance(kHour - 5 * kMinute);
  http_.Push(200, EcsJson("AKID2", Expiry(kHour)));
  EXPECT_EQ(p->Get()->access_key_id, "AKID2");
  EXPECT_EQ(p->Get()->access_key_id, "AKID2");
  EXPECT_EQ(http_.count(), 2u);
}

TEST_F(CachingTest, FailedRefreshKeepsStillValidCredentialsAndRetriesLater) {
  CredentialsProviderPtr p = EcsChain();
  http_.Push(200, EcsJson("AKID1", Expiry(kHour)));
  ASSERT_EQ(p->Get()->access_key_id, "AKID1");
  clock_.Advance(kHour - 2 * kMinute);
  // The queue is empty: every attempt is a transport error.
  Result<AwsCredentials> c = p->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKID1");
  const size_t after_failure = http_.count();
  EXPECT_EQ(after_failure, 5u);  // the first fetch plus four attempts

  // Not retried on every call...
  EXPECT_EQ(p->Get()->access_key_id, "AKID1");
  EXPECT_EQ(http_.count(), after_failure);
  // ...but soon.
  clock_.Advance(10'000);
  http_.Push(200, EcsJson("AKID2", Expiry(kHour)));
  EXPECT_EQ(p->Get()->access_key_id, "AKID2");
}

TEST_F(CachingTest, ExpiredCacheAndFailingRefreshIsAnError) {
  CredentialsProviderPtr p = EcsChain();
  http_.Push(200, EcsJson("AKID1", Expiry(kHour)));
  ASSERT_TRUE(p->Get().ok());
  clock_.Advance(kHour);  // exactly at expiry: no longer valid
  http_.Push(403, R"({"message":"task role revoked"})");
  Result<AwsCredentials> c = p->Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(Contains(c.status().message(), "refreshing AWS credentials from container endpoint"))
      << c.status().ToString();
  EXPECT_TRUE(Contains(c.status().message(), "task role revoked")) << c.status().ToString();
  ExpectNoSecrets(c.status());
}

TEST_F(CachingTest, CredentialsWithoutExpirationAreFetchedOnce) {
  WriteFile(dir_.Join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
  CredentialsProviderPtr p = Chain({{"HOME", Home()}});
  ASSERT_EQ(p->Get()->access_key_id, "AKIDFILE");
  WriteFile(dir_.Join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIDNEW\naws_secret_access_key = s\n");
  clock_.Advance(24 * kHour);
  EXPECT_EQ(p->Get()->access_key_id, "AKIDFILE");
}

TEST_F(CachingTest, ConcurrentCallersShareOneRefresh) {
  CredentialsProviderPtr p = EcsChain();
  http_.set_delay_ms(50);
  http_.Push(200, EcsJson("AKID1", Expiry(kHour)));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      Result<AwsCredentials> c = p->Get();
      if (c.ok() && c->access_key_id == "AKID1") ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(http_.count(), 1u);

  // In the window, callers do not queue behind the refresh: they get the still-valid credentials.
  clock_.Advance(kHour - 3 * kMinute);
  http_.Push(200, EcsJson("AKID2", Expiry(kHour)));
  threads.clear();
  std::atomic<int> seen{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      Result<AwsCredentials> c = p->Get();
      if (c.ok() && (c->access_key_id == "AKID1" || c->access_key_id == "AKID2")) ++seen;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen.load(), 8);
  EXPECT_EQ(http_.count(), 2u);
  EXPECT_EQ(p->Get()->access_key_id, "AKID2");
}

// ---------------------------------------------------------------------------
// Over the wire: the real libcurl transport against a minimal HTTP/1.1 server
// on loopback (one request per connection), so what the providers build is
// checked as bytes on a socket, the form body decoded as a server would.

struct WireRequest {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

class LoopbackServer {
 public:
  using Handler = std::function<std::pair<int, std::string>(const WireRequest&)>;

  explicit LoopbackServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 8) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }
  std::string Url() const { return fmt::format("http://127.0.0.1:{}", port_); }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) continue;
      Answer(conn);
      close(conn);
    }
  }

  void Answer(int conn) {
    std::string data;
    char buf[4096];
    size_t head_end;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = recv(conn, buf, sizeof(buf), 0);
      if (n <= 0) return;
      data.append(buf, static_cast<size_t>(n));
    }
    WireRequest req;
    std::istringstream head(data.substr(0, head_end));
    std::string line;
    std::getline(head, line);
    std::istringstream(line) >> req.method >> req.target;
    while (std::getline(head, line)) {
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      size_t v = line.find_first_not_of(' ', colon + 1);
      req.headers[name] = v == std::string::npos ? "" : line.substr(v, line.find_last_not_of("\r") + 1 - v);
    }
    size_t length = req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
    req.body = data.substr(head_end + 4);
    while (req.body.size() < length) {
      ssize_t n = recv(conn, buf, sizeof(buf), 0);
      if (n <= 0) return;
      req.body.append(buf, static_cast<size_t>(n));
    }
    auto [status, body] = handler_(req);
    std::string out = fmt::format("HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                                  status, body.size(), body);
    for (size_t sent = 0; sent < out.size();) {
      ssize_t n = send(conn, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// application/x-www-form-urlencoded, decoded the way servers do ('+' is a space).
std::map<std::string, std::string> ParseForm(const std::string& body) {
  std::map<std::string, std::string> form;
  std::istringstream in(body);
  std::string pair;
  while (std::getline(in, pair, '&')) {
    size_t eq = pair.find('=');
    Result<std::string> k = UriDecode(pair.substr(0, eq), true);
    Result<std::string> v = UriDecode(eq == std::string::npos ? "" : pair.substr(eq + 1), true);
    if (k.ok() && v.ok()) form[*k] = *v;
  }
  return form;
}

TEST(CredentialsOverHttpTest, ContainerAndWebIdentityAgainstALoopbackServer) {
  const std::string web_token = "eyJ.a+b/c=&d e%";
  FakeClock clock;
  const std::string expiration = FormatIso8601(clock.NowMs() + kHour);
  std::mutex mu;
  std::vector<WireRequest> seen;
  LoopbackServer srv([&](const WireRequest& req) -> std::pair<int, std::string> {
    std::lock_guard lock(mu);
    seen.push_back(req);
    if (req.method == "GET" && req.target == "/v1/credentials") return {200, EcsJson("AKIDWIRE", expiration)};
    if (req.method == "POST" && req.target == "/") return {200, StsXml("ASIAWIRE", expiration)};
    return {404, "{}"};
  });
  ASSERT_GT(srv.port(), 0);

  HttpClientPtr http = NewCurlHttpClient();
  Result<AwsCredentials> c =
      NewDefaultCredentialsChain({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.Url() + "/v1/credentials"},
                                  {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer wire-token"}},
                                 *http, clock)
          ->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "AKIDWIRE");
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(FormatIso8601(c->expiration), expiration);

  TempDir dir;
  WriteFile(dir.Join("token"), web_token);
  c = NewDefaultCredentialsChain({{"AWS_WEB_IDENTITY_TOKEN_FILE", dir.Join("token")},
                                  {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/wire"},
                                  {"AWS_ROLE_SESSION_NAME", "wire@test"},
                                  {"AWS_ENDPOINT_URL_STS", srv.Url()}},
                                 *http, clock)
          ->Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ASIAWIRE");
  EXPECT_EQ(c->secret_access_key, kSecret);

  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].headers["authorization"], "Bearer wire-token");
  EXPECT_TRUE(seen[1].headers["content-type"].starts_with("application/x-www-form-urlencoded"));
  std::map<std::string, std::string> form = ParseForm(seen[1].body);
  EXPECT_EQ(form["Action"], "AssumeRoleWithWebIdentity");
  EXPECT_EQ(form["Version"], "2011-06-15");
  EXPECT_EQ(form["RoleArn"], "arn:aws:iam::123456789012:role/wire");
  EXPECT_EQ(form["RoleSessionName"], "wire@test");
  EXPECT_EQ(form["WebIdentityToken"], web_token);
  EXPECT_EQ(form.size(), 5u);
}

}  // namespace
}  // namespace docpipe
