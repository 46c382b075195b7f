#pragma once

#include <string>

#include "index/vector_index.h"
#include "pipeline/event_recorder.h"
#include "pipeline/services.h"

namespace docpipe {

struct DeleteReport {
  int versions = 0;         // control records removed
  int objects = 0;          // store objects removed
};

// Removes a document everywhere: its chunks from the index, its objects
// (input, extracted/, chunks/, enriched/, embeddings/, errors/) and its
// control records. The audit trail is kept, with a DOCUMENT_DELETED event.
// NotFound for an unknown id; Conflict while a worker holds a live claim.
Result<DeleteReport> DeleteDocument(Services& services, VectorIndex& index, EventRecorder& events,
                                    const std::string& document_id);

}  // namespace docpipe
