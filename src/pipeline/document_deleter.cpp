#include "pipeline/document_deleter.h"

#include <set>

#include <fmt/format.h>

#include "pipeline/object_keys.h"
#include "pipeline/stage.h"

namespace docpipe {

namespace {

// Whether the index may hold chunks of one of `versions`: only the load
// stage writes there, so a version whose load never started left none.
bool MayBeIndexed(const std::vector<ControlRecord>& versions) {
  for (const ControlRecord& r : versions) {
    auto load = r.stage_status.find(kLoadStage);
    if (load != r.stage_status.end() && (load->second.attempts > 0 || load->second.status != StageState::kPending)) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<DeleteReport> DeleteDocument(Services& services, const IndexOpener& index, EventRecorder& events,
                                    const std::string& document_id) {
  Result<std::vector<ControlRecord>> versions = services.control.ListVersions(document_id);
  if (!versions.ok()) return versions.status();
  if (versions->empty()) return Status::NotFound("no document with id '" + document_id + "'");
  const TimeMs now = services.clock.NowMs();
  for (const ControlRecord& r : *versions) {
    if (r.status == DocStatus::kInProgress && r.lease_expires_at > now) {
      return Status::Conflict(fmt::format("{} version {} is being processed by {}; try again when it is done",
                                          document_id, r.processing_version, r.lease_owner));
    }
  }
  if (MayBeIndexed(*versions)) {
    Result<VectorIndex*> opened = index();
    if (!opened.ok()) return opened.status();
    DOCPIPE_RETURN_IF_ERROR((*opened)->DeleteDocument(document_id));
  }

  DeleteReport report;
  std::vector<std::string> outputs = OutputKeys(document_id);
  std::set<std::string> keys(outputs.begin(), outputs.end());
  for (const ControlRecord& r : *versions) {
    if (!r.source_key.empty()) keys.insert(r.source_key);
  }
  Result<std::vector<ObjectInfo>> extracted = services.store.List(ExtractedPrefix(document_id));
  if (!extracted.ok()) return extracted.status();
  for (const ObjectInfo& o : *extracted) keys.insert(o.key);
  for (const std::string& key : keys) {
    if (services.store.Head(key).ok()) {
      DOCPIPE_RETURN_IF_ERROR(services.store.Delete(key));
      ++report.objects;
    }
  }
  for (const ControlRecord& r : *versions) {
    DOCPIPE_RETURN_IF_ERROR(services.control.Delete(r.document_id, r.processing_version));
    ++report.versions;
  }
  events.Audit(versions->back(), audit_event::kDeleted, "", 0, "",
               {{"versions", report.versions}, {"objects", report.objects}});
  return report;
}

}  // namespace docpipe
