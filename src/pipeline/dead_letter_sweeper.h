#pragma once

#include "pipeline/event_recorder.h"
#include "pipeline/services.h"

namespace docpipe {

// The queue moves a message to the dead-letter queue once it was delivered
// max_receive_count times without being deleted. A delivery counts whether
// or not it reached a worker: SQS counts a receive whose answer was lost on
// the way (a reset after the peer acted, a cut body) and one whose worker was
// killed before it claimed the version. So the sweep weighs each dead letter
// of an unfinished version (PENDING, or IN_PROGRESS with its lease run out)
// by the claims the control record counts for that message:
// - claims >= max_receive_count: every delivery was claimed and its worker
//   died or hung: a poison document. The version is FAILED (DOCUMENT_FAILED
//   audit, errors/ record, documents_failed); the dead letter stays for
//   operators (the DLQ alarm); `docpipe retry` requeues the document.
// - fewer claims: deliveries were lost, not spent on the document. The
//   version gets a fresh message (REQUEUED audit) and the dead letter goes,
//   at most max_retries times per version (then FAILED as above), so a
//   message that never reaches a claim cannot cycle for ever. Crashes after
//   a claim stay bounded by the takeovers' retry_count.
// Dead letters of COMPLETED or SUPERSEDED versions are deleted (nothing is
// left to do); FAILED versions and live leases are left alone, so sweeping
// is idempotent and safe from any number of workers (the control record's
// conditional write picks one). Returns how many versions it failed.
int SweepDeadLetters(Services& services, EventRecorder& events, int max_receive_count);

}  // namespace docpipe
