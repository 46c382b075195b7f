// `docpipe watch`'s inotify watcher: complete files are reported once,
// partially written ones never; renames in, new folders, ignored names.

#include "cli/directory_watcher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "support/fake_clock.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

constexpr int64_t kSettle = 500;

class DirectoryWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.Join("in"));
    auto w = DirectoryWatcher::Open(dir_.Join("in"), clock_, DirectoryWatcherOptions{kSettle});
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    watcher_ = std::move(*w);
    root_ = watcher_->root();
  }

  // Polls (without waiting long) and returns what became ready.
  std::vector<std::string> Poll() {
    auto got = watcher_->Poll(20);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? *got : std::vector<std::string>{};
  }

  // Polls, lets the settle time pass, polls again.
  std::vector<std::string> PollSettled() {
    std::vector<std::string> out = Poll();
    clock_.Advance(kSettle);
    for (const std::string& p : Poll()) out.push_back(p);
    return out;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<DirectoryWatcher> watcher_;
  std::string root_;
};

TEST_F(DirectoryWatcherTest, ACompleteFileIsReportedOnceAfterItSettles) {
  testing::WriteFile(root_ + "/a.pdf", "%PDF-1.4 ...");
  EXPECT_TRUE(Poll().empty());  // closed, but not settled yet
  clock_.Advance(kSettle);
  EXPECT_EQ(Poll(), std::vector<std::string>{root_ + "/a.pdf"});
  clock_.Advance(kSettle);
  EXPECT_TRUE(Poll().empty());
  EXPECT_EQ(watcher_->pending(), 0u);
}

TEST_F(DirectoryWatcherTest, AFileStillBeingWrittenIsNeverTaken) {
  const std::string path = root_ + "/big.pdf";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "%PDF-1.4 first half", 19), 19);
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(kSettle * 4);  // however long the writer pauses
    EXPECT_TRUE(Poll().empty()) << "taken while open for writing";
  }
  ASSERT_EQ(::write(fd, " second half", 12), 12);
  ::close(fd);
  EXPECT_EQ(PollSettled(), std::vector<std::string>{path});
}

// The race of a new folder: the file is created and opened for writing
// before the folder is watched, so the watcher only finds it by listing the
// folder and sees no IN_CREATE or IN_MODIFY. It waits for the writer to close.
TEST_F(DirectoryWatcherTest, AFileFoundInANewFolderWhileOpenForWritingWaitsForItsClose) {
  std::filesystem::create_directories(root_ + "/new");
  const std::string path = root_ + "/new/half.md";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "# Half", 6), 6);
  EXPECT_TRUE(OpenForWriting(path));
  EXPECT_TRUE(PollSettled().empty());  // the folder's IN_CREATE: listed, found, open
  clock_.Advance(10 * kSettle);
  EXPECT_TRUE(PollSettled().empty()) << "a file still open for writing was reported";
  ASSERT_EQ(::write(fd, " and the rest\n", 14), 14);
  ::close(fd);
  EXPECT_FALSE(OpenForWriting(path));
  EXPECT_EQ(PollSettled(), std::vector<std::string>{path});
}

TEST_F(DirectoryWatcherTest, AFileChangedAgainWaitsForTheSettleTimeAgain) {
  const std::string path = root_ + "/report.txt";
  testing::WriteFile(path, "draft");
  EXPECT_TRUE(Poll().empty());
  clock_.Advance(kSettle - 100);
  // Reopened and appended by a second writer before it settled.
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, " and more", 9), 9);
  EXPECT_TRUE(Poll().empty());
  clock_.Advance(kSettle);
  EXPECT_TRUE(Poll().empty()) << "taken while reopened";
  ::close(fd);
  EXPECT_EQ(PollSettled(), std::vector<std::string>{path});
}

TEST_F(DirectoryWatcherTest, MovedInFilesAndNewFoldersAreSeen) {
  testing::WriteFile(dir_.Join("outside.md"), "# Written elsewhere");
  std::filesystem::rename(dir_.Join("outside.md"), root_ + "/moved.md");
  EXPECT_EQ(PollSettled(), std::vector<std::string>{root_ + "/moved.md"});

  std::filesystem::create_directories(root_ + "/sub/deeper");
  Poll();  // the new folders are watched from here on
  testing::WriteFile(root_ + "/sub/deeper/new.md", "# New");
  EXPECT_EQ(PollSettled(), std::vector<std::string>{root_ + "/sub/deeper/new.md"});

  // A folder moved in whole, with files already inside.
  std::filesystem::create_directories(dir_.Join("batch"));
  testing::WriteFile(dir_.Join("batch/one.md"), "1");
  testing::WriteFile(dir_.Join("batch/two.md"), "2");
  std::filesystem::rename(dir_.Join("batch"), root_ + "/batch");
  EXPECT_EQ(PollSettled(), (std::vector<std::string>{root_ + "/batch/one.md", root_ + "/batch/two.md"}));
}

TEST_F(DirectoryWatcherTest, HiddenAndPartialNamesAreIgnored) {
  for (const char* name : {".hidden.pdf", "download.pdf.part", "x.crdownload", "notes.md~", "tmp.tmp"}) {
    testing::WriteFile(root_ + "/" + name, "x");
  }
  EXPECT_TRUE(PollSettled().empty());
  // The usual "write a temporary name, then rename" is taken under the final name.
  std::filesystem::rename(root_ + "/download.pdf.part", root_ + "/download.pdf");
  EXPECT_EQ(PollSettled(), std::vector<std::string>{root_ + "/download.pdf"});
  EXPECT_TRUE(IgnoredByWatcher(".x"));
  EXPECT_FALSE(IgnoredByWatcher("manual.pdf"));
}

TEST_F(DirectoryWatcherTest, AFileDeletedBeforeItSettledIsForgotten) {
  testing::WriteFile(root_ + "/gone.md", "x");
  Poll();
  std::filesystem::remove(root_ + "/gone.md");
  EXPECT_TRUE(PollSettled().empty());
  EXPECT_EQ(watcher_->pending(), 0u);
}

TEST(DirectoryWatcherOpenTest, NotAFolderIsInvalidInput) {
  testing::FakeClock clock;
  testing::TempDir dir;
  testing::WriteFile(dir.Join("file"), "x");
  EXPECT_EQ(DirectoryWatcher::Open(dir.Join("file"), clock, {}).status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(DirectoryWatcher::Open(dir.Join("missing"), clock, {}).status().code(), Status::Code::kInvalidInput);
}

}  // namespace
}  // namespace docpipe
