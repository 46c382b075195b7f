#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace docpipe {

struct DirectoryWatcherOptions {
  //! A file is taken once it was closed after writing (IN_CLOSE_WRITE) or
  //! moved in whole (IN_MOVED_TO) and then kept its size and mtime for this
  //! long: a writer that reopens it, or one still holding it open, is waited for.
  int64_t settle_ms = 1000;
};

// Watches a folder tree with inotify and reports files that arrived or
// changed, once they are complete. A partially written file is never
// reported: until its writer closes it there is no IN_CLOSE_WRITE, and a
// file that changes again during the settle time waits again. New
// subfolders are watched as they appear (and what they already hold is
// reported). A file found by listing a folder (its writer may have opened it
// before the folder was watched, so no event says when it is closed) and
// every file about to be reported is checked with OpenForWriting: one still
// open for writing waits for its IN_CLOSE_WRITE. Hidden entries ('.name') and editors' and browsers' partial
// files (*.part, *.tmp, *.crdownload, *.swp, *~) are ignored.
class DirectoryWatcher {
 public:
  //! InvalidInput when `root` is not a readable folder; Unavailable when
  //! inotify cannot be set up (e.g. the watch limit is reached).
  static Result<std::unique_ptr<DirectoryWatcher>> Open(const std::string& root, Clock& clock,
                                                        DirectoryWatcherOptions options);
  ~DirectoryWatcher();
  DirectoryWatcher(const DirectoryWatcher&) = delete;
  DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

  //! Waits up to `wait_ms` for events and returns the paths (absolute,
  //! sorted) that became ready since the last call.
  Result<std::vector<std::string>> Poll(int64_t wait_ms);
  //! Files waiting to settle (tests, diagnostics).
  size_t pending() const { return pending_.size(); }
  const std::string& root() const { return root_; }

 private:
  struct Candidate {
    bool closed = false;   // IN_CLOSE_WRITE or IN_MOVED_TO seen
    TimeMs changed_at = 0;  // last event or stat change
    int64_t size = -1;
    int64_t mtime_ns = -1;
  };
  DirectoryWatcher(int fd, std::string root, Clock& clock, DirectoryWatcherOptions options);
  Status AddTree(const std::string& dir, bool report_existing);
  void Touch(const std::string& path, bool closed);
  void ReadEvents();

  int fd_;
  std::string root_;
  Clock& clock_;
  DirectoryWatcherOptions options_;
  std::map<int, std::string> dirs_;  // watch descriptor -> folder
  std::map<std::string, Candidate> pending_;
};

//! Whether `name` (a file name, no folder) is one the watcher ignores.
bool IgnoredByWatcher(const std::string& name);

//! Whether some process holds `path` open for writing, asked of the kernel
//! with a read lease (fcntl F_SETLEASE F_RDLCK fails with EAGAIN then), taken
//! and dropped at once. false when it cannot tell (a file of another owner
//! without CAP_LEASE, a file system without leases): the settle time decides.
bool OpenForWriting(const std::string& path);

}  // namespace docpipe
