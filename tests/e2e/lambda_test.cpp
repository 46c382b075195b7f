// `docpipe lambda`: the S3-event handler on an event file, and the real
// binary as a custom-runtime bootstrap under a local Lambda emulator.
#include <set>

#include "e2e/cli_fixture.h"

namespace docpipe::testing {
namespace {

using json = nlohmann::json;

constexpr const char* kBucket = "docpipe-e2e";

json Record(const std::string& encoded_key, const std::string& etag, int64_t size,
            const std::string& bucket = kBucket) {
  return {{"eventVersion", "2.1"},
          {"eventSource", "aws:s3"},
          {"awsRegion", "eu-west-1"},
          {"eventTime", "2026-11-22T04:55:10.000Z"},
          {"eventName", "ObjectCreated:Put"},
          {"s3",
           {{"s3SchemaVersion", "1.0"},
            {"configurationId", "docpipe-input"},
            {"bucket", {{"name", bucket}, {"arn", std::string("arn:aws:s3:::") + bucket}}},
            {"object",
             {{"key", encoded_key}, {"size", size}, {"eTag", etag}, {"sequencer", "0061B1C2D3E4F5A6B7"}}}}}};
}

json Event(std::vector<json> records) { return {{"Records", std::move(records)}}; }

class LambdaTest : public CliTest {
 protected:
  std::string WriteEvent(const std::string& name, const json& event) {
    std::string path = dir_.Join("events/" + name);
    WriteFile(path, event.dump(2));
    return path;
  }

  // The latest control record of the document whose source_key is `key`.
  json RecordForKey(const std::string& key) {
    for (const json& r : Status()) {
      if (r["source_key"] == key) return r;
    }
    ADD_FAILURE() << "no record for " << key;
    return json::object();
  }
};

TEST_F(LambdaTest, EventFileRegistersAndReportsFailures) {
  std::string first = WriteEvent(
      "first.json",
      Event({
          Record("input/user+guide.md", "11111111111111111111111111111111", 120),
          Record("input/reports/q3%2B4.txt", "22222222222222222222222222222222", 64),
          Record("input/photo.xcf", "33333333333333333333333333333333", 10),  // unsupported: skipped
          Record("input/other.md", "44444444444444444444444444444444", 5,
                 "elsewhere"),  // wrong bucket: failed
      }));
  ProcessResult r = Docpipe({"lambda", "--bucket", kBucket, "--event", first});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  json summary = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out << r.err;
  EXPECT_EQ(summary["registered"], 2);
  EXPECT_EQ(summary["skipped"], 1);
  ASSERT_EQ(summary["failed"].size(), 1u);
  EXPECT_EQ(summary["failed"][0]["key"], "input/other.md");
  EXPECT_NE(r.err.find("1 of 4 records failed"), std::string::npos) << r.err;
  // Logs are JSON lines on stderr, the per-document ones with document_id.
  EXPECT_NE(r.err.find("\"event\":\"document_registered\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"document_id\":"), std::string::npos);

  json guide = RecordForKey("input/user guide.md");
  EXPECT_EQ(guide["status"], "PENDING");
  EXPECT_EQ(guide["source_etag"], "11111111111111111111111111111111");
  EXPECT_EQ(guide["source_size"], 120);
  EXPECT_EQ(guide["content_sha256"], "");
  EXPECT_EQ(RecordForKey("input/reports/q3+4.txt")["source_size"], 64);

  // The fixed event (as Lambda's retry would deliver it, after the bucket is
  // right): registered records are duplicates now; exit 0.
  std::string fixed =
      WriteEvent("fixed.json", Event({
                                   Record("input/user+guide.md", "11111111111111111111111111111111", 120),
                                   Record("input/other.md", "44444444444444444444444444444444", 5),
                               }));
  r = Docpipe({"lambda", "--bucket", kBucket, "--event", fixed});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  summary = json::parse(r.out);
  EXPECT_EQ(summary["duplicates"], 1);
  EXPECT_EQ(summary["registered"], 1);
  EXPECT_EQ(Status().size(), 3u);
}

TEST_F(LambdaTest, UsageErrors) {
  ProcessResult r = Docpipe({"lambda"}, {{"AWS_LAMBDA_RUNTIME_API", ""}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("AWS_LAMBDA_RUNTIME_API is not set"), std::string::npos) << r.err;
  r = Docpipe({"lambda", "--event", dir_.Join("missing.json")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot read event file"), std::string::npos) << r.err;
  WriteFile(dir_.Join("not-s3.json"), R"({"hello": "world"})");
  r = Docpipe({"lambda", "--event", dir_.Join("not-s3.json")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not an S3 event notification"), std::string::npos) << r.err;
}

// The real binary as the bootstrap of a provided-runtime function under
// @vercel/fun (the Runtime API over HTTP, a warm process frozen between
// invocations, SIGTERM at the end); then the CLI sees the documents and a
// worker processes them.
TEST_F(LambdaTest, RunsAsCustomRuntimeUnderFun) {
  // Registration does not read the objects; the worker will, so they are put
  // in the (embedded) store as S3 would hold them.
  const std::string guide =
      "# User guide\n\nInstall the widget, then start it.\n\n## Stopping\n\nPress stop.\n";
  const std::string notes = "Release notes for version three and four of the widget.\n";
  WriteFile(StorePath("input/user guide.md"), guide);
  WriteFile(StorePath("input/reports/q3+4.txt"), notes);

  std::vector<std::string> events = {
      WriteEvent("1-created.json",
                 Event({Record("input/user+guide.md", "aaaa", static_cast<int64_t>(guide.size())),
                        Record("input/reports/q3%2B4.txt", "bbbb", static_cast<int64_t>(notes.size())),
                        Record("logs/ignored.txt", "cccc", 1)})),
      // A new ETag for the guide, a redelivery of the notes, a record from
      // another bucket: the event fails (Lambda would retry it), the rest is done.
      WriteEvent("2-mixed.json",
                 Event({Record("input/user+guide.md", "aaab", static_cast<int64_t>(guide.size())),
                        Record("input/reports/q3%2B4.txt", "bbbb", static_cast<int64_t>(notes.size())),
                        Record("input/stray.md", "dddd", 3, "another-bucket")})),
      WriteEvent("3-test.json",
                 json{{"Service", "Amazon S3"}, {"Event", "s3:TestEvent"}, {"Bucket", kBucket}}),
  };
  std::vector<std::string> argv = {"node",
                                   std::string(DOCPIPE_SOURCE_DIR) + "/tests/e2e/lambda_fun_invoke.mjs",
                                   DOCPIPE_BINARY, Workspace(), kBucket};
  argv.insert(argv.end(), events.begin(), events.end());
  ProcessResult fun = RunProcess(argv, {{"XDG_CACHE_HOME", dir_.Join("xdg-cache")}}, 180);
  ASSERT_EQ(fun.exit_code, 0) << "stdout: " << fun.out << "\nstderr: " << fun.err;
  json results = json::parse(fun.out, nullptr, false);
  ASSERT_TRUE(results.is_array() && results.size() == 3) << fun.out << "\nstderr: " << fun.err;

  EXPECT_EQ(results[0]["FunctionError"], nullptr) << results[0];
  EXPECT_EQ(results[0]["Payload"]["registered"], 2);
  EXPECT_EQ(results[0]["Payload"]["skipped"], 1);

  EXPECT_EQ(results[1]["FunctionError"], "Handled") << results[1];
  EXPECT_EQ(results[1]["Payload"]["errorType"], "Docpipe.RecordsFailed");
  EXPECT_NE(results[1]["Payload"]["errorMessage"].get<std::string>().find("input/stray.md"),
            std::string::npos)
      << results[1];

  EXPECT_EQ(results[2]["FunctionError"], nullptr) << results[2];
  EXPECT_EQ(results[2]["Payload"]["test_event"], true);

  // One process served all three (warm), logging JSON lines to stderr with
  // the invocation's request id; fun's constant deadline did not break it.
  EXPECT_NE(fun.err.find("\"event\":\"lambda_runtime_started\""), std::string::npos) << fun.err;
  EXPECT_NE(fun.err.find("\"aws_request_id\":"), std::string::npos);
  size_t starts = 0;
  for (size_t at = fun.err.find("lambda_runtime_started"); at != std::string::npos;
       at = fun.err.find("lambda_runtime_started", at + 1)) {
    ++starts;
  }
  EXPECT_EQ(starts, 1u) << fun.err;

  json guide_rec = RecordForKey("input/user guide.md");
  EXPECT_EQ(guide_rec["processing_version"], "000002");
  EXPECT_EQ(guide_rec["source_etag"], "aaab");
  json notes_rec = RecordForKey("input/reports/q3+4.txt");
  EXPECT_EQ(notes_rec["processing_version"], "000001") << "the redelivery was a duplicate";
  EXPECT_EQ(Status().size(), 2u);

  // The registered documents are real work for a worker. The redelivered
  // notes record queued a second message for the PENDING version (lost-message
  // insurance); a worker that meets it while the first is being processed
  // defers it for a lease, so the lease is short here.
  ProcessResult worker = Docpipe({"worker", "--drain"}, {{"DOCPIPE_LEASE_SECONDS", "3"}});
  ASSERT_EQ(worker.exit_code, 0) << worker.err;
  EXPECT_EQ(RecordForKey("input/user guide.md")["status"], "COMPLETED");
  EXPECT_EQ(RecordForKey("input/reports/q3+4.txt")["status"], "COMPLETED");
  json versions = DocpipeJson({"status", guide_rec["document_id"].get<std::string>(), "--json"});
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0]["status"], "SUPERSEDED");
}

// A function that cannot start says why through the Runtime API's init/error.
TEST_F(LambdaTest, StartFailureIsAnInitError) {
  WriteFile(dir_.Join("not-a-dir"), "x");
  std::string event = WriteEvent("e.json", Event({Record("input/a.md", "aaaa", 1)}));
  ProcessResult fun =
      RunProcess({"node", std::string(DOCPIPE_SOURCE_DIR) + "/tests/e2e/lambda_fun_invoke.mjs",
                  DOCPIPE_BINARY, dir_.Join("not-a-dir/ws"), kBucket, event},
                 {{"XDG_CACHE_HOME", dir_.Join("xdg-cache")}}, 120);
  ASSERT_EQ(fun.exit_code, 0) << fun.out << fun.err;
  json results = json::parse(fun.out, nullptr, false);
  ASSERT_TRUE(results.is_array() && results.size() == 1) << fun.out << fun.err;
  EXPECT_EQ(results[0]["FunctionError"], "Unhandled");
  EXPECT_EQ(results[0]["Payload"]["errorType"], "Runtime.InitError");
  EXPECT_NE(results[0]["Payload"]["errorMessage"].get<std::string>().find("cannot open workspace"),
            std::string::npos)
      << results[0];
}

}  // namespace
}  // namespace docpipe::testing
