#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>

#include <fmt/format.h>

#include "object_store/local_object_store.h"

#include "common/posix_error.h"
#include "common/unique_fd.h"

namespace docpipe {

namespace fs = std::filesystem;

// ---- LocalObjectStore -------------------------------------------------------

namespace {

// Removes the temporary file of a Put unless it was renamed into place.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
  ~TempFileGuard() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  void Release() { path_.clear(); }

 private:
  std::string path_;
};

class LocalObjectStore final : public ObjectStore {
 public:
  explicit LocalObjectStore(std::string root) : root_(std::move(root)) {}

  Status Put(const std::string& key, std::string_view data) override {
    DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
    return WriteAtomically(key, [&](int fd) -> Status {
      return WriteAll(fd, data.data(), data.size()) ? Status::Ok() : Error(errno, "writing", key);
    });
  }

  // Each object is written to a temp file beside its key as Put does, but
  // the batch is made durable with one syncfs instead of an fsync per file
  // and per directory (a document's pages: measured in bench/pipeline), then
  // renamed into place and the directories synced once each. A crash before
  // the renames leaves only temp files (reserved names, never listed).
  Status PutMany(const std::vector<ObjectToPut>& objects) override {
    for (const ObjectToPut& o : objects) DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(o.key));
    struct Pending {
      std::string tmp;
      std::string path;
      std::unique_ptr<TempFileGuard> guard;
    };
    std::vector<Pending> pending;
    pending.reserve(objects.size());
    for (const ObjectToPut& o : objects) {
      Result<std::string> tmp = WriteTemp(o.key, [&](int fd) -> Status {
        return WriteAll(fd, o.data.data(), o.data.size()) ? Status::Ok() : Error(errno, "writing", o.key);
      });
      if (!tmp.ok()) return tmp.status();
      pending.push_back(Pending{*tmp, Path(o.key), std::make_unique<TempFileGuard>(*tmp)});
    }
    if (pending.empty()) return Status::Ok();
    {
      UniqueFd root(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (root.get() < 0) return Error(errno, "opening the store root for", objects.front().key);
      if (::syncfs(root.get()) != 0) return Error(errno, "syncing", objects.front().key);
    }
    std::vector<std::string> dirs;
    for (size_t i = 0; i < pending.size(); ++i) {
      if (::rename(pending[i].tmp.c_str(), pending[i].path.c_str()) != 0) {
        return Error(errno, "renaming into place", objects[i].key);
      }
      pending[i].guard->Release();
      std::string dir = fs::path(pending[i].path).parent_path().string();
      if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(std::move(dir));
    }
    for (const std::string& dir : dirs) {
      UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (dirfd.get() >= 0) ::fsync(dirfd.get());
    }
    return Status::Ok();
  }

  Status PutFile(const std::string& key, const std::string& path) override {
    DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
    UniqueFd src(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (src.get() < 0) return Error(errno, "opening source " + path + " for", key);
    return WriteAtomically(key, [&](int fd) -> Status {
      char buf[1 << 16];
      while (true) {
        ssize_t n = ::read(src.get(), buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error(errno, "reading source " + path + " for", key);
        if (n == 0) return Status::Ok();
        if (!WriteAll(fd, buf, static_cast<size_t>(n))) return Error(errno, "writing", key);
      }
    });
  }

  Result<std::string> Get(const std::string& key) override { return Read(key, 0, -1); }

  Result<std::string> GetRange(const std::string& key, int64_t offset, int64_t length) override {
    if (offset < 0 || length < 0) {
      return Status::InvalidInput(fmt::format("bad range offset={} length={} for {}", offset, length, key));
    }
    return Read(key, offset, length);
  }

  Result<ObjectInfo> Head(const std::string& key) override {
    DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
    struct stat st {};
    if (::stat(Path(key).c_str(), &st) != 0) return Error(errno, "stat", key);
    if (!S_ISREG(st.st_mode)) return Status::NotFound("no such object " + key);
    return Info(key, st);
  }

  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override {
    DOCPIPE_RETURN_IF_ERROR(ValidateObjectPrefix(prefix));
    // Walk only the deepest directory the prefix names in full.
    size_t slash = prefix.rfind('/');
    std::string dir_key = slash == std::string::npos ? "" : prefix.substr(0, slash);
    std::vector<ObjectInfo> out;
    DOCPIPE_RETURN_IF_ERROR(Walk(dir_key, prefix, out));
    std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Status Delete(const std::string& key) override {
    DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
    if (::unlink(Path(key).c_str()) != 0 && errno != ENOENT) return Error(errno, "deleting", key);
    // Drop directories the delete left empty, like S3 where prefixes vanish
    // with their last object; stops at the first non-empty one.
    std::string dir = key;
    for (size_t slash = dir.rfind('/'); slash != std::string::npos; slash = dir.rfind('/')) {
      dir.resize(slash);
      if (::rmdir(Path(dir).c_str()) != 0) break;
    }
    return Status::Ok();
  }

  Result<LocalFile> Fetch(const std::string& key) override {
    auto info = Head(key);
    if (!info.ok()) return info.status();
    return LocalFile(Path(key), /*temporary=*/false);
  }

 private:
  // Every message names the store and the key.
  Status Error(int err, const std::string& op, const std::string& key) const {
    return ErrnoStatus(err, fmt::format("local store {}: {} {}", root_, op, key));
  }

  std::string Path(const std::string& key) const { return key.empty() ? root_ : root_ + "/" + key; }

  static bool WriteAll(int fd, const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return false;
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }

  // Writes through a uniquely named temp file in the target directory, then
  // fsync + rename: readers see the old or the new object, never a torn one.
  template <typename Writer>
  Status WriteAtomically(const std::string& key, Writer&& write) {
    std::string path = Path(key);
    std::string dir = fs::path(path).parent_path().string();
    Result<std::string> tmpl = WriteTemp(key, std::forward<Writer>(write), /*sync=*/true);
    if (!tmpl.ok()) return tmpl.status();
    TempFileGuard guard(*tmpl);
    if (::rename(tmpl->c_str(), path.c_str()) != 0) return Error(errno, "renaming into place", key);
    guard.Release();
    // Make the rename itself durable.
    UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dirfd.get() >= 0) ::fsync(dirfd.get());
    return Status::Ok();
  }

  // Writes a uniquely named temp file in `key`'s directory (fsynced when
  // `sync`) and returns its path; on failure nothing is left behind.
  template <typename Writer>
  Result<std::string> WriteTemp(const std::string& key, Writer&& write, bool sync = false) {
    std::string dir = fs::path(Path(key)).parent_path().string();
    std::string tmpl;
    int fd = -1;
    // A concurrent Delete may remove the fresh directory before mkstemp.
    for (int attempt = 0; fd < 0; ++attempt) {
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec) return Error(ec.value(), "creating directory for", key);
      tmpl = dir + "/" + std::string(kReservedObjectKeyPrefix) + "XXXXXX";
      fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
      if (fd < 0 && (errno != ENOENT || attempt >= 3)) return Error(errno, "creating temp file for", key);
    }
    UniqueFd file(fd);
    TempFileGuard guard(tmpl);
    DOCPIPE_RETURN_IF_ERROR(write(file.get()));
    // mkstemp creates 0600; objects are ordinary files.
    if (::fchmod(file.get(), 0644) != 0) return Error(errno, "chmod", key);
    if (sync && ::fsync(file.get()) != 0) return Error(errno, "fsync", key);
    if (file.Close() != 0) return Error(errno, "closing", key);
    guard.Release();
    return tmpl;
  }

  // length < 0 reads to the end.
  Result<std::string> Read(const std::string& key, int64_t offset, int64_t length) {
    DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
    UniqueFd fd(::open(Path(key).c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return Error(errno, "opening", key);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return Error(errno, "stat", key);
    if (!S_ISREG(st.st_mode)) return Status::NotFound("no such object " + key);
    int64_t size = st.st_size;
    int64_t start = std::min(offset, size);
    int64_t n = length < 0 ? size - start : std::min(length, size - start);
    std::string out(static_cast<size_t>(n), '\0');
    int64_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd.get(), out.data() + done, static_cast<size_t>(n - done), start + done);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Error(errno, "reading", key);
      if (r == 0) break;  // truncated underneath us; return what exists
      done += r;
    }
    out.resize(static_cast<size_t>(done));
    return out;
  }

  // Cheap metadata fingerprint: every Put renames a new inode into place, so
  // size, mtime and inode together change whenever the content is replaced.
  static ObjectInfo Info(const std::string& key, const struct stat& st) {
    int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    return ObjectInfo{key, static_cast<int64_t>(st.st_size),
                      fmt::format("{:x}-{:x}-{:x}", st.st_size, mtime_ns, static_cast<uint64_t>(st.st_ino))};
  }

  Status Walk(const std::string& dir_key, const std::string& prefix, std::vector<ObjectInfo>& out) const {
    std::error_code ec;
    fs::directory_iterator it(Path(dir_key), ec);
    // A missing (or concurrently deleted) directory simply holds nothing.
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) return Status::Ok();
    if (ec) return Error(ec.value(), "listing", dir_key.empty() ? std::string("/") : dir_key);
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) return Error(ec.value(), "listing", dir_key);
      std::string name = it->path().filename().string();
      if (name.compare(0, kReservedObjectKeyPrefix.size(), kReservedObjectKeyPrefix) == 0) continue;
      std::string key = dir_key.empty() ? name : dir_key + "/" + name;
      // Skip subtrees that cannot match: neither side is a prefix of the other.
      size_t common = std::min(key.size(), prefix.size());
      if (key.compare(0, common, prefix, 0, common) != 0) continue;
      struct stat st {};
      if (::stat(Path(key).c_str(), &st) != 0) continue;  // vanished meanwhile
      if (S_ISDIR(st.st_mode)) {
        DOCPIPE_RETURN_IF_ERROR(Walk(key, prefix, out));
      } else if (S_ISREG(st.st_mode) && key.size() >= prefix.size()) {
        out.push_back(Info(key, st));
      }
    }
    return Status::Ok();
  }

  const std::string root_;
};

}  // namespace

Result<ObjectStorePtr> NewLocalObjectStore(const std::string& root) {
  if (root.empty()) return Status::InvalidInput("local object store needs a root directory");
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status::Unavailable(fmt::format("local store {}: cannot create root: {}", root, ec.message()));
  fs::path abs = fs::canonical(root, ec);
  if (ec) return Status::Unavailable(fmt::format("local store {}: cannot resolve root: {}", root, ec.message()));
  if (!fs::is_directory(abs)) return Status::InvalidInput("local store root is not a directory: " + root);
  return ObjectStorePtr(std::make_unique<LocalObjectStore>(abs.string()));
}

}  // namespace docpipe
