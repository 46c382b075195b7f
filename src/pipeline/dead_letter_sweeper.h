#pragma once

#include "pipeline/event_recorder.h"
#include "pipeline/services.h"

namespace docpipe {

// Poison documents: a message that was delivered max_receive_count times
// without finishing (each delivery crashed or hung its worker) is moved to
// the dead-letter queue by the queue itself. Nobody would ever finish its
// document, so the sweep marks the version FAILED (DOCUMENT_FAILED audit,
// errors/ record, documents_failed) once its lease has run out. The message
// stays in the dead-letter queue for operators (the DLQ alarm);
// `docpipe retry` requeues the document. Versions that are finished, or
// still held under a live lease, are left alone, so sweeping is idempotent
// and safe from any number of workers. Returns how many versions it failed.
int SweepDeadLetters(Services& services, EventRecorder& events);

}  // namespace docpipe
