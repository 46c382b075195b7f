#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace docpipe {

struct QueueMessage {
  std::string message_id;
  std::string receipt_handle;  // valid until the message becomes visible again
  std::string body;
  int receive_count = 0;  // including this delivery
};

struct QueueStats {
  int64_t visible = 0;    // ready to be received
  int64_t in_flight = 0;  // received, not yet deleted, invisible
  int64_t delayed = 0;    // sent with a delay not yet elapsed
  int64_t dead = 0;       // moved to the dead-letter queue
};

// At-least-once work queue with SQS semantics: a received message is hidden
// for a visibility timeout and reappears unless deleted; a message received
// more than max_receive_count times moves to the dead-letter queue instead of
// being delivered. Thread-safe; the embedded adapter is also process-safe.
class WorkQueue {
 public:
  virtual ~WorkQueue() = default;
  //! Enqueues `body`, visible after `delay_ms`.
  virtual Status Send(const std::string& body, int64_t delay_ms) = 0;
  //! Up to `max` visible messages, hidden for `visibility_ms`. Waits up to
  //! `wait_ms` for one to arrive (long poll); an empty vector when none.
  virtual Result<std::vector<QueueMessage>> Receive(int max, int64_t visibility_ms, int64_t wait_ms) = 0;
  //! Hides the message for `visibility_ms` from now (heartbeat, or 0 to
  //! release it at once). NotFound when the handle is stale (it was
  //! redelivered or deleted).
  virtual Status ChangeVisibility(const std::string& receipt_handle, int64_t visibility_ms) = 0;
  //! Removes the message. OK when already gone.
  virtual Status Delete(const std::string& receipt_handle) = 0;
  virtual Result<QueueStats> Stats() = 0;
  //! Whether a message with exactly `body` is waiting, delayed or in flight
  //! on the work queue: true/false, or nullopt when the queue cannot tell
  //! (SQS cannot search its messages).
  virtual Result<std::optional<bool>> HasMessage(const std::string& body) = 0;
  //! Up to `max` messages of the dead-letter queue, left where they are
  //! (operators inspect and redrive them). May return a message again on a
  //! later call. Each receipt_handle is good for DeleteDeadLetter until the
  //! next look.
  virtual Result<std::vector<QueueMessage>> PeekDeadLetters(int max) = 0;
  //! Removes a dead letter PeekDeadLetters returned, by its receipt_handle
  //! (its document was requeued or has finished). OK when already gone.
  virtual Status DeleteDeadLetter(const std::string& receipt_handle) = 0;
};

using WorkQueuePtr = std::unique_ptr<WorkQueue>;

}  // namespace docpipe
