// SigV4 query-string presigning (presigned S3 URLs, the dashboard's uploads
// in the AWS shape). The conformance test presigns the same S3 requests here
// and with botocore's generate_presigned_url (tools/botocore_presign.py, run
// now, not recorded) and requires the same URL, byte for byte. It fails,
// never skips, when python3 or botocore is missing.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aws/sigv4.h"
#include "object_store/s3_object_store.h"
#include "support/process.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

using json = nlohmann::json;

constexpr TimeMs kTime = 1795668910987;  // 2026-11-26T04:55:10.987Z

const AwsCredentials kLongTerm{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", 0};
const AwsCredentials kSession{
    "ASIAIOSFODNN7EXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token/with+slash==", 0};

struct PresignCase {
  std::string operation;  // put_object, get_object
  std::string bucket;
  std::string key;
  std::string content_type;
  std::string region;
  std::string endpoint_url;  // "" = AWS
  bool path_style = false;
  int64_t expires = 900;
  TimeMs time = kTime;
  AwsCredentials credentials;
};

std::vector<PresignCase> Cases() {
  return {
      {"put_object", "docpipe-bucket", "input/My Docs/résumé (final)+v2!,=&$@'~.pdf", "application/pdf",
       "eu-west-1", "", false, 900, kTime, kSession},
      {"put_object", "docpipe-bucket", "input/plain.txt", "", "us-east-1", "", false, 3600, kTime, kLongTerm},
      {"put_object", "docpipe-bucket", "input/报告 2026.docx",
       "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "ap-southeast-2", "", false,
       604800, kTime + 86'400'000, kSession},
      {"put_object", "docpipe-test", "input/a b/c.pdf", "application/pdf", "us-east-1", "http://127.0.0.1:5000",
       true, 600, kTime, kLongTerm},
      {"get_object", "docpipe-bucket", "extracted/doc-0123/page-0001.md", "", "eu-central-1", "", false, 60,
       kTime, kSession},
  };
}

std::string Endpoint(const PresignCase& c) {
  return c.endpoint_url.empty() ? "https://s3." + c.region + ".amazonaws.com" : c.endpoint_url;
}

std::string Presign(const PresignCase& c) {
  HttpRequest r;
  r.method = c.operation == "put_object" ? "PUT" : "GET";
  r.url = S3ObjectUrl(Endpoint(c), c.bucket, c.path_style, c.key);
  if (!c.content_type.empty()) r.headers.push_back({"Content-Type", c.content_type});
  return PresignSigV4(r, c.credentials, SigV4Params{c.region, "s3", c.time, false}, c.expires);
}

TEST(SigV4Presign, MatchesBotocoreGeneratePresignedUrl) {
  const std::vector<PresignCase> cases = Cases();
  json input = json::array();
  for (const PresignCase& c : cases) {
    input.push_back({{"operation", c.operation},
                     {"bucket", c.bucket},
                     {"key", c.key},
                     {"content_type", c.content_type},
                     {"region", c.region},
                     {"endpoint_url", c.endpoint_url},
                     {"addressing_style", c.path_style ? "path" : "virtual"},
                     {"expires", c.expires},
                     {"time_ms", c.time},
                     {"access_key", c.credentials.access_key_id},
                     {"secret_key", c.credentials.secret_access_key},
                     {"session_token", c.credentials.session_token}});
  }
  testing::TempDir tmp;
  testing::WriteFile(tmp.Join("requests.json"), input.dump());
  const std::string script = std::string(DOCPIPE_SOURCE_DIR) + "/tools/botocore_presign.py";
  const auto r = testing::RunProcess(
      {"/bin/sh", "-c", "command -v python3 >/dev/null || exit 127; exec python3 \"$0\" < \"$1\"", script,
       tmp.Join("requests.json")},
      {}, 120);
  ASSERT_NE(r.exit_code, 127) << "python3 is not on PATH; this test needs python3 with botocore ("
                              << testing::kInstallTestPeers << "). stderr: " << r.err;
  ASSERT_EQ(r.exit_code, 0) << "tools/botocore_presign.py failed (is the pinned botocore installed? "
                            << testing::kInstallTestPeers << "). stderr:\n"
                            << r.err;
  json expected = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(expected.is_array()) << r.out;
  ASSERT_EQ(expected.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].key);
    EXPECT_EQ(Presign(cases[i]), expected[i].get<std::string>());
  }
}

// AWS's documented example of a presigned GET ("Authenticating Requests:
// Using Query Parameters", examplebucket/test.txt, 2013-05-24, one day).
TEST(SigV4Presign, AwsDocumentationExample) {
  HttpRequest r;
  r.method = "GET";
  r.url = "https://examplebucket.s3.amazonaws.com/test.txt";
  const TimeMs may24 = 1369353600000;  // 2013-05-24T00:00:00Z
  EXPECT_EQ(PresignSigV4(r, kLongTerm, SigV4Params{"us-east-1", "s3", may24, false}, 86400),
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4Presign, ChangingASignedPartChangesTheSignature) {
  PresignCase c = Cases()[0];
  const std::string base = Presign(c);
  PresignCase other_type = c;
  other_type.content_type = "text/plain";
  PresignCase other_key = c;
  other_key.key += "x";
  PresignCase later = c;
  later.time += 1000;
  auto signature = [](const std::string& url) { return url.substr(url.rfind("X-Amz-Signature=")); };
  EXPECT_NE(signature(base), signature(Presign(other_type)));
  EXPECT_NE(signature(base), signature(Presign(other_key)));
  EXPECT_NE(signature(base), signature(Presign(later)));
}

}  // namespace
}  // namespace docpipe
