// Issue 17 item 2: deadlines hold in every stage, remote calls included,
// within a second. Each test drives the real binary into a stage deadline (a
// hostile input, a peer that never answers, or a stage slowed so that its
// real work straddles the deadline) and reads from the audit trail how long
// after the deadline the stage returned: STAGE_FAILED's duration minus the
// stage limit (the control record is marked just after). A deadline gets one
// retry, so each document shows two such attempts, then FAILED. Every
// attempt is printed on a "deadline-overrun" line; bench/limits/deadlines.sh
// runs these tests on the Release build and tabulates the lines.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/ai_fakes.h"
#include "e2e/cli_fixture.h"
#include "support/test_util.h"
#include "unit/index/fake_pinecone.h"

namespace docpipe::testing {
namespace {

using json = nlohmann::json;

// How far past its deadline a stage may return. Remote calls: the 1 s of
// issue 17 in every build. Local stages look at their cancel flag between
// units of work (a page, a block, a batch), which the sanitizer build runs
// several times slower.
constexpr int64_t kLocalOverrunBoundMs = testing::kAddressSanitizerBuild ? 3'000 : 1'000;
constexpr int64_t kRemoteOverrunBoundMs = 1'000;

// A peer that takes every request and does not answer (for 60 s, or until
// the test ends): a service hanging on the wire. The wait state is shared
// with the handlers, which may still be waking when the peer is destroyed.
class HangingPeer : public LoopbackServer {
 public:
  HangingPeer() : state_(std::make_shared<State>()) {
    auto handler = [state = state_](const httplib::Request&, httplib::Response& res) {
      state->requests.fetch_add(1);
      std::unique_lock lock(state->mu);
      state->cv.wait_for(lock, std::chrono::seconds(60), [&] { return state->released; });
      res.status = 503;
    };
    server().Post(R"(/.*)", handler);
    server().Get(R"(/.*)", handler);
    Start();
  }
  ~HangingPeer() {
    {
      std::lock_guard lock(state_->mu);
      state_->released = true;
    }
    state_->cv.notify_all();
  }
  int requests() const { return state_->requests.load(); }

 private:
  struct State {
    std::atomic<int> requests{0};
    std::mutex mu;
    std::condition_variable cv;
    bool released = false;
  };
  std::shared_ptr<State> state_;
};

// Markdown of about `kib` KiB: sections of prose with an address and a date
// in each (work for the enricher), so every stage has real work to do.
std::string DeadlineMarkdown(size_t kib) {
  static const char* kWords[] = {"river",  "stone",   "granite", "valley", "forest", "ocean",   "thunder",
                                 "meadow", "harbor",  "lantern", "copper", "willow", "summit",  "canyon",
                                 "basis",  "simplex", "pivot",   "bound",  "matrix", "feasible"};
  std::string out;
  uint64_t x = 17;
  for (int section = 1; out.size() < kib * 1024; ++section) {
    out += fmt::format("# Section {}\n\n", section);
    for (int para = 0; para < 6; ++para) {
      for (int w = 0; w < 90; ++w) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        out += kWords[(x >> 33) % (sizeof(kWords) / sizeof(kWords[0]))];
        out += w == 89 ? ".\n\n" : " ";
      }
      out += fmt::format("Write to desk{}@example.org before 12 March 2024.\n\n", section);
    }
  }
  return out;
}

// The binary under test: the one built beside the tests, or the one
// DOCPIPE_DEADLINE_BINARY names (bench/limits/deadlines.sh measures a Release
// docpipe with the sanitizer build's tests).
std::string DeadlineBinary() {
  const char* named = std::getenv("DOCPIPE_DEADLINE_BINARY");
  return named != nullptr && *named != '\0' ? named : DOCPIPE_BINARY;
}

class DeadlineOverrunTest : public CliTest {
 protected:
  // Runs `ingest` of `file` into its own workspace `ws` (several runs per test).
  ProcessResult IngestInto(const std::string& ws, const std::string& file, EnvOverrides env, int timeout_s = 600) {
    env.emplace("DOCPIPE_RETRY_BASE_MS", "10");  // the deadline's one retry at once
    env.emplace("DOCPIPE_MAX_RETRIES", "3");     // more than the one a deadline gets
    return RunProcess({DeadlineBinary(), "--workspace", ws, "ingest", "--json", "--workers", "1", file}, env,
                      timeout_s);
  }

  json JsonOf(const std::vector<std::string>& argv) {
    ProcessResult r = RunProcess(argv);
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }

  // The one document's control record and audit trail in workspace `ws`.
  std::pair<json, json> RecordAndAudit(const std::string& ws) {
    json records = JsonOf({DeadlineBinary(), "--workspace", ws, "status", "--json"});
    if (!records.is_array() || records.size() != 1) {
      ADD_FAILURE() << "expected one document: " << records.dump();
      return {json::object(), json::array()};
    }
    const std::string id = records[0].value("document_id", "");
    return {records[0], JsonOf({DeadlineBinary(), "--workspace", ws, "audit", id, "--json"})};
  }

  // Each stage's duration in a completed run (STAGE_COMPLETED), ms.
  std::map<std::string, int64_t> StageDurations(const std::string& ws) {
    auto [rec, audit] = RecordAndAudit(ws);
    EXPECT_EQ(rec.value("status", ""), "COMPLETED") << rec.dump();
    std::map<std::string, int64_t> out;
    for (const json& e : audit) {
      if (e.value("event_type", "") == "STAGE_COMPLETED") out[e.value("stage", "")] = e.value("duration_ms", 0);
    }
    return out;
  }

  // The document in `ws` FAILED at `stage`'s deadline (`limit_s`) after
  // `attempts` (its one retry: 2), each returning less than `bound_ms` late.
  void ExpectStoppedAtDeadline(const std::string& ws, const std::string& stage, const std::string& how,
                               int64_t limit_s, int64_t bound_ms, int attempts = 2) {
    auto [rec, audit] = RecordAndAudit(ws);
    if (stage == "load" && rec.value("status", "") == "COMPLETED") {
      // The local index commits, then its graph catches up; a deadline there
      // stops the catching up and the document is loaded (the graph follows
      // on the next open). Still measured: the stage's return past the deadline.
      for (const json& e : audit) {
        if (e.value("event_type", "") != "STAGE_COMPLETED" || e.value("stage", "") != stage) continue;
        const int64_t overrun = e.value("duration_ms", int64_t{0}) - limit_s * 1000;
        std::cout << fmt::format("deadline-overrun stage={} attempt=1 limit_s={} overrun_ms={} how={} (cut while "
                                 "the graph caught up: COMPLETED, the graph follows later)\n",
                                 stage, limit_s, overrun, how);
        EXPECT_GE(overrun, 0) << "the deadline did not pass during the stage: " << e.dump();
        EXPECT_LT(overrun, bound_ms) << e.dump();
      }
      return;
    }
    EXPECT_EQ(rec.value("status", ""), "FAILED") << rec.dump();
    EXPECT_EQ(rec.value("retry_count", -1), attempts - 1) << "a deadline gets one retry, no more";
    EXPECT_EQ(rec.value("error_stage", ""), stage) << rec.dump();
    EXPECT_NE(rec.value("last_error", "").find(stage + " passed its deadline"), std::string::npos)
        << rec.value("last_error", "");
    int attempt = 0;
    for (const json& e : audit) {
      if (e.value("event_type", "") != "STAGE_FAILED" || e.value("stage", "") != stage) continue;
      const int64_t overrun = e.value("duration_ms", int64_t{0}) - limit_s * 1000;
      ++attempt;
      std::cout << fmt::format("deadline-overrun stage={} attempt={} limit_s={} overrun_ms={} how={}\n", stage,
                               attempt, limit_s, overrun, how);
      EXPECT_GE(overrun, 0) << "returned before its deadline: " << e.dump();
      EXPECT_LT(overrun, bound_ms) << stage << " (" << how << ") returned " << overrun
                                   << " ms after its deadline: " << e.dump();
    }
    EXPECT_EQ(attempt, attempts) << audit.dump(1);
  }

  // Each local stage with its real work straddling its deadline: a
  // calibration run times every stage on a Markdown document; then, for each
  // stage, the stage limit is set above every stage's time and an injected
  // delay (DOCPIPE_FAULT_<STAGE>_DELAY_MS) holds the stage so that the
  // deadline comes a tenth into its own work as calibrated: a third was too
  // late on a loaded machine, where the cut run went faster than the
  // calibration and embed and load finished before their deadline.
  // The document starts at `kib` and doubles, up to 16 times that, until every
  // stage works at least 100 ms: an optimised build chunks 2 MB faster.
  // No retry here (the remote tests check the one retry a deadline gets): one
  // attempt each.
  void ExpectEachLocalStageStopsAtDeadline(const std::vector<std::string>& stages, size_t kib) {
    std::map<std::string, int64_t> d;
    std::string file;
    for (size_t size = kib; size <= 16 * kib; size *= 2) {
      const std::string name = "big-" + std::to_string(size) + ".md";
      WriteDoc(name, DeadlineMarkdown(size));
      file = Docs() + "/" + name;
      const std::string calibration = dir_.Join("ws-calibration-" + std::to_string(size));
      ProcessResult first = IngestInto(calibration, file, {});
      ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
      d = StageDurations(calibration);
      int64_t quickest = std::numeric_limits<int64_t>::max();
      for (const std::string& stage : stages)
        if (d.contains(stage)) quickest = std::min(quickest, d.at(stage));
      if (quickest >= 100) break;
    }
    int64_t slowest = 0;
    for (const auto& [unused, ms] : d) slowest = std::max(slowest, ms);
    const int64_t limit_s = (slowest * 3 / 2) / 1000 + 1;
    for (const std::string& stage : stages) {
      SCOPED_TRACE(stage);
      ASSERT_TRUE(d.contains(stage)) << ::testing::PrintToString(d);
      const int64_t work_ms = d.at(stage);
      ASSERT_GE(work_ms, 100) << stage << " is too quick on this input to be cut at a deadline";
      std::string upper = stage;
      std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
      const std::string ws = dir_.Join("ws-" + stage);
      IngestInto(ws, file,
                 {{"DOCPIPE_STAGE_TIMEOUT_SECONDS", std::to_string(limit_s)},
                  {"DOCPIPE_MAX_RETRIES", "0"},
                  {"DOCPIPE_FAULT_" + upper + "_DELAY_MS", std::to_string(limit_s * 1000 - work_ms / 10)}});
      ExpectStoppedAtDeadline(ws, stage, fmt::format("local, {} ms of work cut a tenth in", work_ms), limit_s,
                              kLocalOverrunBoundMs, /*attempts=*/1);
    }
  }

  // The environment of a workspace whose stages call the given peers.
  EnvOverrides AwsCredentialsEnv() const {
    return {{"AWS_ACCESS_KEY_ID", "AKIDE2E"},
            {"AWS_SECRET_ACCESS_KEY", "e2e-secret"},
            {"AWS_REGION", "us-east-1"},
            {"AWS_SHARED_CREDENTIALS_FILE", dir_.Join("none")},
            {"AWS_CONFIG_FILE", dir_.Join("none")}};
  }

  std::string SmallDoc() {
    WriteDoc("remote.md", DeadlineMarkdown(8));
    return Docs() + "/remote.md";
  }
};

// --- remote calls: the peer hangs, the stage must not -----------------------

TEST_F(DeadlineOverrunTest, EmbedStopsWithinASecondWhenOpenAiNeverAnswers) {
  HangingPeer openai;
  const std::string ws = Workspace();
  IngestInto(ws, SmallDoc(),
             {{"DOCPIPE_STAGE_TIMEOUT_SECONDS", "2"},
              {"DOCPIPE_EMBEDDER", "openai"},
              {"OPENAI_BASE_URL", openai.url() + "/v1"},
              {"OPENAI_API_KEY", "sk-e2e-test"}});
  ExpectStoppedAtDeadline(ws, "embed", "OpenAI fake that never answers", 2, kRemoteOverrunBoundMs);
  EXPECT_GE(openai.requests(), 2);  // a request on the wire at each deadline
}

TEST_F(DeadlineOverrunTest, EnrichStopsWithinASecondWhenComprehendNeverAnswers) {
  HangingPeer comprehend;
  const std::string ws = Workspace();
  EnvOverrides env = AwsCredentialsEnv();
  env.insert({{"DOCPIPE_STAGE_TIMEOUT_SECONDS", "2"},
              {"DOCPIPE_ENRICHER", "comprehend"},
              {"AWS_ENDPOINT_URL_COMPREHEND", comprehend.url()}});
  IngestInto(ws, SmallDoc(), env);
  ExpectStoppedAtDeadline(ws, "enrich", "Comprehend fake that never answers", 2, kRemoteOverrunBoundMs);
  EXPECT_GE(comprehend.requests(), 2);
}

TEST_F(DeadlineOverrunTest, LoadStopsWithinASecondWhenPineconeUpsertsHang) {
  FakeOpenAi openai;
  FakePineconeOptions po;
  po.api_key = "pk-e2e-test";
  po.index_name = "docs";
  po.dimension = 256;
  FakePinecone pinecone(po);
  PineconeFault hang;
  hang.delay_ms = 6'000;  // past the 2 s limit and the 1 s bound
  pinecone.Fault("/vectors/upsert", hang, 10);
  const std::string ws = Workspace();
  EnvOverrides env = OpenAiAndPineconeEnv(openai.url(), pinecone.url());
  env["DOCPIPE_STAGE_TIMEOUT_SECONDS"] = "2";
  IngestInto(ws, SmallDoc(), env);
  ExpectStoppedAtDeadline(ws, "load", "Pinecone fake whose upserts hang 6 s", 2, kRemoteOverrunBoundMs);
  EXPECT_GE(pinecone.requests("POST /vectors/upsert").size(), 2u);  // one on the wire at each deadline
  // Each cut upsert is undone (the ids it sent deleted), so that no part of
  // a new version shows next to an old one.
  EXPECT_GE(pinecone.requests("POST /vectors/delete").size(), 2u);
}

// --- local stages: hostile or slowed inputs --------------------------------

// The hostile PDF of issue 17 (150 pages of 20,000 words drawing one shared
// content stream; 19 M characters, under max_chars), its expansion limit
// raised so that the extraction itself runs into a 1 s limit.
TEST_F(DeadlineOverrunTest, ExtractOfAHostilePdfStopsAtItsDeadline) {
  const std::string pdf = dir_.Join("hostile-150.pdf");
  ProcessResult made = RunProcess({"python3", DOCPIPE_SOURCE_DIR "/bench/limits/hostile_pdf.py", pdf, "150", "20000"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string ws = Workspace();
  IngestInto(ws, pdf, {{"DOCPIPE_STAGE_TIMEOUT_SECONDS", "1"}, {"DOCPIPE_MAX_EXPANSION_RATIO", "100000"}});
  ExpectStoppedAtDeadline(ws, "extract", "hostile PDF, 150 p x 20k words", 1, kLocalOverrunBoundMs);
}

// Chunk, enrich, embed and load in the embedded shape (local enricher, hash
// embedder, SQLite + HNSW index) on 2 MB of Markdown.
TEST_F(DeadlineOverrunTest, EachLocalStageStopsAtItsDeadline) {
  ExpectEachLocalStageStopsAtDeadline({"chunk", "enrich", "embed", "load"}, 2 * 1024);
}

}  // namespace
}  // namespace docpipe::testing
