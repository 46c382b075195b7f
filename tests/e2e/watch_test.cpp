// `docpipe watch DIR` end to end: what the folder holds at start, files that
// arrive (written in place, moved in), a file still being written (never
// taken until closed), a changed file (a new version); SIGINT stops it.

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include "cli_fixture.h"

namespace docpipe::testing {
namespace {

class WatchTest : public CliTest {
 protected:
  // Latest record of the document whose key ends with `name`; null when none.
  nlohmann::json Find(const std::string& name) {
    for (const auto& r : Status()) {
      const std::string key = r["source_key"];
      if (key.size() >= name.size() && key.compare(key.size() - name.size(), name.size(), name) == 0) return r;
    }
    return nullptr;
  }

  // Waits until `name`'s latest version has `status` (and `version`, when given).
  nlohmann::json WaitFor(const std::string& name, const std::string& status, const std::string& version = "") {
    nlohmann::json r;
    for (int i = 0; i < 240; ++i) {
      r = Find(name);
      if (!r.is_null() && r["status"] == status && (version.empty() || r["processing_version"] == version)) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    ADD_FAILURE() << name << " never reached " << status << " " << version << "; last: " << r.dump();
    return r;
  }
};

TEST_F(WatchTest, RegistersAndProcessesFilesAsTheyArriveNeverHalfWritten) {
  const std::string inbox = dir_.Join("inbox");
  WriteFile(inbox + "/already.md", "# Already here\n\nThe pump was there before the watcher.\n");
  ChildProcess watch(Argv({"watch", inbox, "--settle-ms", "300"}));
  nlohmann::json already = WaitFor("already.md", "COMPLETED");
  EXPECT_EQ(already["source_key"], "input/inbox/already.md");  // as `ingest inbox` names it

  // Half written, and held open well past the settle time: not taken.
  const std::string slow = inbox + "/manuals/slow.md";
  std::filesystem::create_directories(inbox + "/manuals");
  const int fd = ::open(slow.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  const std::string first = "# Slow manual\n\nThe first half mentions valves.\n";
  ASSERT_EQ(::write(fd, first.data(), first.size()), static_cast<ssize_t>(first.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(Find("slow.md").is_null()) << "a file still open for writing was taken";
  const std::string second = "\n## Second half\n\nThe second half mentions impellers.\n";
  ASSERT_EQ(::write(fd, second.data(), second.size()), static_cast<ssize_t>(second.size()));
  ::close(fd);
  nlohmann::json done = WaitFor("slow.md", "COMPLETED");
  EXPECT_EQ(done["source_key"], "input/inbox/manuals/slow.md");
  EXPECT_EQ(ReadFile(StorePath("input/inbox/manuals/slow.md")), first + second);  // whole, never half

  // Written elsewhere and moved in.
  WriteFile(dir_.Join("elsewhere.txt"), "Moved in whole: the gasket and the seal.\n");
  std::filesystem::rename(dir_.Join("elsewhere.txt"), inbox + "/moved.txt");
  WaitFor("moved.txt", "COMPLETED");

  // Changed: a new version.
  WriteFile(inbox + "/already.md", "# Already here\n\nNow it speaks of compressors.\n");
  WaitFor("already.md", "COMPLETED", "000002");

  // Unsupported and hidden files are left alone.
  WriteFile(inbox + "/notes.xyz", "not a document");
  WriteFile(inbox + "/.hidden.md", "# hidden");
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_TRUE(Find("notes.xyz").is_null());
  EXPECT_TRUE(Find(".hidden.md").is_null());

  watch.Signal(SIGINT);
  ProcessResult r = watch.Wait(30);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_NE(r.out.find("new"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("COMPLETED"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("notes.xyz: unsupported file type"), std::string::npos) << r.err;
  EXPECT_EQ(Status().size(), 3u);
}

TEST_F(WatchTest, AFolderThatIsNotThereIsAUsageError) {
  ProcessResult r = Docpipe({"watch", dir_.Join("missing")}, {}, 30);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a folder"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace docpipe::testing
