#include "object_store/s3_object_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/hash.h"
#include "http/curl_http_client.h"
#include "support/moto_fixture.h"
#include "support/test_util.h"
#include "unit/object_store/store_helpers.h"

namespace docpipe {
namespace {

using testing::Keys;
using testing::Must;

namespace fs = std::filesystem;

constexpr const char* kBucket = "docpipe-test";

class TestCredentials final : public CredentialsProvider {
 public:
  Result<AwsCredentials> Get() override { return AwsCredentials{"AKIDTESTMOTO", "motosecret", "", 0}; }
};

// The real transport, with a record of every request and hooks to fake or
// follow single exchanges.
class RecordingHttpClient final : public HttpClient {
 public:
  explicit RecordingHttpClient(HttpClient& real) : real_(real) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
    }
    if (before) {
      if (std::optional<HttpResponse> fake = before(request)) return *fake;
    }
    Result<HttpResponse> r = real_.Send(request);
    if (after && r.ok()) after(request, *r);
    return r;
  }

  std::vector<HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  void Clear() {
    std::lock_guard lock(mu_);
    requests_.clear();
  }
  int Count(const std::string& method, const std::string& url_part) {
    int n = 0;
    for (const HttpRequest& r : requests()) n += r.method == method && r.url.find(url_part) != std::string::npos;
    return n;
  }

  std::function<std::optional<HttpResponse>(const HttpRequest&)> before;
  std::function<void(const HttpRequest&, const HttpResponse&)> after;

 private:
  HttpClient& real_;
  std::mutex mu_;
  std::vector<HttpRequest> requests_;
};

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

// boto3 client set-up shared by the scripts (path style: 127.0.0.1 has no
// bucket subdomains).
constexpr const char* kBotoPrologue = R"py(
import boto3, hashlib, json, os, sys
from botocore.config import Config
s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
B = "docpipe-test"
)py";

// ---- pure tests: addressing and the ListObjectsV2 parser ---------------------

TEST(S3AddressingTest, AwsEndpointsUseVirtualHostsUnlessTheBucketHasDots) {
  const std::string aws = "https://s3.us-east-1.amazonaws.com";
  S3Options o;
  o.bucket = "my-bucket";
  EXPECT_FALSE(S3UsesPathStyle(aws, o));
  EXPECT_FALSE(S3UsesPathStyle("https://s3.cn-north-1.amazonaws.com.cn", o));
  EXPECT_EQ(S3ObjectUrl(aws, "my-bucket", false, "dir/a b+c.pdf"),
            "https://my-bucket.s3.us-east-1.amazonaws.com/dir/a%20b%2Bc.pdf");
  EXPECT_EQ(S3ObjectUrl(aws, "my-bucket", false, ""), "https://my-bucket.s3.us-east-1.amazonaws.com/");
  EXPECT_EQ(S3ObjectUrl(aws, "my-bucket", false, "", "list-type=2&prefix=a"),
            "https://my-bucket.s3.us-east-1.amazonaws.com/?list-type=2&prefix=a");

  o.bucket = "my.dotted.bucket";  // a wildcard certificate covers one label only
  EXPECT_TRUE(S3UsesPathStyle(aws, o));
  o.bucket = "Legacy_Bucket";  // not a DNS label
  EXPECT_TRUE(S3UsesPathStyle(aws, o));
  o.bucket = "my-bucket";
  o.force_path_style = true;
  EXPECT_TRUE(S3UsesPathStyle(aws, o));
  EXPECT_EQ(S3ObjectUrl(aws, "my.dotted.bucket", true, "k"), "https://s3.us-east-1.amazonaws.com/my.dotted.bucket/k");
}

TEST(S3AddressingTest, CustomEndpointsUsePathStyleUnlessForced) {
  S3Options o;
  o.bucket = "my-bucket";
  EXPECT_TRUE(S3UsesPathStyle("http://127.0.0.1:5000", o));
  EXPECT_TRUE(S3UsesPathStyle("http://minio.internal:9000", o));
  EXPECT_EQ(S3ObjectUrl("http://127.0.0.1:5000", "my-bucket", true, "a/b"), "http://127.0.0.1:5000/my-bucket/a/b");
  EXPECT_EQ(S3ObjectUrl("http://127.0.0.1:5000", "my-bucket", true, ""), "http://127.0.0.1:5000/my-bucket");
  EXPECT_EQ(S3ObjectUrl("http://127.0.0.1:5000", "my-bucket", true, "", "delete"),
            "http://127.0.0.1:5000/my-bucket?delete");
  // A proxy's path prefix stays in front of the bucket or key.
  EXPECT_EQ(S3ObjectUrl("http://proxy:8080/s3/", "b1", true, "k"), "http://proxy:8080/s3/b1/k");
  EXPECT_EQ(S3ObjectUrl("http://proxy:8080/s3", "b1", false, "k"), "http://b1.proxy:8080/s3/k");
  o.force_virtual_host = true;
  EXPECT_FALSE(S3UsesPathStyle("http://localhost:5000", o));
  EXPECT_EQ(S3ObjectUrl("http://localhost:5000", "my-bucket", false, "k"), "http://my-bucket.localhost:5000/k");
}

TEST(S3AddressingTest, KeysArePercentEncodedWithSlashesKept) {
  const std::string url = S3ObjectUrl("http://h", "b", true, "dir/\xC3\xBC #?%+~&=;,:@$!'()*.pdf");
  EXPECT_EQ(url, "http://h/b/dir/%C3%BC%20%23%3F%25%2B~%26%3D%3B%2C%3A%40%24%21%27%28%29%2A.pdf");
}

TEST(S3AddressingTest, StoreOptionsAreChecked) {
  std::unique_ptr<HttpClient> http = NewCurlHttpClient();
  TestCredentials creds;
  std::unique_ptr<Clock> clock = NewSystemClock();
  RetryQuota quota;
  AwsClient client({"us-east-1", "s3", "https://s3.us-east-1.amazonaws.com"}, *http, creds, *clock, quota);
  auto make = [&](const std::function<void(S3Options&)>& change) {
    S3Options o;
    o.bucket = "docpipe-bucket";
    change(o);
    return NewS3ObjectStore(client, o);
  };
  auto good = make([](S3Options&) {});
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  auto* s3 = dynamic_cast<S3ObjectStore*>(good->get());
  ASSERT_NE(s3, nullptr);
  EXPECT_FALSE(s3->path_style());
  EXPECT_EQ(s3->Url("a b"), "https://docpipe-bucket.s3.us-east-1.amazonaws.com/a%20b");

  for (auto change : std::vector<std::function<void(S3Options&)>>{
           [](S3Options& o) { o.bucket = ""; },
           [](S3Options& o) { o.bucket = "a/b"; },
           [](S3Options& o) { o.bucket = "ab"; },  // too short
           [](S3Options& o) { o.force_path_style = o.force_virtual_host = true; },
           [](S3Options& o) { o.part_size = 1 << 20; },  // S3 rejects parts under 5 MiB
           [](S3Options& o) { o.multipart_threshold = 0; },
           [](S3Options& o) { o.max_keys = 0; },
           [](S3Options& o) { o.max_keys = 1001; },
           [](S3Options& o) { o.temp_dir = ""; },
       }) {
    auto bad = make(change);
    EXPECT_EQ(bad.status().code(), Status::Code::kInvalidInput) << bad.status().ToString();
  }
}

TEST(S3ListParserTest, ResolvesXmlEscapesAndQuotedEtags) {
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix/>
<NextContinuationToken>tok&amp;en/+=</NextContinuationToken><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
<IsTruncated>true</IsTruncated>
<Contents><Key>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; 100%+#?&#x0D;&#233;&#x65E5;</Key>
<LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;0123abcd&quot;</ETag><Size>42</Size>
<Owner><ID>x</ID><DisplayName>&lt;me&gt;</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>plain/key.pdf</Key><ETag>"5d41402abc4b2a76b9719d911017c592-3"</ETag><Size>0</Size></Contents>
</ListBucketResult>)";
  Result<S3ListPage> page = ParseListObjectsV2(xml);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "tok&en/+=");
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "a & b <c> \"d\" 'e' 100%+#?\r\xC3\xA9\xE6\x97\xA5");
  EXPECT_EQ(page->objects[0].size, 42);
  EXPECT_EQ(page->objects[0].etag, "0123abcd");
  EXPECT_EQ(page->objects[1].key, "plain/key.pdf");
  EXPECT_EQ(page->objects[1].size, 0);
  EXPECT_EQ(page->objects[1].etag, "5d41402abc4b2a76b9719d911017c592-3");
}

TEST(S3ListParserTest, DecodesUrlEncodedKeysWhereverEncodingTypeStands) {
  // MinIO writes EncodingType after the Contents; S3 writes '+' for a space.
  const std::string xml =
      "<ListBucketResult><IsTruncated>false</IsTruncated>"
      "<Contents><Key>dir/a+b%2Bc%25d%23e%3Ff%26g%C3%BC%0D</Key><Size>7</Size><ETag>&quot;e&quot;</ETag></Contents>"
      "<EncodingType>url</EncodingType></ListBucketResult>";
  Result<S3ListPage> page = ParseListObjectsV2(xml);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_FALSE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "");
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "dir/a b+c%d#e?f&g\xC3\xBC\r");

  Result<S3ListPage> empty = ParseListObjectsV2("<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->objects.empty());
  EXPECT_FALSE(empty->truncated);
}

TEST(S3ListParserTest, RejectsMalformedAnswers) {
  EXPECT_EQ(ParseListObjectsV2("<Error><Code>AccessDenied</Code></Error>").status().code(),
            Status::Code::kInvalidInput);
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><EncodingType>url</EncodingType>"
                                  "<Contents><Key>bad%zz</Key><Size>1</Size></Contents></ListBucketResult>")
                   .ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key><Size>x</Size></Contents>"
                                  "</ListBucketResult>")
                   .ok());
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>").ok());
}

// ---- against a real moto_server --------------------------------------------------

class S3ObjectStoreTest : public ::testing::Test {
 protected:
  // The process's moto_server (it takes seconds to start). A server that
  // cannot start fails every test with its error; nothing is skipped.
  void SetUp() override {
    std::string error;
    moto_ = testing::SharedMotoServer(&error);
    ASSERT_NE(moto_, nullptr) << testing::MotoStartFailure(error);
    ASSERT_TRUE(moto_->Reset());
    client_ = MakeClient(moto_->endpoint(), "us-east-1");
    Status provisioned = ProvisionS3Bucket(*client_, kBucket, "us-east-1");
    ASSERT_TRUE(provisioned.ok()) << provisioned.ToString();
    store_ = MakeStore(Options());
    http_.Clear();
  }

  std::unique_ptr<AwsClient> MakeClient(const std::string& endpoint, const std::string& region) {
    return std::make_unique<AwsClient>(AwsServiceConfig{region, "s3", endpoint}, http_, creds_, *clock_, quota_);
  }
  S3Options Options() const {
    S3Options o;
    o.bucket = kBucket;
    o.temp_dir = tmp_.path();
    return o;
  }
  // Multipart from 5 MiB, in 5 MiB parts (S3's and moto's minimum).
  S3Options SmallPartOptions() const {
    S3Options o = Options();
    o.multipart_threshold = 5 << 20;
    o.part_size = 5 << 20;
    return o;
  }
  ObjectStorePtr MakeStore(const S3Options& o) { return MakeStore(*client_, o); }
  ObjectStorePtr MakeStore(AwsClient& client, const S3Options& o) {
    auto s = NewS3ObjectStore(client, o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  S3ObjectStore& s3() { return dynamic_cast<S3ObjectStore&>(*store_); }

  // Runs a boto3 script (after kBotoPrologue) and parses its JSON output.
  nlohmann::json Boto3(const std::string& script, const testing::EnvOverrides& env = {}) {
    testing::ProcessResult r = testing::RunBoto3(*moto_, std::string(kBotoPrologue) + script, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "boto3 printed: " << r.out << "\n" << r.err;
    return j;
  }
  std::vector<std::string> TempDirEntries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(tmp_.path())) out.push_back(e.path().string());
    return out;
  }

  testing::MotoServer* moto_ = nullptr;

  std::unique_ptr<HttpClient> curl_ = NewCurlHttpClient();
  RecordingHttpClient http_{*curl_};
  TestCredentials creds_;
  std::unique_ptr<Clock> clock_ = NewSystemClock();
  RetryQuota quota_;
  testing::TempDir tmp_;
  std::unique_ptr<AwsClient> client_;
  ObjectStorePtr store_;
};

// The port's contract (round trips, ranges, listing, deletes, key checks,
// NotFound) runs against this adapter in object_store_conformance_test.cpp;
// here is what only S3 does: addressing, requests, multipart, presigning.

TEST_F(S3ObjectStoreTest, PathStyleRequestsAndMd5Etags) {
  EXPECT_TRUE(s3().path_style()) << "a custom endpoint";
  const std::string binary("a\0b\xff\r\n", 6);
  ASSERT_TRUE(store_->Put("input/x/a.bin", binary).ok());
  EXPECT_EQ(http_.Count("PUT", moto_->endpoint() + "/docpipe-test/input/x/a.bin"), 1) << "path style";
  Result<ObjectInfo> head = store_->Head("input/x/a.bin");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->etag.size(), 32u) << "MD5 hex without quotes: " << head->etag;
  EXPECT_EQ(head->etag.find('"'), std::string::npos);
}

// The dashboard's uploads in the AWS shape: a browser without credentials
// sends the presigned PUT as given, and the object lands with its type. (The
// signature itself is checked byte for byte against botocore in
// tests/unit/aws/sigv4_presign_test.cpp; moto does not verify signatures.)
TEST_F(S3ObjectStoreTest, APresignedPutUploadsWithoutCredentials) {
  const std::string key = "input/My Docs/r\xc3\xa9sum\xc3\xa9 (final)+v2.pdf";
  Result<PresignedUpload> up = store_->PresignPut(key, "application/pdf", 600);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->method, "PUT");
  EXPECT_NE(up->url.find("X-Amz-Signature="), std::string::npos) << up->url;
  EXPECT_NE(up->url.find("X-Amz-Expires=600"), std::string::npos) << up->url;
  EXPECT_EQ(up->url.find("motosecret"), std::string::npos) << "no secret in the URL";
  ASSERT_EQ(up->headers.size(), 1u);
  EXPECT_EQ(up->headers[0], (std::pair<std::string, std::string>{"Content-Type", "application/pdf"}));
  EXPECT_TRUE(http_.requests().empty()) << "presigning sends nothing";

  HttpRequest put;  // as a browser sends it: no Authorization, no AWS headers
  put.method = up->method;
  put.url = up->url;
  put.headers = up->headers;
  put.body = "%PDF-1.4 uploaded by a browser";
  Result<HttpResponse> sent = curl_->Send(put);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(sent->status, 200) << sent->body;
  EXPECT_EQ(Must(store_->Get(key)), put.body);
  nlohmann::json head = Boto3("r = s3.head_object(Bucket=B, Key=" + nlohmann::json(key).dump() +
                              ")\nprint(json.dumps({'type': r['ContentType']}))\n");
  EXPECT_EQ(head.value("type", ""), "application/pdf");

  EXPECT_EQ(store_->PresignPut(key, "", 0).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(store_->PresignPut(key, "", 604801).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(store_->PresignPut("../x", "", 60).status().code(), Status::Code::kInvalidInput);
}

TEST_F(S3ObjectStoreTest, AbsentObjectsLeaveNoTemporaryFileAndAMissingBucketIsNotAnAbsentObject) {
  EXPECT_TRUE(store_->Fetch("nope/x.pdf").status().IsNotFound());
  EXPECT_TRUE(TempDirEntries().empty()) << "a failed Fetch leaves no file";

  // A missing bucket is a configuration error, not an absent object.
  S3Options other = Options();
  other.bucket = "no-such-bucket";
  ObjectStorePtr missing = MakeStore(other);
  Status get = missing->Get("k").status();
  EXPECT_EQ(get.code(), Status::Code::kInvalidInput) << get.ToString();
  EXPECT_NE(get.message().find("does not exist"), std::string::npos) << get.ToString();
  EXPECT_EQ(missing->Put("k", "v").code(), Status::Code::kInvalidInput);
  EXPECT_EQ(missing->List("").status().code(), Status::Code::kInvalidInput);
}

TEST_F(S3ObjectStoreTest, MalformedKeysAreRejectedWithoutARequest) {
  const std::vector<std::string> bad_keys = {"",   "/abs", "a//b", "a/./b", "a/../b", "..", "a/",
                                            std::string("a\0b", 3), ".docpipe-tmp-x"};
  for (const std::string& key : bad_keys) {
    (void)store_->Put(key, "x");
    (void)store_->Get(key);
    (void)store_->GetRange(key, 0, 1);
    (void)store_->Head(key);
    (void)store_->Delete(key);
    (void)store_->Fetch(key);
  }
  for (const std::string& prefix : std::vector<std::string>{"/abs", "a//", "a/../", "..", "./x"}) {
    (void)store_->List(prefix);
  }
  EXPECT_EQ(s3().DeleteMany({"fine", "a//b"}).code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(http_.requests().empty());
}

// The values are the contract's (conformance suite); here: the Range headers
// sent, and S3's 416 InvalidRange past the end read as "".
TEST_F(S3ObjectStoreTest, RangeReadsSendOneRangeHeaderEach) {
  ASSERT_TRUE(store_->Put("r", "0123456789").ok());
  http_.Clear();
  EXPECT_EQ(Must(store_->GetRange("r", 0, 4)), "0123");
  EXPECT_EQ(Must(store_->GetRange("r", 3, 2)), "34");
  EXPECT_EQ(Must(store_->GetRange("r", 8, 5)), "89") << "fewer at the end";
  EXPECT_EQ(Must(store_->GetRange("r", 2, INT64_MAX)), "23456789");
  EXPECT_EQ(Must(store_->GetRange("r", 10, 1)), "") << "416 InvalidRange";
  std::vector<std::string> ranges;
  for (const HttpRequest& r : http_.requests()) {
    if (r.method == "GET") ranges.push_back(r.FindHeader("Range") ? *r.FindHeader("Range") : "(none)");
  }
  ASSERT_FALSE(ranges.empty());
  EXPECT_EQ(ranges[0], "bytes=0-3");
  EXPECT_EQ(ranges[3], "bytes=2-9223372036854775806");
  EXPECT_EQ(std::count(ranges.begin(), ranges.end(), "(none)"), 0);
}

TEST_F(S3ObjectStoreTest, ListPagesThroughContinuationTokens) {
  S3Options o = Options();
  o.max_keys = 7;
  store_ = MakeStore(o);
  // Written out of order: List sorts.
  for (int i = 19; i >= 0; --i) {
    ASSERT_TRUE(store_->Put(fmt::format("page/obj-{:02}", i), std::string(static_cast<size_t>(i + 1), 'x')).ok());
  }
  for (const char* k : {"other/a", "other/b", "pagex", "pag"}) ASSERT_TRUE(store_->Put(k, "o").ok());
  http_.Clear();

  Result<std::vector<ObjectInfo>> listed = store_->List("page/");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(http_.Count("GET", "list-type=2"), 3) << "20 keys in pages of 7";
  EXPECT_EQ(http_.Count("GET", "continuation-token="), 2);
  ASSERT_EQ(listed->size(), 20u);
  for (int i = 0; i < 20; ++i) {
    const ObjectInfo& info = (*listed)[static_cast<size_t>(i)];
    EXPECT_EQ(info.key, fmt::format("page/obj-{:02}", i));
    EXPECT_EQ(info.size, i + 1);
    Result<ObjectInfo> head = store_->Head(info.key);
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(info.etag, head->etag) << "List and Head agree on the etag";
  }
  EXPECT_EQ(Must(store_->List("")).size(), 24u);
  EXPECT_EQ(Keys(Must(store_->List("pag"))).front(), "pag");
  EXPECT_EQ(Must(store_->List("page/obj-1")).size(), 10u);
  EXPECT_TRUE(Must(store_->List("nothing/")).empty());
}

// Keys that break naive URL or XML handling, checked three ways: read back
// through the store, listed back, and seen by boto3 (an independent client).
TEST_F(S3ObjectStoreTest, SpecialCharacterKeysSurviveAndBoto3SeesThem) {
  const std::vector<std::string> keys = {
      "special/with space.txt",
      "special/plus+sign.txt",
      "special/\xC3\xBCnic\xC3\xB8" "de-\xE6\x97\xA5\xE6\x9C\xAC.txt",
      "special/percent%20literal%.txt",
      "special/hash#fragment.txt",
      "special/question?mark=1&x=2.txt",
      "special/xml<&>\"'.txt",
      "special/tilde~semi;comma,colon:at@dollar$bang!(paren)*star",
      "special/dir with space/+leading plus",
      "special/ctl\x01" "char\ttab",
  };
  std::map<std::string, std::string> expected;
  for (size_t i = 0; i < keys.size(); ++i) {
    expected[keys[i]] = "content " + std::to_string(i);
    Status put = store_->Put(keys[i], expected[keys[i]]);
    ASSERT_TRUE(put.ok()) << keys[i] << ": " << put.ToString();
  }
  for (const auto& [key, content] : expected) {
    Result<std::string> got = store_->Get(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    EXPECT_EQ(*got, content) << key;
    EXPECT_EQ(Must(store_->Head(key)).size, static_cast<int64_t>(content.size())) << key;
  }
  std::vector<std::string> sorted_keys;
  for (const auto& kv : expected) sorted_keys.push_back(kv.first);
  EXPECT_EQ(Keys(Must(store_->List("special/"))), sorted_keys);
  EXPECT_EQ(Keys(Must(store_->List("special/dir with space/+"))), std::vector<std::string>{keys[8]});

  nlohmann::json seen = Boto3(R"py(
out = {}
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=B, Prefix="special/"):
    for o in page.get("Contents", []):
        out[o["Key"]] = s3.get_object(Bucket=B, Key=o["Key"])["Body"].read().decode()
print(json.dumps(out))
)py");
  std::map<std::string, std::string> by_boto3;
  for (auto& [k, v] : seen.items()) by_boto3[k] = v.get<std::string>();
  EXPECT_EQ(by_boto3, expected);

  // And the other way: boto3 writes, the store reads and lists.
  const std::string from_boto3 = "from-boto3/a b+c%d#e?f&g<h>\xC3\xBC.txt";
  Boto3(R"py(
s3.put_object(Bucket=B, Key=os.environ["KEY"], Body=b"written by boto3")
print("{}")
)py",
        {{"KEY", from_boto3}});
  EXPECT_EQ(Must(store_->Get(from_boto3)), "written by boto3");
  EXPECT_EQ(Keys(Must(store_->List("from-boto3/"))), std::vector<std::string>{from_boto3});

  ASSERT_TRUE(s3().DeleteMany(sorted_keys).ok());
  EXPECT_TRUE(Must(store_->List("special/")).empty());
}

TEST_F(S3ObjectStoreTest, LargePutIsAMultipartUploadBoto3ReadsBack) {
  store_ = MakeStore(SmallPartOptions());
  const std::string data = RandomBytes(12 << 20, 1);
  Status put = store_->Put("big/blob.bin", data);
  ASSERT_TRUE(put.ok()) << put.ToString();
  EXPECT_EQ(http_.Count("POST", "?uploads"), 1);
  EXPECT_EQ(http_.Count("PUT", "partNumber="), 3) << "5 + 5 + 2 MiB";
  EXPECT_EQ(http_.Count("POST", "?uploadId="), 1);

  Result<ObjectInfo> head = store_->Head("big/blob.bin");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, 12 << 20);
  EXPECT_TRUE(head->etag.ends_with("-3")) << head->etag;

  nlohmann::json boto = Boto3(R"py(
body = s3.get_object(Bucket=B, Key="big/blob.bin")["Body"].read()
ups = s3.list_multipart_uploads(Bucket=B).get("Uploads", [])
print(json.dumps({"size": len(body), "sha256": hashlib.sha256(body).hexdigest(), "open_uploads": len(ups)}))
)py");
  EXPECT_EQ(boto["size"], 12 << 20);
  EXPECT_EQ(boto["sha256"], Sha256Hex(data));
  EXPECT_EQ(boto["open_uploads"], 0);
  EXPECT_EQ(Must(store_->GetRange("big/blob.bin", (5 << 20) - 2, 4)), data.substr((5 << 20) - 2, 4));

  // Just under the threshold: one PutObject.
  http_.Clear();
  ASSERT_TRUE(store_->Put("big/small.bin", data.substr(0, (5 << 20) - 1)).ok());
  EXPECT_EQ(http_.Count("POST", "?uploads"), 0);
  EXPECT_EQ(Must(store_->Get("big/small.bin")), data.substr(0, (5 << 20) - 1));
}

TEST_F(S3ObjectStoreTest, FailedMultipartUploadIsAborted) {
  store_ = MakeStore(SmallPartOptions());
  http_.before = [](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method != "PUT" || r.url.find("partNumber=2&") == std::string::npos) return std::nullopt;
    HttpResponse refused;
    refused.status = 400;
    refused.body = "<Error><Code>InvalidArgument</Code><Message>injected failure</Message></Error>";
    return refused;
  };
  Status put = store_->Put("big/failed.bin", RandomBytes(11 << 20, 2));
  EXPECT_EQ(put.code(), Status::Code::kInvalidInput) << put.ToString();
  EXPECT_NE(put.message().find("injected failure"), std::string::npos) << put.ToString();
  EXPECT_EQ(http_.Count("DELETE", "?uploadId="), 1);
  EXPECT_TRUE(store_->Head("big/failed.bin").status().IsNotFound());
  nlohmann::json boto = Boto3(R"py(
print(json.dumps(len(s3.list_multipart_uploads(Bucket=B).get("Uploads", []))))
)py");
  EXPECT_EQ(boto, 0) << "no upload left behind";
}

TEST_F(S3ObjectStoreTest, PutFileStreamsLargeFilesInParts) {
  store_ = MakeStore(SmallPartOptions());
  const std::string data = RandomBytes((12 << 20) + 12345, 3);
  const std::string path = tmp_.Join("src/big.pdf");
  testing::WriteFile(path, data);
  Status put = store_->PutFile("input/big.pdf", path);
  ASSERT_TRUE(put.ok()) << put.ToString();
  EXPECT_EQ(http_.Count("PUT", "partNumber="), 3);
  size_t largest_body = 0;
  for (const HttpRequest& r : http_.requests()) largest_body = std::max(largest_body, r.body.size());
  EXPECT_EQ(largest_body, size_t{5} << 20) << "one part in memory at a time";
  EXPECT_TRUE(fs::exists(path)) << "the source stays";

  nlohmann::json boto = Boto3(R"py(
body = s3.get_object(Bucket=B, Key="input/big.pdf")["Body"].read()
print(json.dumps({"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}))
)py");
  EXPECT_EQ(boto["size"], data.size());
  EXPECT_EQ(boto["sha256"], Sha256Hex(data));

  const std::string small_path = tmp_.Join("src/small.txt");
  testing::WriteFile(small_path, "small file");
  ASSERT_TRUE(store_->PutFile("input/small.txt", small_path).ok());
  EXPECT_EQ(Must(store_->Get("input/small.txt")), "small file");
  Status missing = store_->PutFile("input/missing.pdf", tmp_.Join("nope.pdf"));
  EXPECT_TRUE(missing.IsNotFound()) << missing.ToString();
  EXPECT_TRUE(store_->Head("input/missing.pdf").status().IsNotFound());
  EXPECT_EQ(store_->PutFile("input/dir", tmp_.path()).code(), Status::Code::kInvalidInput);
}

TEST_F(S3ObjectStoreTest, FetchDownloadsInRangesToATemporaryFile) {
  store_ = MakeStore(SmallPartOptions());
  const std::string data = RandomBytes(12 << 20, 4);
  ASSERT_TRUE(store_->Put("docs/report.pdf", data).ok());
  http_.Clear();
  std::string path;
  {
    Result<LocalFile> local = store_->Fetch("docs/report.pdf");
    ASSERT_TRUE(local.ok()) << local.status().ToString();
    path = local->path();
    EXPECT_EQ(fs::path(path).parent_path(), fs::path(tmp_.path()));
    EXPECT_TRUE(path.ends_with(".pdf")) << path;
    EXPECT_EQ(testing::ReadFile(path), data);
    EXPECT_EQ(http_.Count("GET", "/docs/report.pdf"), 3) << "three 5 MiB ranges";
    Result<LocalFile> moved = std::move(local).value();
    EXPECT_TRUE(fs::exists(path)) << "moving keeps the file";
  }
  EXPECT_FALSE(fs::exists(path)) << "removed with its LocalFile";

  ASSERT_TRUE(store_->Put("docs/empty", "").ok());
  {
    Result<LocalFile> empty = store_->Fetch("docs/empty");
    ASSERT_TRUE(empty.ok()) << empty.status().ToString();
    EXPECT_EQ(fs::file_size(empty->path()), 0u);
  }
  EXPECT_TRUE(TempDirEntries().empty());
}

TEST_F(S3ObjectStoreTest, FetchStartsOverWhenTheObjectChangesMidway) {
  store_ = MakeStore(SmallPartOptions());
  ASSERT_TRUE(store_->Put("docs/moving.bin", RandomBytes(11 << 20, 5)).ok());
  const std::string replacement = RandomBytes(7 << 20, 6);
  // A second store on the bare transport replaces the object after the
  // first range arrived.
  AwsClient plain({"us-east-1", "s3", moto_->endpoint()}, *curl_, creds_, *clock_, quota_);
  ObjectStorePtr writer = MakeStore(plain, Options());
  std::atomic<bool> replaced{false};
  http_.after = [&](const HttpRequest& r, const HttpResponse& resp) {
    if (r.method == "GET" && resp.status == 206 && !replaced.exchange(true)) {
      ASSERT_TRUE(writer->Put("docs/moving.bin", replacement).ok());
    }
  };
  Result<LocalFile> local = store_->Fetch("docs/moving.bin");
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_EQ(testing::ReadFile(local->path()), replacement) << "never a mix of two versions";
  int conditional = 0;
  for (const HttpRequest& r : http_.requests()) conditional += r.FindHeader("If-Match") != nullptr;
  EXPECT_GE(conditional, 2) << "later ranges are conditional on the first one's ETag";
}

TEST_F(S3ObjectStoreTest, DeleteManyRemovesKeysInOneRequest) {
  for (const char* k : {"d/a", "d/b c", "d/x&y<z>", "keep"}) ASSERT_TRUE(store_->Put(k, "v").ok());
  http_.Clear();
  Status st = s3().DeleteMany({"d/a", "d/b c", "d/x&y<z>", "d/never-existed", "d/a"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(http_.Count("POST", "?delete"), 1);
  const HttpRequest req = http_.requests().front();
  ASSERT_NE(req.FindHeader("Content-MD5"), nullptr);
  EXPECT_EQ(req.FindHeader("Content-MD5")->size(), 24u) << "base64 of 16 bytes";
  EXPECT_EQ(Keys(Must(store_->List(""))), std::vector<std::string>{"keep"});
  EXPECT_TRUE(s3().DeleteMany({}).ok());
}

TEST_F(S3ObjectStoreTest, DeleteManyReportsKeysS3Refused) {
  for (const char* k : {"d/1", "d/2", "d/3"}) ASSERT_TRUE(store_->Put(k, "v").ok());
  // S3 answers 200 and lists the refused keys; fake one refusal.
  http_.before = [&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method != "POST" || r.url.find("?delete") == std::string::npos) return std::nullopt;
    HttpResponse resp;
    resp.status = 200;
    resp.body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult><Error><Key>d/2</Key><Code>AccessDenied</Code>"
        "<Message>Access Denied</Message></Error></DeleteResult>";
    return resp;
  };
  Status st = s3().DeleteMany({"d/1", "d/2", "d/3"});
  EXPECT_EQ(st.code(), Status::Code::kInvalidInput) << st.ToString();
  EXPECT_NE(st.message().find("1 of 3 keys not deleted: d/2 (AccessDenied: Access Denied)"), std::string::npos)
      << st.ToString();
}

TEST_F(S3ObjectStoreTest, DeleteManySplitsIntoBatchesOfAThousand) {
  // Absent keys count as deleted, so only the first and the last need to
  // exist to show that both batches were sent.
  std::vector<std::string> keys;
  for (int i = 0; i < 1003; ++i) keys.push_back(fmt::format("many/{:04}", i));
  ASSERT_TRUE(store_->Put(keys.front(), "first").ok());
  ASSERT_TRUE(store_->Put(keys.back(), "last").ok());
  ASSERT_TRUE(store_->Put("many-kept", "kept").ok());
  http_.Clear();
  Status st = s3().DeleteMany(keys);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(http_.Count("POST", "?delete"), 2) << "1000 + 3";
  EXPECT_EQ(Keys(Must(store_->List("many"))), std::vector<std::string>{"many-kept"});
}

TEST_F(S3ObjectStoreTest, ProvisioningIsIdempotentAndHonoursTheRegion) {
  ASSERT_TRUE(ProvisionS3Bucket(*client_, kBucket, "us-east-1").ok());
  ASSERT_TRUE(store_->Put("kept", "v").ok());
  ASSERT_TRUE(ProvisionS3Bucket(*client_, kBucket, "us-east-1").ok());
  EXPECT_EQ(Must(store_->Get("kept")), "v") << "provisioning again changes nothing";

  std::unique_ptr<AwsClient> eu = MakeClient(moto_->endpoint(), "eu-west-1");
  for (int i = 0; i < 2; ++i) {
    Status st = ProvisionS3Bucket(*eu, "docpipe-eu", "eu-west-1");
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  nlohmann::json where = Boto3(R"py(
print(json.dumps(s3.get_bucket_location(Bucket="docpipe-eu")["LocationConstraint"]))
)py");
  EXPECT_EQ(where, "eu-west-1");
  EXPECT_EQ(ProvisionS3Bucket(*client_, "bad/name", "us-east-1").code(), Status::Code::kInvalidInput);
}

// moto serves bucket subdomains of "localhost", and curl resolves
// *.localhost to the loopback address, so virtual-host style runs for real.
TEST_F(S3ObjectStoreTest, VirtualHostStyleWorksWhereTheHostResolves) {
  std::string endpoint = moto_->endpoint();
  endpoint.replace(endpoint.find("127.0.0.1"), 9, "localhost");
  std::unique_ptr<AwsClient> vh_client = MakeClient(endpoint, "us-east-1");
  S3Options o = Options();
  o.force_virtual_host = true;
  ObjectStorePtr vh = MakeStore(*vh_client, o);
  const std::string host = endpoint.substr(endpoint.find("localhost"));
  Status put = vh->Put("vh/a b.txt", "virtual");
  ASSERT_TRUE(put.ok()) << put.ToString();
  EXPECT_EQ(http_.requests().back().url, "http://docpipe-test." + host + "/vh/a%20b.txt");
  EXPECT_EQ(Must(vh->Get("vh/a b.txt")), "virtual");
  EXPECT_EQ(Keys(Must(vh->List("vh/"))), std::vector<std::string>{"vh/a b.txt"});
  EXPECT_EQ(Must(store_->Get("vh/a b.txt")), "virtual") << "the same bucket, path style";
  ASSERT_TRUE(vh->Delete("vh/a b.txt").ok());
  EXPECT_TRUE(store_->Head("vh/a b.txt").status().IsNotFound());
}

}  // namespace
}  // namespace docpipe
