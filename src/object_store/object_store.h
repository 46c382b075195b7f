#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/parallel.h"
#include "common/status.h"

namespace docpipe {

struct ObjectToPut {
  std::string key;
  std::string_view data;  // owned by the caller until PutMany returns
};

struct ObjectInfo {
  std::string key;
  int64_t size = 0;
  std::string etag;  // content fingerprint (S3 ETag; local: size+mtime based)
};

// A request a client without credentials may send once to put an object
// (a browser's upload in the AWS shape).
struct PresignedUpload {
  std::string method = "PUT";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // to send exactly as given
};

// A local copy of an object, removed on destruction when it is temporary.
// Extractors (MuPDF) need a file path; the local store hands out the real path.
class LocalFile {
 public:
  LocalFile(std::string path, bool temporary) : path_(std::move(path)), temporary_(temporary) {}
  ~LocalFile();
  LocalFile(LocalFile&& other) noexcept;
  LocalFile& operator=(LocalFile&&) = delete;
  LocalFile(const LocalFile&) = delete;
  LocalFile& operator=(const LocalFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool temporary_;
};

// Flat key/value blob store with the S3 key layout (input/, extracted/<doc_id>/,
// chunks/<doc_id>.json, ...). Keys are '/'-separated relative paths without
// "." or ".." segments. Thread-safe.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  //! Stores `data` under `key`, replacing any previous object atomically
  //! (readers see the old or the new object, never a partial one).
  //! InvalidInput for a malformed key; Unavailable/Internal on I/O failure.
  virtual Status Put(const std::string& key, std::string_view data) = 0;
  //! Stores several objects, each whole or not at all as with Put; the
  //! first error in order is returned (objects before it may be stored).
  //! Many small objects (a document's pages) go through here: a store may
  //! make the batch durable at once (the local directory syncs once, not
  //! twice per object). The default puts up to 8 at once.
  virtual Status PutMany(const std::vector<ObjectToPut>& objects) {
    return ParallelFor(objects.size(), kPutsInFlight, [&](size_t i) { return Put(objects[i].key, objects[i].data); });
  }
  //! Like Put, streaming the content of the local file at `path`.
  virtual Status PutFile(const std::string& key, const std::string& path) = 0;
  //! The whole object. NotFound when absent.
  virtual Result<std::string> Get(const std::string& key) = 0;
  //! `length` bytes from `offset` (fewer at the end). NotFound when absent.
  virtual Result<std::string> GetRange(const std::string& key, int64_t offset, int64_t length) = 0;
  //! Size and etag. NotFound when absent.
  virtual Result<ObjectInfo> Head(const std::string& key) = 0;
  //! Every object whose key starts with `prefix`, sorted by key.
  virtual Result<std::vector<ObjectInfo>> List(const std::string& prefix) = 0;
  //! Removes the object; OK when it did not exist.
  virtual Status Delete(const std::string& key) = 0;
  //! A local file with the object's content. NotFound when absent.
  virtual Result<LocalFile> Fetch(const std::string& key) = 0;
  //! A presigned PUT of `key` with `content_type` ("" = none), valid
  //! `expires_seconds`. Unavailable for stores a client cannot reach
  //! directly (the local directory: uploads go through the server there).
  virtual Result<PresignedUpload> PresignPut(const std::string& key, const std::string& content_type,
                                             int64_t expires_seconds) {
    (void)content_type;
    (void)expires_seconds;
    return Status::Unavailable("this object store takes no presigned uploads (" + key + ")");
  }

 private:
  static constexpr int kPutsInFlight = 8;
};

using ObjectStorePtr = std::unique_ptr<ObjectStore>;

//! Temporary files of writes in progress start with this: no segment of a
//! key may, and listings never show such files.
inline constexpr std::string_view kReservedObjectKeyPrefix = ".docpipe-tmp-";

//! Checks a key: non-empty, relative, no empty/"."/".." segments, no NUL, no
//! segment starting with kReservedObjectKeyPrefix. InvalidInput naming the key.
Status ValidateObjectKey(const std::string& key);
//! Checks a List prefix the same way; it may be empty or end in a partial
//! segment ("input/", "extracted/doc-").
Status ValidateObjectPrefix(const std::string& prefix);

}  // namespace docpipe
