#include "lambda/s3_event.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

using json = nlohmann::json;

json S3RecordJson(const std::string& key, const std::string& event_name = "ObjectCreated:Put",
              const std::string& bucket = "docs-bucket") {
  return {{"eventVersion", "2.1"},
          {"eventSource", "aws:s3"},
          {"awsRegion", "eu-west-1"},
          {"eventName", event_name},
          {"s3",
           {{"s3SchemaVersion", "1.0"},
            {"bucket", {{"name", bucket}, {"arn", "arn:aws:s3:::" + bucket}}},
            {"object",
             {{"key", key},
              {"size", 1024},
              {"eTag", "0123456789abcdef0123456789abcdef"},
              {"sequencer", "0A1B2C3D4E5F678901"}}}}}};
}

json EventNotification(std::vector<json> records) { return {{"Records", records}}; }

S3Event Parse(const json& event) {
  Result<S3Event> r = ParseS3Event(event);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : S3Event{};
}

TEST(S3EventTest, ReadsObjectCreatedRecord) {
  S3Event e = Parse(EventNotification({S3RecordJson("input/report.pdf")}));
  ASSERT_EQ(e.records.size(), 1u);
  const S3EventRecord& r = e.records[0];
  ASSERT_EQ(r.kind, S3EventRecord::Kind::kObjectCreated) << r.reason;
  EXPECT_EQ(r.object.bucket, "docs-bucket");
  EXPECT_EQ(r.object.key, "input/report.pdf");
  EXPECT_EQ(r.object.size, 1024);
  EXPECT_EQ(r.object.etag, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(r.object.event_name, "ObjectCreated:Put");
  EXPECT_FALSE(e.test_event);
}

TEST(S3EventTest, DecodesKeysPlusIsSpaceAndPercent2BIsPlus) {
  S3Event e = Parse(EventNotification({
      S3RecordJson("input/red+flower.pdf"), S3RecordJson("input/c%2B%2B+notes.md"), S3RecordJson("input/a%20b%25c.txt"),
      S3RecordJson("input/Q%3A1%2F2.md"),  // %2F: a slash inside the key
  }));
  ASSERT_EQ(e.records.size(), 4u);
  EXPECT_EQ(e.records[0].object.key, "input/red flower.pdf");
  EXPECT_EQ(e.records[1].object.key, "input/c++ notes.md");
  EXPECT_EQ(e.records[2].object.key, "input/a b%c.txt");
  EXPECT_EQ(e.records[3].object.key, "input/Q:1/2.md");
  EXPECT_EQ(e.records[1].raw_key, "input/c%2B%2B+notes.md");
}

TEST(S3EventTest, DecodesUnicodeKeys) {
  // "input/résumé 日本.pdf" as S3 sends it: UTF-8 bytes percent-encoded.
  S3Event e = Parse(EventNotification({S3RecordJson("input/r%C3%A9sum%C3%A9+%E6%97%A5%E6%9C%AC.pdf"),
                                  // Raw UTF-8 in the JSON passes through unchanged.
                                  S3RecordJson("input/\xC3\xBC"
                                           "ber.md")}));
  ASSERT_EQ(e.records.size(), 2u);
  EXPECT_EQ(e.records[0].object.key, "input/r\xC3\xA9sum\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC.pdf");
  EXPECT_EQ(e.records[1].object.key,
            "input/\xC3\xBC"
            "ber.md");
}

TEST(S3EventTest, MalformedEscapeIsAnInvalidRecord) {
  S3Event e = Parse(EventNotification({S3RecordJson("input/100%.pdf"), S3RecordJson("input/ok.pdf")}));
  ASSERT_EQ(e.records.size(), 2u);
  EXPECT_EQ(e.records[0].kind, S3EventRecord::Kind::kInvalid);
  EXPECT_NE(e.records[0].reason.find("Records[0].s3: object.key"), std::string::npos) << e.records[0].reason;
  EXPECT_EQ(e.records[0].raw_key, "input/100%.pdf");
  EXPECT_EQ(e.records[1].kind, S3EventRecord::Kind::kObjectCreated);
}

TEST(S3EventTest, MissingFieldsNameTheRecordAndField) {
  struct Case {
    std::function<void(json&)> edit;
    std::string expect;
  };
  std::vector<Case> cases = {
      {[](json& r) { r["s3"]["object"].erase("key"); }, "Records[0].s3: missing object.key"},
      {[](json& r) { r["s3"]["object"]["key"] = ""; }, "missing object.key"},
      {[](json& r) { r["s3"]["object"].erase("size"); }, "missing object.size"},
      {[](json& r) { r["s3"]["object"]["size"] = "12"; }, "object.size must be a non-negative integer"},
      {[](json& r) { r["s3"]["object"]["size"] = -1; }, "object.size must be a non-negative integer"},
      {[](json& r) { r["s3"]["object"].erase("eTag"); }, "missing object.eTag"},
      {[](json& r) { r["s3"]["bucket"].erase("name"); }, "missing bucket.name"},
      {[](json& r) { r["s3"].erase("bucket"); }, "missing bucket"},
      {[](json& r) { r["s3"].erase("object"); }, "missing object"},
      {[](json& r) { r.erase("s3"); }, "Records[0]: missing s3"},
  };
  for (const Case& c : cases) {
    json rec = S3RecordJson("input/a.pdf");
    c.edit(rec);
    S3Event e = Parse(EventNotification({rec, S3RecordJson("input/b.pdf")}));
    ASSERT_EQ(e.records.size(), 2u) << c.expect;
    EXPECT_EQ(e.records[0].kind, S3EventRecord::Kind::kInvalid) << c.expect;
    EXPECT_NE(e.records[0].reason.find(c.expect), std::string::npos)
        << e.records[0].reason << " vs " << c.expect;
    EXPECT_EQ(e.records[1].kind, S3EventRecord::Kind::kObjectCreated) << "other records still parse";
  }
}

TEST(S3EventTest, OtherEventTypesAndSourcesAreIgnored) {
  json dynamo = {{"eventSource", "aws:dynamodb"}, {"eventName", "INSERT"}};
  S3Event e = Parse(EventNotification({S3RecordJson("input/a.pdf", "ObjectRemoved:Delete"), dynamo,
                                  S3RecordJson("input/b.pdf", "ObjectCreated:CompleteMultipartUpload")}));
  ASSERT_EQ(e.records.size(), 3u);
  EXPECT_EQ(e.records[0].kind, S3EventRecord::Kind::kIgnored);
  EXPECT_NE(e.records[0].reason.find("ObjectRemoved:Delete"), std::string::npos);
  EXPECT_EQ(e.records[0].raw_key, "");
  EXPECT_EQ(e.records[1].kind, S3EventRecord::Kind::kIgnored);
  EXPECT_NE(e.records[1].reason.find("aws:dynamodb"), std::string::npos);
  EXPECT_EQ(e.records[2].kind, S3EventRecord::Kind::kObjectCreated);
}

TEST(S3EventTest, TestEventIsRecognised) {
  json test = {
      {"Service", "Amazon S3"},  {"Event", "s3:TestEvent"},         {"Time", "2026-11-22T04:55:10.000Z"},
      {"Bucket", "docs-bucket"}, {"RequestId", "5582815E1AEA5ADF"}, {"HostId", "8cLeGAmw..."}};
  S3Event e = Parse(test);
  EXPECT_TRUE(e.test_event);
  EXPECT_TRUE(e.records.empty());
}

TEST(S3EventTest, EventsOfOtherShapesAreErrors) {
  for (const json& bad : {json::array(), json("text"), json{{"hello", "world"}}, json::object(),
                          json{{"Records", "not a list"}}}) {
    Result<S3Event> r = ParseS3Event(bad);
    ASSERT_FALSE(r.ok()) << bad.dump();
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
  }
  Result<S3Event> r = ParseS3Event(json{{"hello", "world"}});
  EXPECT_NE(r.status().message().find("not an S3 event notification"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("hello"), std::string::npos) << "names the keys it saw";
}

TEST(S3EventTest, ReadsEventBridgeObjectCreated) {
  json event = {
      {"version", "0"},
      {"id", "17793124-05d4-b198-2fde-7ededc63b103"},
      {"detail-type", "Object Created"},
      {"source", "aws.s3"},
      {"resources", {"arn:aws:s3:::docs-bucket"}},
      {"detail",
       {{"version", "0"},
        {"bucket", {{"name", "docs-bucket"}}},
        {"object", {{"key", "input/my+guide.md"}, {"size", 5}, {"etag", "b1946ac92492d2347c6235b4d2611184"}}},
        {"reason", "PutObject"}}}};
  S3Event e = Parse(event);
  ASSERT_EQ(e.records.size(), 1u);
  ASSERT_EQ(e.records[0].kind, S3EventRecord::Kind::kObjectCreated) << e.records[0].reason;
  EXPECT_EQ(e.records[0].object.key, "input/my guide.md");
  EXPECT_EQ(e.records[0].object.etag, "b1946ac92492d2347c6235b4d2611184");
  EXPECT_EQ(e.records[0].object.event_name, "PutObject");

  json deleted = event;
  deleted["detail-type"] = "Object Deleted";
  e = Parse(deleted);
  ASSERT_EQ(e.records.size(), 1u);
  EXPECT_EQ(e.records[0].kind, S3EventRecord::Kind::kIgnored);

  json other = event;
  other["source"] = "aws.ec2";
  e = Parse(other);
  ASSERT_EQ(e.records.size(), 1u);
  EXPECT_EQ(e.records[0].kind, S3EventRecord::Kind::kIgnored);

  json broken = event;
  broken["detail"]["object"].erase("etag");
  e = Parse(broken);
  ASSERT_EQ(e.records.size(), 1u);
  EXPECT_EQ(e.records[0].kind, S3EventRecord::Kind::kInvalid);
  EXPECT_NE(e.records[0].reason.find("event.detail: missing object.etag"), std::string::npos)
      << e.records[0].reason;
}

TEST(S3EventTest, ReadsS3EventsWrappedInSqsAndSns) {
  json sqs = {{"Records",
               {{{"messageId", "m1"},
                 {"eventSource", "aws:sqs"},
                 {"body", EventNotification({S3RecordJson("input/a.pdf"), S3RecordJson("input/b.pdf")}).dump()}},
                {{"messageId", "m2"}, {"eventSource", "aws:sqs"}, {"body", "{not json"}},
                {{"messageId", "m3"},
                 {"eventSource", "aws:sqs"},
                 {"body", json{{"Event", "s3:TestEvent"}, {"Service", "Amazon S3"}}.dump()}}}}};
  S3Event e = Parse(sqs);
  EXPECT_TRUE(e.test_event);
  ASSERT_EQ(e.records.size(), 3u);
  EXPECT_EQ(e.records[0].object.key, "input/a.pdf");
  EXPECT_EQ(e.records[1].object.key, "input/b.pdf");
  EXPECT_EQ(e.records[2].kind, S3EventRecord::Kind::kInvalid);
  EXPECT_EQ(e.records[2].reason, "Records[1].body: not JSON");

  json sns = {{"Records",
               {{{"EventSource", "aws:sns"},
                 {"Sns", {{"Message", EventNotification({S3RecordJson("input/c+d.txt")}).dump()}}}}}}};
  e = Parse(sns);
  ASSERT_EQ(e.records.size(), 1u);
  EXPECT_EQ(e.records[0].object.key, "input/c d.txt");

  // A bad record inside a body is named by its full path.
  json inner = S3RecordJson("input/x.pdf");
  inner["s3"]["object"].erase("size");
  json nested = {{"Records", {{{"eventSource", "aws:sqs"}, {"body", EventNotification({inner}).dump()}}}}};
  e = Parse(nested);
  ASSERT_EQ(e.records.size(), 1u);
  EXPECT_NE(e.records[0].reason.find("Records[0].body.Records[0].s3: missing object.size"), std::string::npos)
      << e.records[0].reason;
}

}  // namespace
}  // namespace docpipe
