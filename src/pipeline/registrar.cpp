#include "pipeline/registrar.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/stat.h>
#include <vector>

#include <fmt/format.h>

#include "common/hash.h"
#include "pipeline/document_id.h"

namespace docpipe {
namespace {

// Streams a file through SHA-256; the error names the file and the reason.
Result<std::string> HashFile(const std::string& path, int64_t* size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidInput(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  Sha256 h;
  std::vector<char> buf(1 << 20);
  int64_t total = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    std::streamsize n = in.gcount();
    if (n > 0) {
      h.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
      total += n;
    }
  }
  if (in.bad()) return Status::InvalidInput(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  *size = total;
  return h.FinalHex();
}

// Whether `latest` holds the content `fp` describes. A file fingerprint is
// compared by hash, an event fingerprint by ETag; the two never match each
// other, so a file registration after an event one (or the reverse) makes a
// new version rather than trusting a comparison it cannot make.
bool SameContent(const ControlRecord& latest, int64_t size, const std::string& sha256, const std::string& etag) {
  if (!sha256.empty()) return latest.content_sha256 == sha256;
  return !etag.empty() && latest.source_etag == etag && latest.source_size == size;
}

// The fingerprint fields an audit event carries: only those that are known.
void AddFingerprint(nlohmann::json& details, const std::string& sha256, const std::string& etag) {
  if (!sha256.empty()) details["content_sha256"] = sha256;
  if (!etag.empty()) details["source_etag"] = etag;
}

}  // namespace

const char* OutcomeName(Registration::Outcome o) {
  switch (o) {
    case Registration::Outcome::kNew: return "new";
    case Registration::Outcome::kNewVersion: return "new_version";
    case Registration::Outcome::kDuplicate: return "duplicate";
    case Registration::Outcome::kFailed: return "failed";
  }
  return "unknown";
}

std::string WorkMessageBody(const std::string& document_id, const std::string& version) {
  return nlohmann::json{{"document_id", document_id}, {"processing_version", version}}.dump();
}

bool ParseWorkMessage(const std::string& body, std::string* id, std::string* version) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("document_id") || !j.contains("processing_version") ||
      !j["document_id"].is_string() || !j["processing_version"].is_string()) {
    return false;
  }
  *id = j["document_id"].get<std::string>();
  *version = j["processing_version"].get<std::string>();
  return true;
}

Registrar::Registrar(Services& services, EventRecorder& events, int max_retries)
    : services_(services), events_(events), max_retries_(max_retries) {}

Status Registrar::Enqueue(const std::string& document_id, const std::string& version) {
  return services_.queue.Send(WorkMessageBody(document_id, version), 0);
}

Result<Registration> Registrar::RegisterLocalFile(const std::string& path, const std::string& source_key) {
  // A name the store cannot take (the reserved temporary-file prefix) fails
  // this file alone, recorded like any unreadable one.
  if (Status key = ValidateObjectKey(source_key); !key.ok()) {
    return RecordUnreadable(path, source_key,
                            fmt::format("{}: cannot be stored ({}); rename the file", path, key.message()));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return RecordUnreadable(path, source_key, std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return RecordUnreadable(path, source_key, "not a regular file");
  int64_t size = 0;
  Result<std::string> sha = HashFile(path, &size);
  if (!sha.ok()) return RecordUnreadable(path, source_key, sha.status().message());

  // Skip the copy when the content is already the latest version.
  Result<ControlRecord> latest = services_.control.GetLatest(DocumentIdForKey(source_key));
  if (latest.ok() && latest->content_sha256 == *sha) return RegisterStored(source_key, {size, *sha, ""});
  if (!latest.ok() && !latest.status().IsNotFound()) return latest.status();

  Status put = services_.store.PutFile(source_key, path);
  if (!put.ok()) {
    if (put.code() == Status::Code::kInvalidInput) return RecordUnreadable(path, source_key, put.message());
    // A full disk or an I/O error while copying fails this file, recorded
    // (if the tables can still be written) so that it shows in `status` and
    // the rest of the batch goes on.
    return RecordUnreadable(path, source_key,
                            fmt::format("{}: could not be copied into the store: {}; ingest it again once that is "
                                        "fixed",
                                        path, put.message()));
  }
  // Hash what was stored: the source may have changed while we copied it.
  Result<LocalFile> stored = services_.store.Fetch(source_key);
  if (!stored.ok()) return stored.status();
  Result<std::string> stored_sha = HashFile(stored->path(), &size);
  if (!stored_sha.ok()) return stored_sha.status();
  return RegisterStored(source_key, {size, *stored_sha, ""});
}

Result<Registration> Registrar::RegisterObject(const std::string& source_key, int64_t size,
                                               const std::string& etag, const nlohmann::json& details) {
  DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(source_key));
  // S3 returns ETags quoted in headers and unquoted in events: store one form.
  std::string bare = etag;
  if (bare.size() >= 2 && bare.front() == '"' && bare.back() == '"') bare = bare.substr(1, bare.size() - 2);
  if (bare.empty()) return Status::InvalidInput(source_key + ": no ETag to identify the content");
  if (size < 0) return Status::InvalidInput(fmt::format("{}: negative size {}", source_key, size));
  return RegisterStored(source_key, {size, "", bare}, details);
}

Result<Registration> Registrar::RegisterStored(const std::string& source_key, const Fingerprint& fp,
                                               const nlohmann::json& extra) {
  Registration reg;
  reg.document_id = DocumentIdForKey(source_key);
  reg.source_key = source_key;
  // Racing registrations of the same key resolve through the conditional create.
  for (int attempt = 0; attempt < 20; ++attempt) {
    Result<ControlRecord> latest = services_.control.GetLatest(reg.document_id);
    int64_t next_version = 1;
    if (latest.ok()) {
      if (SameContent(*latest, fp.size, fp.sha256, fp.etag) && latest->status != DocStatus::kSuperseded) {
        reg.outcome = Registration::Outcome::kDuplicate;
        reg.processing_version = latest->processing_version;
        reg.message = fmt::format("unchanged since version {} ({})", latest->processing_version,
                                  DocStatusName(latest->status));
        nlohmann::json details = {{"source_key", source_key}};
        AddFingerprint(details, fp.sha256, fp.etag);
        events_.Audit(*latest, audit_event::kDuplicateSkipped, "", 0, "", std::move(details));
        events_.Count("duplicates_skipped", 1);
        // Unfinished work gets a fresh message: if the first one was lost in a
        // crash, this revives it; if not, the duplicate is dropped at claim time.
        if (latest->status == DocStatus::kPending || latest->status == DocStatus::kInProgress) {
          DOCPIPE_RETURN_IF_ERROR(Enqueue(reg.document_id, reg.processing_version));
        }
        return reg;
      }
      next_version = std::stoll(latest->processing_version) + 1;
    } else if (!latest.status().IsNotFound()) {
      return latest.status();
    }
    ControlRecord rec;
    rec.document_id = reg.document_id;
    rec.processing_version = FormatVersion(next_version);
    rec.source_key = source_key;
    rec.source_size = fp.size;
    rec.content_sha256 = fp.sha256;
    rec.source_etag = fp.etag;
    rec.status = DocStatus::kPending;
    rec.max_retries = max_retries_;
    rec.created_at = rec.updated_at = services_.clock.NowMs();
    rec.ttl = events_.TtlFromNow();
    Status created = services_.control.Create(rec);
    if (created.IsConflict()) continue;
    DOCPIPE_RETURN_IF_ERROR(created);
    reg.outcome = next_version == 1 ? Registration::Outcome::kNew : Registration::Outcome::kNewVersion;
    reg.processing_version = rec.processing_version;
    nlohmann::json details = {{"source_key", source_key}, {"source_size", fp.size}};
    AddFingerprint(details, fp.sha256, fp.etag);
    if (extra.is_object()) details.update(extra);
    events_.Audit(rec, audit_event::kDocumentReceived, "", 0, "", std::move(details));
    events_.Count("documents_received", 1);
    DOCPIPE_RETURN_IF_ERROR(Enqueue(rec.document_id, rec.processing_version));
    return reg;
  }
  return Status::Unavailable("could not register " + source_key + ": too many concurrent registrations");
}

Result<Registration> Registrar::RecordUnreadable(const std::string& path, const std::string& source_key,
                                                 const std::string& problem) {
  Registration reg;
  reg.outcome = Registration::Outcome::kFailed;
  reg.document_id = DocumentIdForKey(source_key);
  reg.source_key = source_key;
  reg.message = problem.find(path) == std::string::npos ? fmt::format("cannot read {}: {}", path, problem)
                                                        : problem;
  for (int attempt = 0; attempt < 20; ++attempt) {
    Result<ControlRecord> latest = services_.control.GetLatest(reg.document_id);
    if (!latest.ok() && !latest.status().IsNotFound()) return latest.status();
    ControlRecord rec;
    rec.document_id = reg.document_id;
    rec.processing_version = FormatVersion(latest.ok() ? std::stoll(latest->processing_version) + 1 : 1);
    rec.source_key = source_key;
    rec.status = DocStatus::kFailed;
    rec.max_retries = max_retries_;
    rec.created_at = rec.updated_at = services_.clock.NowMs();
    rec.ttl = events_.TtlFromNow();
    rec.last_error = CapError(reg.message);
    rec.error_stage = "register";
    Status created = services_.control.Create(rec);
    if (created.IsConflict()) continue;
    DOCPIPE_RETURN_IF_ERROR(created);
    reg.processing_version = rec.processing_version;
    events_.Audit(rec, audit_event::kDocumentReceived, "", 0, "", {{"source_key", source_key}});
    events_.Count("documents_received", 1);
    events_.Audit(rec, audit_event::kDocumentFailed, "register", 0, reg.message);
    events_.Count("documents_failed", 1);
    events_.WriteErrorRecord(rec, "register", Status::InvalidInput(reg.message));
    return reg;
  }
  return Status::Unavailable("could not record " + source_key + ": too many concurrent registrations");
}

}  // namespace docpipe
