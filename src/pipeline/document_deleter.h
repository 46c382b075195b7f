#pragma once

#include <functional>
#include <string>

#include "index/vector_index.h"
#include "pipeline/event_recorder.h"
#include "pipeline/services.h"

namespace docpipe {

struct DeleteReport {
  int versions = 0;         // control records removed
  int objects = 0;          // store objects removed
};

// The vector index, opened when first asked for (it may cost an API key and
// a remote call).
using IndexOpener = std::function<Result<VectorIndex*>()>;

// Removes a document everywhere: its chunks from the index, its objects
// (input, extracted/, chunks/, enriched/, embeddings/, errors/) and its
// control records. The audit trail is kept, with a DOCUMENT_DELETED event.
// The index is opened only when a version of the document ever started its
// load stage: before that it cannot hold the document's chunks, so deleting
// a document that failed earlier (or never ran) touches no index.
// NotFound for an unknown id; Conflict while a worker holds a live claim.
Result<DeleteReport> DeleteDocument(Services& services, const IndexOpener& index, EventRecorder& events,
                                    const std::string& document_id);

}  // namespace docpipe
