// End-to-end behaviour of the docpipe CLI on the embedded workspace.
#include <signal.h>

#include <chrono>
#include <set>
#include <thread>

#include "e2e/cli_fixture.h"

namespace docpipe::testing {
namespace {

std::string SampleMarkdown(int n) {
  std::string s = "# Manual " + std::to_string(n) + "\n\nThis manual describes widget number " + std::to_string(n) +
                  ". It explains installation and use.\n\n## Installation\n\nRun the installer and follow the "
                  "prompts. The installer checks dependencies first.\n\n## Usage\n\n- start the widget\n- stop "
                  "the widget\n\n| option | meaning |\n|---|---|\n| -v | verbose |\n";
  return s;
}

TEST_F(CliTest, VersionAndHelp) {
  ProcessResult v = RunProcess({DOCPIPE_BINARY, "--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("docpipe "), std::string::npos);
  for (const char* cmd : {"ingest", "worker", "status", "audit", "retry", "metrics"}) {
    ProcessResult h = RunProcess({DOCPIPE_BINARY, cmd, "--help"});
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_NE(h.out.find("Usage"), std::string::npos) << cmd << ": " << h.out;
  }
}

// The version names the commit the binary was built from (a header
// generated in the build tree, cmake/build_version.cmake).
TEST_F(CliTest, VersionNamesTheCommit) {
  ProcessResult v = RunProcess({DOCPIPE_BINARY, "--version"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  ProcessResult head = RunProcess({"git", "-C", DOCPIPE_SOURCE_DIR, "rev-parse", "--short=12", "HEAD"});
  ASSERT_EQ(head.exit_code, 0) << "the test reads the commit with git: " << head.err;
  std::string commit = head.out.substr(0, head.out.find_first_of("\n"));
  ASSERT_EQ(commit.size(), 12u) << head.out;
  // Built from this checkout; "-dirty" when tracked files had changes.
  EXPECT_EQ(v.out.rfind("docpipe 0.", 0), 0u) << v.out;
  EXPECT_NE(v.out.find("(commit " + commit), std::string::npos) << v.out << " vs HEAD " << commit;
}

// Global options go before or after the command, as people and scripts
// write them.
TEST_F(CliTest, GlobalOptionsAfterTheCommand) {
  WriteDoc("manual.md", SampleMarkdown(7));
  ProcessResult ingest =
      RunProcess({DOCPIPE_BINARY, "ingest", Docs(), "--workspace", Workspace(), "--json", "--log-level", "warn"});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.out << ingest.err;
  EXPECT_TRUE(std::filesystem::exists(Workspace() + "/docpipe.db"));
  ProcessResult search = RunProcess({DOCPIPE_BINARY, "search", "installer prompts", "--workspace", Workspace(),
                                     "--json", "-v"});
  ASSERT_EQ(search.exit_code, 0) << search.out << search.err;
  nlohmann::json hits = nlohmann::json::parse(search.out);
  ASSERT_FALSE(hits.empty()) << search.out;
  EXPECT_EQ(hits[0]["source_key"], "input/docs/manual.md");
  ProcessResult status = RunProcess({DOCPIPE_BINARY, "status", "--json", "--workspace", Workspace()});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(nlohmann::json::parse(status.out).size(), 1u);
  // Before and after mixed, and an unknown option still refused.
  ProcessResult mixed = RunProcess({DOCPIPE_BINARY, "--log-level", "warn", "status", "--workspace", Workspace()});
  EXPECT_EQ(mixed.exit_code, 0) << mixed.err;
  ProcessResult bogus = RunProcess({DOCPIPE_BINARY, "status", "--workspace", Workspace(), "--bogus"});
  EXPECT_EQ(bogus.exit_code, 2);
  EXPECT_NE(bogus.err.find("--bogus"), std::string::npos) << bogus.err;
  // A command's help says where the global options are.
  ProcessResult help = RunProcess({DOCPIPE_BINARY, "search", "--help"});
  EXPECT_NE(help.out.find("--workspace"), std::string::npos) << help.out;
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunProcess({DOCPIPE_BINARY}).exit_code, 2);
  EXPECT_EQ(RunProcess({DOCPIPE_BINARY, "frobnicate"}).exit_code, 2);
  EXPECT_EQ(Docpipe({"ingest"}).exit_code, 2);
  EXPECT_EQ(Docpipe({"ingest", "--workers", "0", Docs()}).exit_code, 2);
  ProcessResult missing = Docpipe({"ingest", dir_.Join("does-not-exist")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("does-not-exist"), std::string::npos) << missing.err;
  EXPECT_EQ(Docpipe({"retry"}).exit_code, 2);
  EXPECT_EQ(Docpipe({"status", "--status", "BOGUS"}).exit_code, 2);
  ProcessResult bad_env = Docpipe({"status"}, {{"DOCPIPE_MAX_RETRIES", "many"}});
  EXPECT_EQ(bad_env.exit_code, 2);
  EXPECT_NE(bad_env.err.find("DOCPIPE_MAX_RETRIES"), std::string::npos) << bad_env.err;
  WriteFile(dir_.Join("bad.toml"), "workers = \"two\"\n");
  ProcessResult bad_toml = RunProcess({DOCPIPE_BINARY, "--config", dir_.Join("bad.toml"), "status"});
  EXPECT_EQ(bad_toml.exit_code, 2);
  EXPECT_NE(bad_toml.err.find("bad.toml"), std::string::npos) << bad_toml.err;
  ProcessResult unknown = Docpipe({"status", "nope-123"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("nope-123"), std::string::npos);
}

TEST_F(CliTest, IngestRecordsEveryTransition) {
  for (int i = 0; i < 3; ++i) WriteDoc("manual-" + std::to_string(i) + ".md", SampleMarkdown(i));
  WriteDoc("notes.txt", "Plain text notes.\n\nSecond paragraph of notes.\n");
  WriteDoc("image.xcf", "not a document");  // skipped in folder walks
  ProcessResult r = Docpipe({"ingest", "--json", Docs()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["total"], 4);
  EXPECT_EQ(summary["completed"], 4);
  EXPECT_EQ(summary["failed"], 0);
  EXPECT_EQ(summary["skipped_files"].size(), 1u);

  nlohmann::json status = Status();
  ASSERT_EQ(status.size(), 4u);
  for (const auto& rec : status) {
    EXPECT_EQ(rec["status"], "COMPLETED") << rec.dump(2);
    EXPECT_EQ(rec["processing_version"], "000001");
    EXPECT_GE(rec["page_count"].get<int>(), 1);
    EXPECT_GE(rec["chunk_count"].get<int>(), 1);
    EXPECT_EQ(rec["content_sha256"].get<std::string>().size(), 64u);
    EXPECT_EQ(rec["retry_count"], 0);
    EXPECT_EQ(rec.value("lease_owner", ""), "") << rec.dump(2);
    for (const char* stage : {"extract", "chunk", "enrich", "embed", "load"}) {
      const auto& s = rec["stage_status"][stage];
      EXPECT_EQ(s["status"], "COMPLETED");
      EXPECT_GE(s["duration_ms"].get<int64_t>(), 0);
      EXPECT_FALSE(s["output_key"].get<std::string>().empty());
      EXPECT_TRUE(s.contains("started_at") && s.contains("completed_at"));
    }
    std::string id = rec["document_id"];
    EXPECT_TRUE(std::filesystem::exists(StorePath("chunks/" + id + ".json")));
    EXPECT_TRUE(std::filesystem::exists(StorePath("extracted/" + id + "/page-0001.md")));
    EXPECT_TRUE(std::filesystem::exists(StorePath("extracted/" + id + "/metadata.json")));
    EXPECT_TRUE(std::filesystem::exists(StorePath("enriched/" + id + ".json")));
    EXPECT_TRUE(std::filesystem::exists(StorePath("embeddings/" + id + ".json")));
    EXPECT_TRUE(std::filesystem::exists(StorePath(rec["source_key"].get<std::string>())));
    std::vector<std::string> expected = {"DOCUMENT_RECEIVED"};
    for (int stage = 0; stage < 5; ++stage) {
      expected.push_back("STAGE_STARTED");
      expected.push_back("STAGE_COMPLETED");
    }
    expected.push_back("DOCUMENT_COMPLETED");
    nlohmann::json audit = Audit(id);
    EXPECT_EQ(EventTypes(audit), expected);
    for (const auto& e : audit) {
      EXPECT_FALSE(e["worker_id"].get<std::string>().empty());
      EXPECT_FALSE(e["time"].get<std::string>().empty());
    }
  }
  nlohmann::json metrics = DocpipeJson({"metrics", "--json"});
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0]["documents_completed"], 4.0);
  EXPECT_GT(metrics[0]["chunks"].get<double>(), 3.0);
  EXPECT_EQ(metrics[0]["stage_duration_ms"]["extract"]["count"], 4);
  EXPECT_EQ(metrics[0]["stage_duration_ms"]["chunk"]["count"], 4);
  EXPECT_EQ(metrics[0]["stage_duration_ms"]["load"]["count"], 4);
  EXPECT_GT(metrics[0]["tokens"].get<double>(), 20.0);
}

TEST_F(CliTest, HtmlRedirectPagesAreSkippedInFoldersAndFailWhenNamed) {
  // Texinfo writes one page like these per anchor; they only send the browser on.
  WriteDoc("Quiver-Group.html",
           "<html><head><title>Quiver Group</title></head><body><h4>Quiver Group</h4>"
           "<p>Quiver series objects are created by the quiver function.</p></body></html>");
  WriteDoc("XREFquiver.html",
           "<!DOCTYPE html><html><head><meta http-equiv=\"Refresh\" content=\"0; url=Quiver-Group.html#XREFquiver\">"
           "</head><body><p>The node you are looking for is at <a href=\"Quiver-Group.html#XREFquiver\">"
           "XREFquiver</a>.</p></body></html>");
  WriteDoc("old.htm", "<HTML><HEAD><META HTTP-EQUIV=REFRESH CONTENT=\"1;URL='Quiver-Group.html'\"></HEAD></HTML>");
  ProcessResult r = Docpipe({"ingest", "--json", Docs()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["total"], 1);
  EXPECT_EQ(summary["completed"], 1);
  ASSERT_EQ(summary["skipped_redirects"].size(), 2u) << r.out;
  EXPECT_NE(summary["skipped_redirects"][0].get<std::string>().find("XREFquiver.html"), std::string::npos);

  ProcessResult named = Docpipe({"ingest", Docs() + "/XREFquiver.html"});
  EXPECT_EQ(named.exit_code, 1) << named.out << named.err;
  EXPECT_NE(named.out.find("FAILED"), std::string::npos) << named.out;
  EXPECT_NE(named.out.find("XREFquiver.html: an HTML redirect page (it sends the browser to "
                           "Quiver-Group.html#XREFquiver at once) has no text of its own"),
            std::string::npos)
      << named.out;
}

TEST_F(CliTest, UnchangedContentIsSkippedChangedContentIsANewVersion) {
  WriteDoc("a.md", SampleMarkdown(1));
  ASSERT_EQ(Docpipe({"ingest", Docs()}).exit_code, 0);
  std::string id = RecordFor("a.md")["document_id"];

  ProcessResult again = Docpipe({"ingest", "--json", Docs()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["duplicates"], 1);
  EXPECT_EQ(DocpipeJson({"status", id, "--json"}).size(), 1u);
  EXPECT_EQ(CountEvents(Audit(id), "DUPLICATE_SKIPPED"), 1);

  WriteDoc("a.md", SampleMarkdown(1) + "\n## Appendix\n\nNew material about calibration.\n");
  ASSERT_EQ(Docpipe({"ingest", Docs()}).exit_code, 0);
  nlohmann::json versions = DocpipeJson({"status", id, "--json"});
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[1]["processing_version"], "000002");
  EXPECT_EQ(versions[1]["status"], "COMPLETED");
  EXPECT_NE(versions[0]["content_sha256"], versions[1]["content_sha256"]);
  std::string chunks = ReadFile(StorePath("chunks/" + id + ".json"));
  EXPECT_NE(chunks.find("calibration"), std::string::npos);
  EXPECT_NE(chunks.find("\"processing_version\": \"000002\""), std::string::npos);
}

TEST_F(CliTest, FailingStageIsRetriedWithBackoffThenCompletes) {
  WriteDoc("flaky.md", SampleMarkdown(7));
  ProcessResult r = Docpipe({"ingest", Docs()}, {{"DOCPIPE_FAULT_CHUNK_FAIL_ATTEMPTS", "2"},
                                                 {"DOCPIPE_RETRY_BASE_MS", "50"}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json rec = RecordFor("flaky.md");
  EXPECT_EQ(rec["status"], "COMPLETED");
  EXPECT_EQ(rec["retry_count"], 2);
  EXPECT_EQ(rec["stage_status"]["chunk"]["attempts"], 3);
  EXPECT_EQ(rec["stage_status"]["extract"]["attempts"], 1);  // completed stages are not redone
  nlohmann::json audit = Audit(rec["document_id"]);
  EXPECT_EQ(CountEvents(audit, "STAGE_FAILED", "chunk"), 2);
  EXPECT_EQ(CountEvents(audit, "RETRY_SCHEDULED"), 2);
  EXPECT_EQ(CountEvents(audit, "STAGE_COMPLETED", "extract"), 1);
  EXPECT_EQ(CountEvents(audit, "STAGE_COMPLETED", "chunk"), 1);
  EXPECT_EQ(CountEvents(audit, "DOCUMENT_COMPLETED"), 1);
}

TEST_F(CliTest, ExhaustedRetriesFailTheDocumentUntilRetried) {
  WriteDoc("broken.md", SampleMarkdown(8));
  WriteDoc("fine.txt", "All good here.\n");
  EnvOverrides faults = {{"DOCPIPE_FAULT_CHUNK_FAIL_ATTEMPTS", "99"}, {"DOCPIPE_RETRY_BASE_MS", "20"},
                         {"DOCPIPE_MAX_RETRIES", "2"}};
  ProcessResult r = Docpipe({"ingest", "--json", dir_.Join("docs/broken.md")}, faults);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  nlohmann::json rec = RecordFor("broken.md");
  EXPECT_EQ(rec["status"], "FAILED");
  EXPECT_EQ(rec["retry_count"], 2);
  EXPECT_EQ(rec["error_stage"], "chunk");
  EXPECT_NE(rec["last_error"].get<std::string>().find("injected failure"), std::string::npos);
  std::string id = rec["document_id"];
  nlohmann::json err = nlohmann::json::parse(ReadFile(StorePath("errors/" + id + ".json")));
  EXPECT_EQ(err["stage"], "chunk");
  EXPECT_EQ(err["source_key"], rec["source_key"]);
  nlohmann::json audit = Audit(id);
  EXPECT_EQ(CountEvents(audit, "STAGE_FAILED", "chunk"), 3);
  EXPECT_EQ(CountEvents(audit, "DOCUMENT_FAILED"), 1);

  // Manual retry without the fault completes it and clears the error record.
  ProcessResult retry = Docpipe({"retry", "--failed"});
  ASSERT_EQ(retry.exit_code, 0) << retry.out << retry.err;
  rec = RecordFor("broken.md");
  EXPECT_EQ(rec["status"], "COMPLETED");
  EXPECT_EQ(rec["processing_version"], "000001");
  EXPECT_FALSE(std::filesystem::exists(StorePath("errors/" + id + ".json")));
  EXPECT_EQ(Docpipe({"retry", id}).exit_code, 0);  // not failed: nothing to do, not an error
}

TEST_F(CliTest, TwoProcessesOnOneWorkspaceNeverRepeatWork) {
  for (int i = 0; i < 24; ++i) {
    std::string body = SampleMarkdown(i);
    for (int k = 0; k < 20; ++k) body += "\nParagraph " + std::to_string(k) + " of document " + std::to_string(i) + ".\n";
    WriteDoc("set/doc-" + std::to_string(i) + (i % 2 ? ".md" : ".txt"), body);
  }
  EnvOverrides slow = {{"DOCPIPE_FAULT_EXTRACT_DELAY_MS", "60"}};
  ChildProcess a(Argv({"ingest", "--workers", "2", "--json", Docs()}), slow);
  ChildProcess b(Argv({"ingest", "--workers", "2", "--json", Docs()}), slow);
  ProcessResult ra = a.Wait(), rb = b.Wait();
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;

  nlohmann::json status = Status();
  ASSERT_EQ(status.size(), 24u);
  std::set<std::string> workers;
  for (const auto& rec : status) {
    EXPECT_EQ(rec["status"], "COMPLETED");
    EXPECT_EQ(rec["processing_version"], "000001") << "a racing registration made a second version";
    nlohmann::json audit = Audit(rec["document_id"]);
    EXPECT_EQ(CountEvents(audit, "DOCUMENT_RECEIVED"), 1);
    EXPECT_EQ(CountEvents(audit, "STAGE_STARTED", "extract"), 1);
    EXPECT_EQ(CountEvents(audit, "STAGE_COMPLETED", "extract"), 1);
    EXPECT_EQ(CountEvents(audit, "STAGE_COMPLETED", "chunk"), 1);
    EXPECT_EQ(CountEvents(audit, "DOCUMENT_COMPLETED"), 1);
    for (const auto& e : audit) {
      if (e["event_type"] == "DOCUMENT_COMPLETED") workers.insert(e["worker_id"]);
    }
  }
  EXPECT_EQ(workers.size(), 2u) << "both processes should have done some of the work";
}

// Polls the audit until `type` appears for the document at `name`.
bool WaitForEvent(const CliTest& t, const std::function<nlohmann::json()>& audit, const std::string& type,
                  int timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    nlohmann::json a = audit();
    if (a.is_array() && CountEvents(a, type) > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (void)t;
  return false;
}

TEST_F(CliTest, SigkilledWorkerLeavesALeaseThatExpiresAndAnotherWorkerFinishes) {
  WriteDoc("victim.md", SampleMarkdown(3));
  EnvOverrides env = {{"DOCPIPE_LEASE_SECONDS", "2"}, {"DOCPIPE_FAULT_EXTRACT_DELAY_MS", "30000"}};
  ChildProcess victim(Argv({"ingest", Docs()}), env);
  std::string id;
  auto audit = [&]() -> nlohmann::json {
    if (id.empty()) {
      ProcessResult s = Docpipe({"status", "--json"});
      nlohmann::json j = nlohmann::json::parse(s.out, nullptr, false);
      if (j.is_array() && !j.empty()) id = j[0]["document_id"];
      if (id.empty()) return nlohmann::json::array();
    }
    return nlohmann::json::parse(Docpipe({"audit", id, "--json"}).out, nullptr, false);
  };
  ASSERT_TRUE(WaitForEvent(*this, audit, "STAGE_STARTED", 30));
  victim.Signal(SIGKILL);
  EXPECT_EQ(victim.Wait().exit_code, 128 + SIGKILL);
  EXPECT_EQ(RecordFor("victim.md")["status"], "IN_PROGRESS");

  ProcessResult rescue = Docpipe({"worker", "--drain"}, {{"DOCPIPE_LEASE_SECONDS", "2"}});
  ASSERT_EQ(rescue.exit_code, 0) << rescue.err;
  nlohmann::json rec = RecordFor("victim.md");
  EXPECT_EQ(rec["status"], "COMPLETED");
  EXPECT_EQ(rec["retry_count"], 1);
  nlohmann::json events = audit();
  EXPECT_EQ(CountEvents(events, "LEASE_EXPIRED"), 1);
  EXPECT_EQ(CountEvents(events, "STAGE_STARTED", "extract"), 2);
  EXPECT_EQ(CountEvents(events, "STAGE_COMPLETED", "extract"), 1);
  EXPECT_EQ(CountEvents(events, "STAGE_COMPLETED", "chunk"), 1);
  EXPECT_EQ(CountEvents(events, "DOCUMENT_COMPLETED"), 1);
}

TEST_F(CliTest, InterruptReleasesDocumentsAndExitsCleanly) {
  for (int i = 0; i < 4; ++i) WriteDoc("slow-" + std::to_string(i) + ".md", SampleMarkdown(i));
  ChildProcess p(Argv({"ingest", "--workers", "2", Docs()}), {{"DOCPIPE_FAULT_EXTRACT_DELAY_MS", "20000"}});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  p.Signal(SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  p.Signal(SIGINT);  // second interrupt: release now instead of finishing
  ProcessResult r = p.Wait(30);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  for (const auto& rec : Status()) {
    EXPECT_EQ(rec["status"], "PENDING") << rec.dump(2);
    EXPECT_EQ(rec.value("lease_owner", ""), "");
    EXPECT_EQ(rec["retry_count"], 0);
  }
  ProcessResult again = Docpipe({"ingest", Docs()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  for (const auto& rec : Status()) EXPECT_EQ(rec["status"], "COMPLETED");
}

}  // namespace
}  // namespace docpipe::testing
