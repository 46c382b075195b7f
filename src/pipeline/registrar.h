#pragma once

#include <string>

#include "pipeline/event_recorder.h"
#include "pipeline/services.h"

namespace docpipe {

struct Registration {
  enum class Outcome {
    kNew,         // first version of a document
    kNewVersion,  // content changed: a new processing_version
    kDuplicate,   // same content as the latest version: skipped
    kFailed,      // the source could not be read; recorded as FAILED
  };
  Outcome outcome = Outcome::kNew;
  std::string document_id;
  std::string processing_version;
  std::string source_key;
  std::string message;  // why, for kDuplicate and kFailed
};

const char* OutcomeName(Registration::Outcome o);

// The queue message naming one document version.
std::string WorkMessageBody(const std::string& document_id, const std::string& version);
// Its inverse; false when `body` is not such a message.
bool ParseWorkMessage(const std::string& body, std::string* document_id, std::string* version);

// Registers documents: decides identity and version, writes the control
// record and DOCUMENT_RECEIVED, and enqueues the work. Thread-safe.
class Registrar {
 public:
  Registrar(Services& services, EventRecorder& events, int max_retries);

  //! Copies the local file at `path` into the store as `source_key` and
  //! registers it. An unreadable file is recorded as a FAILED document
  //! (outcome kFailed) so it shows up in status and errors/; the returned
  //! Status is an error only when the tables or store themselves fail.
  Result<Registration> RegisterLocalFile(const std::string& path, const std::string& source_key);

  //! Registers an object that is already in the store, as an S3 event names
  //! it (no download): the ETag is the content fingerprint. The same key and
  //! ETag as the latest version is kDuplicate (queued again only while that
  //! version is unfinished, as for files: it revives a lost message); another
  //! ETag makes a new version. Quotes around `etag` are dropped. InvalidInput
  //! for a bad key, an empty ETag or a negative size; other errors come from
  //! the tables or queue. Concurrent calls for one key (two Lambdas) resolve
  //! through the conditional create: one registers, the others see a duplicate.
  //! `details` are added to the DOCUMENT_RECEIVED audit event (an
  //! attachment's parent_document_id and parent_source_key).
  Result<Registration> RegisterObject(const std::string& source_key, int64_t size, const std::string& etag,
                                      const nlohmann::json& details = nlohmann::json::object());

 private:
  // What identifies the content of one input: the SHA-256 of a file read
  // here, or the store's ETag of an object named by an event.
  struct Fingerprint {
    int64_t size = 0;
    std::string sha256;
    std::string etag;
  };
  Result<Registration> RegisterStored(const std::string& source_key, const Fingerprint& fp,
                                      const nlohmann::json& details = nlohmann::json::object());
  Result<Registration> RecordUnreadable(const std::string& path, const std::string& source_key,
                                        const std::string& problem);
  Status Enqueue(const std::string& document_id, const std::string& version);

  Services& services_;
  EventRecorder& events_;
  int max_retries_;
};

}  // namespace docpipe
