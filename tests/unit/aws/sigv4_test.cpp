// SigV4 signing. The conformance test signs a set of real-shaped requests
// (DynamoDB, SQS, CloudWatch, Secrets Manager, STS, Comprehend, Lambda, S3,
// LocalStack) both here and with botocore itself (tools/botocore_sign.py, run
// now, not recorded) and requires the same bytes. It fails, never skips, when
// python3 or botocore is missing: a signer nobody checked is not "passing".

#include "aws/sigv4.h"

#include <gtest/gtest.h>
#include <strings.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/test_util.h"
#include "common/strings.h"

namespace docpipe {
namespace {

using json = nlohmann::json;

// 2015-08-30T12:36:00Z, the time of AWS's documented SigV4 examples.
constexpr TimeMs kDocTime = 1440938160000;
// 2026-11-26T04:55:10.987Z; the milliseconds must be dropped, not rounded.
constexpr TimeMs kTime = 1795668910987;

const AwsCredentials kDocCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", 0};
const AwsCredentials kLongTerm{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", 0};
const AwsCredentials kSession{
    "ASIAIOSFODNN7EXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token/with+slash==", 0};

// The headers botocore's signer may add or rewrite (tools/botocore_sign.py).
const std::vector<std::string> kSignerHeaders = {"Authorization", "X-Amz-Date", "Date",
                                                 "X-Amz-Security-Token", "X-Amz-Content-SHA256"};

struct SignCase {
  std::string name;
  HttpRequest request;
  std::string service;
  std::string region;
  TimeMs time = kTime;
  AwsCredentials credentials;
};

HttpRequest Request(std::string method, std::string url,
                    std::vector<std::pair<std::string, std::string>> headers, std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

SigV4Params ParamsFor(const SignCase& c) {
  return SigV4Params{c.region, c.service, c.time, c.service == "s3"};
}

std::vector<SignCase> ConformanceCases() {
  // An object key with spaces, non-ASCII, reserved characters, "//" and dot
  // segments: S3 must sign the path exactly as sent.
  const std::string key = "input/My Docs/a//b/./c/../résumé (final)+v2!,=&?#%~'*$@.pdf";
  const std::string s3 = "https://docpipe-bucket.s3.eu-west-1.amazonaws.com";
  const std::string delete_body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Quiet>true</Quiet><Object><Key>chunks/a "
      "b.json</Key></Object><Object><Key>chunks/résumé.json</Key></Object>"
      "</Delete>";
  std::vector<SignCase> cases;

  cases.push_back(
      {"dynamodb_put_item_session",
       Request(
           "POST", "https://dynamodb.us-east-1.amazonaws.com/",
           {{"Content-Type", "application/x-amz-json-1.0"}, {"X-Amz-Target", "DynamoDB_20120810.PutItem"}},
           R"({"TableName":"docpipe-control","Item":{"document_id":{"S":"manual-0123456789ab"},)"
           R"json("state":{"S":"PENDING"}},"ConditionExpression":"attribute_not_exists(document_id)"})json"),
       "dynamodb", "us-east-1", kTime, kSession});
  cases.push_back(
      {"sqs_json_send_message",
       Request(
           "POST", "https://sqs.eu-west-1.amazonaws.com/",
           {{"Content-Type", "application/x-amz-json-1.0"},
            {"X-Amz-Target", "AmazonSQS.SendMessage"},
            {"User-Agent", "docpipe/0.1.0"}},
           R"({"QueueUrl":"https://sqs.eu-west-1.amazonaws.com/123456789012/docpipe-work",)"
           R"("MessageBody":"{\"document_id\":\"manual-0123456789ab\",\"processing_version\":\"000001\"}"})"),
       "sqs", "eu-west-1", kTime, kLongTerm});
  cases.push_back({"monitoring_put_metric_data",
                   Request("POST", "https://monitoring.us-west-2.amazonaws.com/",
                           {{"Content-Type", "application/x-amz-json-1.0"},
                            {"X-Amz-Target", "GraniteServiceVersion20100801.PutMetricData"},
                            {"Content-Encoding", "identity"}},
                           R"({"Namespace":"docpipe","MetricData":[{"MetricName":"DocumentsCompleted",)"
                           R"("Value":3,"Unit":"Count"}]})"),
                   "monitoring", "us-west-2", kTime, kSession});
  cases.push_back({"secretsmanager_get_secret_value",
                   Request("POST", "https://secretsmanager.eu-central-1.amazonaws.com/",
                           {{"Content-Type", "application/x-amz-json-1.1"},
                            {"X-Amz-Target", "secretsmanager.GetSecretValue"}},
                           R"({"SecretId":"docpipe/openai-api-key"})"),
                   "secretsmanager", "eu-central-1", kTime, kSession});
  cases.push_back(
      {"sts_query_post",
       Request("POST", "https://sts.amazonaws.com/",
               {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
               "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2F"
               "docpipe&RoleSessionName=docpipe-worker"),
       "sts", "us-east-1", kTime, kLongTerm});
  cases.push_back(
      {"sts_get_empty_body",
       Request("GET", "https://sts.us-east-1.amazonaws.com/?Version=2011-06-15&Action=GetCallerIdentity", {}),
       "sts", "us-east-1", kTime, kSession});
  cases.push_back(
      {"comprehend_detect_entities_unicode",
       Request("POST", "https://comprehend.us-east-1.amazonaws.com/",
               {{"Content-Type", "application/x-amz-json-1.1"},
                {"X-Amz-Target", "Comprehend_20171127.DetectEntities"}},
               R"({"Text":"Zoë Müller met 李雷 in Köln — €5, naïve café ☕","LanguageCode":"de"})"),
       "comprehend", "us-east-1", kTime, kLongTerm});
  cases.push_back(
      {"lambda_invoke_arn_path_double_encoded",
       Request("POST",
               "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/" +
                   UriEncode("arn:aws:lambda:us-east-1:123456789012:function:docpipe-embed", false) +
                   "/invocations",
               {{"X-Amz-Invocation-Type", "RequestResponse"}}, R"({"document_id":"x"})"),
       "lambda", "us-east-1", kTime, kSession});
  cases.push_back(
      {"execute_api_path_normalized",
       Request("GET", "https://abc123.execute-api.us-east-1.amazonaws.com/prod/./v1//items/../docs/a%20b/",
               {}),
       "execute-api", "us-east-1", kTime, kLongTerm});
  cases.push_back(
      {"s3_get_encoded_key",
       Request("GET", s3 + "/" + UriEncode(key, /*keep_slash=*/true), {{"Range", "bytes=0-1023"}}), "s3",
       "eu-west-1", kTime, kSession});
  const std::string put_body = R"({"chunks":["α","β"],"n":2})";
  cases.push_back({"s3_put_with_body",
                   Request("PUT", s3 + "/" + UriEncode("chunks/résumé (final).json", true),
                           {{"Content-Type", "application/json"},
                            {"Content-Length", std::to_string(put_body.size())},
                            {"x-amz-meta-source-key", "input/My%20Docs/r%C3%A9sum%C3%A9.pdf"},
                            {"x-amz-server-side-encryption", "aws:kms"}},
                           put_body),
                   "s3", "eu-west-1", kTime, kSession});
  cases.push_back({"s3_put_empty_object", Request("PUT", s3 + "/markers/done", {{"Content-Length", "0"}}),
                   "s3", "eu-west-1", kTime, kLongTerm});
  cases.push_back(
      {"s3_list_objects_v2_query",
       Request("GET",
               s3 + "/?list-type=2&prefix=" + UriEncode("input/My Docs/ré+", false) + "&continuation-token=" +
                   UriEncode("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=", false) +
                   "&max-keys=1000&delimiter=%2F&encoding-type=&fetch-owner=true",
               {}),
       "s3", "eu-west-1", kTime, kSession});
  cases.push_back({"s3_bare_query_params", Request("GET", s3 + "/?list-type=2&delete&acl", {}), "s3",
                   "eu-west-1", kTime, kLongTerm});
  cases.push_back({"s3_delete_objects_content_md5",
                   Request("POST", s3 + "/?delete",
                           {{"Content-Type", "application/xml"}, {"Content-MD5", "5yqdx+DnjSD2etLu+zReZQ=="}},
                           delete_body),
                   "s3", "eu-west-1", kTime, kSession});
  cases.push_back(
      {"localstack_s3_path_style_port",
       Request("GET", "http://127.0.0.1:4566/docpipe-bucket/" + UriEncode("input/a b.txt", true), {}), "s3",
       "us-east-1", kTime, AwsCredentials{"test", "test", "", 0}});
  cases.push_back({"localstack_dynamodb_port",
                   Request("POST", "http://localhost:4566/",
                           {{"Content-Type", "application/x-amz-json-1.0"},
                            {"X-Amz-Target", "DynamoDB_20120810.GetItem"}},
                           R"({"TableName":"t","Key":{"k":{"S":"v"}}})"),
                   "dynamodb", "us-east-1", kTime, AwsCredentials{"test", "test", "session", 0}});
  cases.push_back(
      {"explicit_default_port_uppercase_host",
       Request("POST", "https://DynamoDB.US-EAST-1.amazonaws.com:443/",
               {{"Content-Type", "application/x-amz-json-1.0"}, {"X-Amz-Target", "DynamoDB_20120810.Scan"}},
               "{}"),
       "dynamodb", "us-east-1", kTime, kLongTerm});
  cases.push_back({"explicit_host_header",
                   Request("GET", "http://127.0.0.1:4566/docpipe-bucket/k",
                           {{"Host", "docpipe-bucket.s3.localhost.localstack.cloud:4566"}}),
                   "s3", "us-east-1", kTime, kLongTerm});
  cases.push_back({"ipv6_host", Request("GET", "http://[::1]:4566/docpipe-bucket/k", {}), "s3", "us-east-1",
                   kTime, kLongTerm});
  cases.push_back({"header_rules_unsigned_repeated_whitespace",
                   Request("POST", "https://sqs.us-east-1.amazonaws.com/",
                           {{"content-type", "application/x-amz-json-1.0"},
                            {"X-Amz-Target", "AmazonSQS.ReceiveMessage"},
                            {"User-Agent", "docpipe/0.1.0 curl"},
                            {"Expect", "100-continue"},
                            {"X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793"},
                            {"Connection", "keep-alive"},
                            {"X-Docpipe-Note", "  several   inner\t\tspaces  and tabs\t"},
                            {"X-Docpipe-Repeated", "first"},
                            {"x-docpipe-repeated", " second  value "},
                            {"X-Docpipe-Empty", ""}},
                           R"({"QueueUrl":"q","MaxNumberOfMessages":10})"),
                   "sqs", "us-east-1", kTime, kSession});
  cases.push_back({"resign_replaces_stale_auth_headers",
                   Request("GET", "https://dynamodb.us-east-1.amazonaws.com/",
                           {{"Authorization",
                             "AWS4-HMAC-SHA256 Credential=OLD/20000101/us-east-1/dynamodb/aws4_request, "
                             "SignedHeaders=host, Signature=00"},
                            {"X-Amz-Date", "20000101T000000Z"},
                            {"X-Amz-Security-Token", "stale-token"}}),
                   "dynamodb", "us-east-1", kTime, kSession});
  cases.push_back({"date_header_instead_of_x_amz_date",
                   Request("GET", s3 + "/k", {{"Date", "Mon, 01 Jan 2001 00:00:00 GMT"}}), "s3", "eu-west-1",
                   kTime, kLongTerm});
  cases.push_back({"declared_unsigned_payload_non_s3",
                   Request("PUT", "https://example-service.us-east-1.amazonaws.com/upload",
                           {{"X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"}}, "streamed body"),
                   "example-service", "us-east-1", kTime, kLongTerm});
  cases.push_back({"aws_doc_example",
                   Request("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", {}),
                   "service", "us-east-1", kDocTime, kDocCredentials});
  return cases;
}

json ToJson(const SignCase& c) {
  json headers = json::array();
  for (const auto& [k, v] : c.request.headers) headers.push_back({k, v});
  return {{"method", c.request.method},
          {"url", c.request.url},
          {"headers", headers},
          {"body", c.request.body},
          {"service", c.service},
          {"region", c.region},
          {"time_ms", c.time},
          {"access_key", c.credentials.access_key_id},
          {"secret_key", c.credentials.secret_access_key},
          {"session_token", c.credentials.session_token}};
}

// All values of the headers named `name` (case-insensitive), with the names
// as spelled in the request.
std::vector<std::pair<std::string, std::string>> HeadersNamed(const HttpRequest& r, const std::string& name) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : r.headers) {
    if (strcasecmp(kv.first.c_str(), name.c_str()) == 0) out.push_back(kv);
  }
  return out;
}

TEST(SigV4Botocore, MatchesBotocoreByteForByte) {
  const std::vector<SignCase> cases = ConformanceCases();
  ASSERT_GE(cases.size(), 12u);

  json input = json::array();
  for (const SignCase& c : cases) input.push_back(ToJson(c));
  docpipe::testing::TempDir tmp;
  docpipe::testing::WriteFile(tmp.Join("requests.json"), input.dump());

  // RunProcess gives the child /dev/null as stdin, so a shell redirects it.
  const std::string script = std::string(DOCPIPE_SOURCE_DIR) + "/tools/botocore_sign.py";
  const auto r = docpipe::testing::RunProcess(
      {"/bin/sh", "-c", "command -v python3 >/dev/null || exit 127; exec python3 \"$0\" < \"$1\"", script,
       tmp.Join("requests.json")},
      {}, 120);
  ASSERT_NE(r.exit_code, 127)
      << "python3 is not on PATH; the SigV4 conformance test needs python3 with botocore "
         "(" << docpipe::testing::kInstallTestPeers << "). stderr: "
      << r.err;
  ASSERT_EQ(r.exit_code, 0) << "tools/botocore_sign.py failed (is the pinned botocore installed? "
                            << docpipe::testing::kInstallTestPeers << "). stderr:\n"
                            << r.err;
  json expected = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(expected.is_array()) << "unparseable output from botocore_sign.py:\n" << r.out;
  ASSERT_EQ(expected.size(), cases.size());

  for (size_t i = 0; i < cases.size(); ++i) {
    const SignCase& c = cases[i];
    const json& want = expected[i];
    SCOPED_TRACE(c.name);
    HttpRequest signed_request = c.request;
    SignSigV4(signed_request, c.credentials, ParamsFor(c));

    // The signature covers these, so compare them first: a mismatch here
    // pinpoints the rule that differs.
    EXPECT_EQ(SigV4CanonicalRequest(signed_request, ParamsFor(c)),
              want["canonical_request"].get<std::string>());
    EXPECT_EQ(SigV4StringToSign(signed_request, ParamsFor(c)), want["string_to_sign"].get<std::string>());

    for (const std::string& name : kSignerHeaders) {
      const auto ours = HeadersNamed(signed_request, name);
      if (!want["headers"].contains(name)) {
        EXPECT_TRUE(ours.empty()) << name << " is set here but not by botocore: " << ours.front().second;
        continue;
      }
      const auto theirs = want["headers"][name].get<std::vector<std::string>>();
      ASSERT_EQ(ours.size(), theirs.size()) << name;
      for (size_t k = 0; k < ours.size(); ++k) {
        EXPECT_EQ(ours[k].first, name) << "header name spelling";
        EXPECT_EQ(ours[k].second, theirs[k]) << name;
      }
    }
  }
}

// AWS's documented example ("GET /?Param2=value2&Param1=value1"), with the
// intermediate values printed in the SigV4 guide.
TEST(SigV4, AwsDocumentationExample) {
  HttpRequest r = Request("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", {});
  SigV4Params p{"us-east-1", "service", kDocTime, false};
  EXPECT_EQ(SigV4CanonicalRequest(r, p),
            "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(SigV4StringToSign(r, p),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
  SignSigV4(r, kDocCredentials, p);
  ASSERT_NE(r.FindHeader("Authorization"), nullptr);
  EXPECT_EQ(*r.FindHeader("Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
  EXPECT_EQ(*r.FindHeader("X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(r.FindHeader("X-Amz-Security-Token"), nullptr);
  EXPECT_EQ(r.FindHeader("X-Amz-Content-SHA256"), nullptr);
}

std::string Line(const std::string& text, int n) {
  size_t pos = 0;
  for (int i = 0; i < n; ++i) pos = text.find('\n', pos) + 1;
  return text.substr(pos, text.find('\n', pos) - pos);
}

TEST(SigV4, QueryIsDecodedAndReencoded) {
  // Lower-case escapes, an escaped unreserved character and a bare name all
  // reach the service as the same decoded parameters; the signature must too.
  HttpRequest r = Request("GET", "https://s.amazonaws.com/?b=%7e&a=x%2fy&c&a=%41%20&d=", {});
  EXPECT_EQ(Line(SigV4CanonicalRequest(r, {"us-east-1", "svc", kTime, false}), 2),
            "a=A%20&a=x%2Fy&b=~&c=&d=");
}

TEST(SigV4, S3PathIsSignedAsSentOtherServicesNormalizeAndEncodeAgain) {
  const std::string url = "https://h.amazonaws.com/a/./b//c/../d%20e%3A";
  EXPECT_EQ(Line(SigV4CanonicalRequest(Request("GET", url, {}), {"us-east-1", "s3", kTime, true}), 1),
            "/a/./b//c/../d%20e%3A");
  EXPECT_EQ(Line(SigV4CanonicalRequest(Request("GET", url, {}), {"us-east-1", "lambda", kTime, false}), 1),
            "/a/b/d%2520e%253A");
  EXPECT_EQ(Line(SigV4CanonicalRequest(Request("GET", "https://h.amazonaws.com", {}),
                                       {"us-east-1", "s3", kTime, true}),
                 1),
            "/");
}

TEST(SigV4, HostPortAndSessionToken) {
  SigV4Params p{"us-east-1", "s3", kTime, true};
  HttpRequest r = Request("GET", "http://127.0.0.1:4566/b/k", {});
  SignSigV4(r, kSession, p);
  EXPECT_EQ(*r.FindHeader("X-Amz-Security-Token"), kSession.session_token);
  EXPECT_EQ(*r.FindHeader("X-Amz-Content-SHA256"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_NE(r.FindHeader("Authorization")
                ->find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "),
            std::string::npos);
  std::string canonical = SigV4CanonicalRequest(r, p);
  EXPECT_NE(canonical.find("\nhost:127.0.0.1:4566\n"), std::string::npos) << canonical;
  // Milliseconds are dropped, not rounded.
  EXPECT_EQ(*r.FindHeader("X-Amz-Date"), "20261126T045510Z");

  HttpRequest https_default = Request("GET", "https://B.example.com:443/k", {});
  EXPECT_NE(SigV4CanonicalRequest(https_default, p).find("\nhost:b.example.com\n"), std::string::npos);
  HttpRequest http_on_443 = Request("GET", "http://b.example.com:443/k", {});
  EXPECT_NE(SigV4CanonicalRequest(http_on_443, p).find("\nhost:b.example.com:443\n"), std::string::npos);
}

TEST(SigV4, SigningTwiceGivesOneSetOfHeadersAndTheSameSignature) {
  SigV4Params p{"eu-west-1", "dynamodb", kTime, false};
  HttpRequest r = Request("POST", "https://dynamodb.eu-west-1.amazonaws.com/",
                          {{"X-Amz-Target", "DynamoDB_20120810.GetItem"}}, "{}");
  SignSigV4(r, kSession, p);
  const HttpRequest once = r;
  SignSigV4(r, kSession, p);
  EXPECT_EQ(r.headers, once.headers);
  std::set<std::string> names;
  for (const auto& [k, v] : r.headers) EXPECT_TRUE(names.insert(k).second) << "duplicate " << k;
}

}  // namespace
}  // namespace docpipe
