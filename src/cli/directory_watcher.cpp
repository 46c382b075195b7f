#include "cli/directory_watcher.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>

#include <fmt/format.h>

namespace docpipe {
namespace {

constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_CREATE | IN_ATTRIB | IN_DELETE_SELF |
                           IN_MOVE_SELF | IN_ONLYDIR;

bool EndsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

}  // namespace

bool IgnoredByWatcher(const std::string& name) {
  if (name.empty() || name[0] == '.') return true;
  for (const char* s : {".part", ".tmp", ".crdownload", ".swp", ".partial", "~"}) {
    if (EndsWith(name, s)) return true;
  }
  return false;
}

bool OpenForWriting(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return false;
  // Should a writer open the file while the lease is held, the kernel tells
  // the holder with a signal: SIGURG, whose default is to be ignored (not
  // SIGIO, whose default ends the process). The lease is dropped at once.
  (void)::fcntl(fd, F_SETSIG, SIGURG);
  bool writing = false;
  if (::fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
    (void)::fcntl(fd, F_SETLEASE, F_UNLCK);
  } else {
    writing = errno == EAGAIN;
  }
  ::close(fd);
  return writing;
}

Result<std::unique_ptr<DirectoryWatcher>> DirectoryWatcher::Open(const std::string& root, Clock& clock,
                                                                 DirectoryWatcherOptions options) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::InvalidInput(fmt::format("{}: not a folder", root));
  }
  char resolved[PATH_MAX];
  if (::realpath(root.c_str(), resolved) == nullptr) {
    return Status::InvalidInput(fmt::format("{}: {}", root, std::strerror(errno)));
  }
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return Status::Unavailable(fmt::format("inotify_init1: {}", std::strerror(errno)));
  std::unique_ptr<DirectoryWatcher> w(new DirectoryWatcher(fd, resolved, clock, options));
  // Files already there are not reported: the caller scans them (`watch`
  // registers what the folder holds at start, as `ingest` would).
  DOCPIPE_RETURN_IF_ERROR(w->AddTree(w->root_, /*report_existing=*/false));
  return w;
}

DirectoryWatcher::DirectoryWatcher(int fd, std::string root, Clock& clock, DirectoryWatcherOptions options)
    : fd_(fd), root_(std::move(root)), clock_(clock), options_(options) {}

DirectoryWatcher::~DirectoryWatcher() { ::close(fd_); }

Status DirectoryWatcher::AddTree(const std::string& dir, bool report_existing) {
  const int wd = ::inotify_add_watch(fd_, dir.c_str(), kMask);
  if (wd < 0) {
    if (errno == ENOSPC) {
      return Status::Unavailable(fmt::format(
          "{}: too many folders to watch (raise /proc/sys/fs/inotify/max_user_watches)", dir));
    }
    if (errno == ENOENT || errno == ENOTDIR) return Status::Ok();  // gone again
    return Status::Unavailable(fmt::format("{}: inotify_add_watch: {}", dir, std::strerror(errno)));
  }
  if (dirs_.count(wd) && dirs_[wd] == dir) return Status::Ok();  // already watched
  dirs_[wd] = dir;
  // Watch first, then list: a file created in between is seen either way.
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Status::Ok();
  std::vector<std::string> subdirs;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == ".." || IgnoredByWatcher(name)) continue;
    const std::string path = dir + "/" + name;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) subdirs.push_back(path);
    else if (S_ISREG(st.st_mode) && report_existing) Touch(path, /*closed=*/true);
  }
  ::closedir(d);
  for (const std::string& sub : subdirs) DOCPIPE_RETURN_IF_ERROR(AddTree(sub, report_existing));
  return Status::Ok();
}

void DirectoryWatcher::Touch(const std::string& path, bool closed) {
  Candidate& c = pending_[path];
  c.closed = c.closed || closed;
  c.changed_at = clock_.NowMs();
  c.size = -1;  // re-read at the next settle check
}

void DirectoryWatcher::ReadEvents() {
  alignas(inotify_event) char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof(buf));
    if (n <= 0) return;  // EAGAIN: drained
    for (char* p = buf; p < buf + n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(p);
      p += sizeof(inotify_event) + e->len;
      if (e->mask & IN_Q_OVERFLOW) {
        // Events were lost: every folder is looked at again.
        for (const auto& [wd, dir] : std::map<int, std::string>(dirs_)) (void)AddTree(dir, true);
        continue;
      }
      auto it = dirs_.find(e->wd);
      if (it == dirs_.end()) continue;
      if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
        if (e->mask & IN_IGNORED) dirs_.erase(it);
        continue;
      }
      if (e->len == 0) continue;
      const std::string name = e->name;
      if (IgnoredByWatcher(name)) continue;
      const std::string path = it->second + "/" + name;
      if (e->mask & IN_ISDIR) {
        if (e->mask & (IN_CREATE | IN_MOVED_TO)) (void)AddTree(path, /*report_existing=*/true);
        continue;
      }
      if (e->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
        Touch(path, /*closed=*/true);
      } else if (e->mask & (IN_MODIFY | IN_CREATE | IN_ATTRIB)) {
        // Being written: not yet, and the settle time starts over.
        if (auto c = pending_.find(path); c != pending_.end()) {
          c->second.closed = false;
          c->second.changed_at = clock_.NowMs();
        } else if (e->mask & (IN_MODIFY | IN_CREATE)) {
          Touch(path, /*closed=*/false);
        }
      }
    }
  }
}

Result<std::vector<std::string>> DirectoryWatcher::Poll(int64_t wait_ms) {
  // Wake up in time for the earliest candidate to settle.
  int64_t wait = wait_ms;
  const TimeMs now = clock_.NowMs();
  for (const auto& [path, c] : pending_) {
    if (c.closed) wait = std::min(wait, std::max<int64_t>(0, c.changed_at + options_.settle_ms - now));
  }
  pollfd pfd{fd_, POLLIN, 0};
  const int ready = ::poll(&pfd, 1, static_cast<int>(std::clamp<int64_t>(wait, 0, 60'000)));
  if (ready < 0 && errno != EINTR) return Status::Unavailable(fmt::format("poll: {}", std::strerror(errno)));
  if (ready > 0) ReadEvents();

  std::vector<std::string> out;
  const TimeMs t = clock_.NowMs();
  for (auto it = pending_.begin(); it != pending_.end();) {
    Candidate& c = it->second;
    struct stat st {};
    if (::stat(it->first.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      it = pending_.erase(it);  // deleted or replaced by a folder before it settled
      continue;
    }
    const int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    if (c.size != st.st_size || c.mtime_ns != mtime) {
      // Changed since the last look (or never looked at): the settle time starts now.
      if (c.size != -1) c.changed_at = t;
      c.size = st.st_size;
      c.mtime_ns = mtime;
    }
    if (c.closed && t - c.changed_at >= options_.settle_ms) {
      if (OpenForWriting(it->first)) {
        // Found by a listing, or written again under the same close: its
        // writer's IN_CLOSE_WRITE (the folder is watched now) brings it back.
        c.closed = false;
        c.changed_at = t;
        ++it;
        continue;
      }
      out.push_back(it->first);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace docpipe
