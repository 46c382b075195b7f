#pragma once

#include <string>

#include "common/clock.h"
#include "queue/work_queue.h"

namespace docpipe {

struct SqliteWorkQueueOptions {
  std::string name = "work";   // several queues can share one database
  int max_receive_count = 5;   // then the message moves to the dead-letter table
};

// Embedded adapter: the work queue as a table of the workspace's SQLite
// database, safe across threads and processes. Visibility uses `clock`.
// Long polls sleep with clock.SleepMs, so a fake clock drives them too.
Result<WorkQueuePtr> NewSqliteWorkQueue(const std::string& db_path, Clock& clock,
                                        SqliteWorkQueueOptions options);
// Same, for a clock that cannot be slept on (Clock::SleepMs is non-const):
// long polls then sleep in real time, bounded by wait_ms of sleeping.
Result<WorkQueuePtr> NewSqliteWorkQueue(const std::string& db_path, const Clock& clock,
                                        SqliteWorkQueueOptions options);

}  // namespace docpipe
