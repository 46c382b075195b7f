// Commands open only what they use (app/storage.h, retrieval.h,
// processing.h): with OpenAI, Pinecone and keys in Secrets Manager all
// configured but unreachable, the storage-only commands still work, open no
// tokenizer, embedder or vector index, and make no remote call; a command
// that needs the embedder fails on the same configuration, which shows the
// configuration does reach the network when asked to.
#include <set>

#include "e2e/cli_fixture.h"

namespace docpipe::testing {
namespace {

using json = nlohmann::json;

// The adapters' open events (logged at debug level when they open).
const std::set<std::string> kHeavyEvents = {"tokenizer_opened", "embedder_opened", "vector_index_opened"};

class AssembliesTest : public CliTest {
 protected:
  // Cloud adapters configured, every endpoint a closed loopback port: any
  // call to OpenAI, Pinecone or Secrets Manager fails at once.
  EnvOverrides Unreachable() const {
    const std::string closed = "http://127.0.0.1:" + std::to_string(closed_port_);
    return {{"DOCPIPE_EMBEDDER", "openai"},
            {"DOCPIPE_VECTOR_STORE", "pinecone"},
            {"PINECONE_INDEX", "docpipe-e2e"},
            {"OPENAI_BASE_URL", closed + "/v1"},
            {"PINECONE_CONTROLLER_HOST", closed},
            {"OPENAI_API_KEY_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:openai"},
            {"PINECONE_API_KEY_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:pinecone"},
            {"AWS_ENDPOINT_URL_SECRETS_MANAGER", closed},
            {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
            {"AWS_SECRET_ACCESS_KEY", "secret"},
            {"AWS_MAX_ATTEMPTS", "1"}};
  }

  // Runs a command with the unreachable cloud configuration and debug logs
  // on stderr; fails the test if it opened a heavy part.
  ProcessResult RunLight(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--log-level", "debug", "-v"};
    all.insert(all.end(), args.begin(), args.end());
    ProcessResult r = Docpipe(all, Unreachable());
    for (const std::string& event : OpenedEvents(r.err)) {
      ADD_FAILURE() << ::testing::PrintToString(args) << " opened " << event << "\n" << r.err;
    }
    return r;
  }

  static std::set<std::string> OpenedEvents(const std::string& log) {
    std::set<std::string> seen;
    size_t start = 0;
    while (start < log.size()) {
      size_t end = log.find('\n', start);
      if (end == std::string::npos) end = log.size();
      json line = json::parse(log.substr(start, end - start), nullptr, false);
      if (line.is_object() && kHeavyEvents.count(line.value("event", ""))) seen.insert(line["event"]);
      start = end + 1;
    }
    return seen;
  }

  int closed_port_ = FreeLoopbackPort();
};

TEST_F(AssembliesTest, StorageCommandsOpenNothingElse) {
  ASSERT_GT(closed_port_, 0);
  WriteDoc("manual.md", "# Manual\n\nThe installer checks dependencies first.\n");
  WriteDoc("broken.pdf", "%PDF-1.7 not really a PDF");
  ProcessResult ingest = Docpipe({"ingest", "--json", Docs()});
  ASSERT_EQ(ingest.exit_code, 1) << ingest.out << ingest.err;  // broken.pdf fails at extract
  const std::string manual = RecordFor("manual.md")["document_id"];
  const std::string broken = RecordFor("broken.pdf")["document_id"];
  ASSERT_EQ(RecordFor("broken.pdf")["status"], "FAILED");

  ProcessResult status = RunLight({"status", "--json"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(json::parse(status.out).size(), 2u);
  ProcessResult one = RunLight({"status", manual});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  ProcessResult audit = RunLight({"audit", manual, "--json"});
  EXPECT_EQ(audit.exit_code, 0) << audit.err;
  ProcessResult metrics = RunLight({"metrics", "--json"});
  EXPECT_EQ(metrics.exit_code, 0) << metrics.err;
  ProcessResult retry = RunLight({"retry", broken, "--no-wait", "--json"});
  EXPECT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_EQ(RecordFor("broken.pdf")["status"], "PENDING");

  // A document that never reached its load stage: deleting it needs no index.
  ProcessResult del = RunLight({"delete", broken, "--json"});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(Status().size(), 1u);

  // The Lambda handler registers; it needs the storage alone.
  WriteFile(dir_.Join("event.json"),
            json{{"Records",
                  {{{"eventSource", "aws:s3"},
                    {"eventName", "ObjectCreated:Put"},
                    {"s3",
                     {{"bucket", {{"name", "docpipe-e2e"}}},
                      {"object", {{"key", "input/new.pdf"}, {"size", 10}, {"eTag", "0123456789abcdef"}}}}}}}}}
                .dump());
  ProcessResult lambda = RunLight({"lambda", "--event", dir_.Join("event.json")});
  EXPECT_EQ(lambda.exit_code, 0) << lambda.out << lambda.err;
  EXPECT_EQ(json::parse(lambda.out)["registered"], 1) << lambda.out;

  // Health checks open no workspace at all.
  WriteFile(dir_.Join("alive"), "");
  ProcessResult health = RunLight({"health", "--file", dir_.Join("alive")});
  EXPECT_EQ(health.exit_code, 0) << health.err;

  // The control: what needs the embedder or the index does reach for them,
  // and fails on this configuration.
  ProcessResult search = Docpipe({"--log-level", "debug", "-v", "search", "installer"}, Unreachable());
  EXPECT_EQ(search.exit_code, 1) << search.out << search.err;
  EXPECT_NE(search.err.find("OPENAI_API_KEY_SECRET_ARN"), std::string::npos) << search.err;
  ProcessResult del_loaded = Docpipe({"delete", manual}, Unreachable());
  EXPECT_EQ(del_loaded.exit_code, 1) << "a loaded document is deleted from the index too";
  EXPECT_NE(del_loaded.err.find("PINECONE_API_KEY_SECRET_ARN"), std::string::npos) << del_loaded.err;
}

// Each part opens when a command first needs it: a keyword search embeds
// nothing and so opens no embedder; ingest opens all three.
TEST_F(AssembliesTest, PartsOpenOnFirstUse) {
  WriteDoc("manual.md", "# Manual\n\nThe installer checks dependencies first.\n");
  ProcessResult ingest = Docpipe({"--log-level", "debug", "-v", "ingest", Docs()});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  EXPECT_EQ(OpenedEvents(ingest.err), kHeavyEvents) << ingest.err;
  ProcessResult keyword = Docpipe({"--log-level", "debug", "-v", "search", "installer", "--mode", "keyword", "--json"});
  ASSERT_EQ(keyword.exit_code, 0) << keyword.err;
  EXPECT_EQ(json::parse(keyword.out).size(), 1u);
  EXPECT_EQ(OpenedEvents(keyword.err), std::set<std::string>{"vector_index_opened"}) << keyword.err;
  ProcessResult hybrid = Docpipe({"--log-level", "debug", "-v", "search", "installer", "--json"});
  ASSERT_EQ(hybrid.exit_code, 0) << hybrid.err;
  EXPECT_EQ(OpenedEvents(hybrid.err), (std::set<std::string>{"embedder_opened", "vector_index_opened"}));
}

}  // namespace
}  // namespace docpipe::testing
