#include "queue/sqlite_work_queue.h"

#include <algorithm>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "common/sqlite_db.h"

namespace docpipe {
namespace {

constexpr int kQueueSchemaVersion = 1;
// Messages of every named queue live in one table; `seq` (the rowid) gives
// send order. receipt_handle is NULL until the first delivery.
constexpr const char* kQueueSchema = R"sql(
CREATE TABLE IF NOT EXISTS queue_messages (
  seq            INTEGER PRIMARY KEY,
  queue          TEXT    NOT NULL,
  message_id     TEXT    NOT NULL,
  body           TEXT    NOT NULL,
  visible_at     INTEGER NOT NULL,  -- epoch ms
  receive_count  INTEGER NOT NULL DEFAULT 0,
  receipt_handle TEXT,
  sent_at        INTEGER NOT NULL,
  UNIQUE (queue, message_id)
);
CREATE INDEX IF NOT EXISTS queue_messages_visible ON queue_messages (queue, visible_at, seq);
CREATE UNIQUE INDEX IF NOT EXISTS queue_messages_receipt ON queue_messages (receipt_handle);
CREATE TABLE IF NOT EXISTS queue_dead (
  queue         TEXT    NOT NULL,
  message_id    TEXT    NOT NULL,
  body          TEXT    NOT NULL,
  receive_count INTEGER NOT NULL,
  sent_at       INTEGER NOT NULL,
  dead_at       INTEGER NOT NULL,
  PRIMARY KEY (queue, message_id)
);
)sql";

// How often an empty long poll looks again; short enough that a worker picks
// up new work promptly, long enough not to hammer the write lock.
constexpr int64_t kPollIntervalMs = 50;

class SqliteWorkQueue final : public WorkQueue {
 public:
  // `sleeper` is the same clock when it may be slept on, else null.
  SqliteWorkQueue(std::unique_ptr<SqliteDb> db, const Clock& clock, Clock* sleeper,
                  SqliteWorkQueueOptions options)
      : db_(std::move(db)),
        clock_(clock),
        sleeper_(sleeper),
        options_(std::move(options)),
        rng_(std::random_device{}()) {}

  Status Send(const std::string& body, int64_t delay_ms) override {
    if (delay_ms < 0) return Status::InvalidInput(fmt::format("queue {}: negative delay {}", options_.name, delay_ms));
    TimeMs now = clock_.NowMs();
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(
        "INSERT INTO queue_messages (queue, message_id, body, visible_at, receive_count, sent_at)"
        " VALUES (?, ?, ?, ?, 0, ?)");
    if (!stmt.ok()) return stmt.status();
    return stmt->Bind(1, options_.name).Bind(2, RandomHex()).Bind(3, body).Bind(4, now + delay_ms).Bind(5, now).Run();
  }

  Result<std::vector<QueueMessage>> Receive(int max, int64_t visibility_ms, int64_t wait_ms) override {
    if (max <= 0 || visibility_ms < 0 || wait_ms < 0) {
      return Status::InvalidInput(fmt::format("queue {}: bad receive arguments max={} visibility_ms={} wait_ms={}",
                                              options_.name, max, visibility_ms, wait_ms));
    }
    const TimeMs deadline = clock_.NowMs() + wait_ms;
    int64_t sleep_budget = wait_ms;  // ends the poll even if the clock stands still
    while (true) {
      auto got = ReceiveOnce(max, visibility_ms);
      if (!got.ok() || !got->empty()) return got;
      int64_t step = std::min({kPollIntervalMs, deadline - clock_.NowMs(), sleep_budget});
      if (step <= 0) return got;
      sleep_budget -= step;
      // Not holding the mutex here, so Send on this instance can proceed.
      if (sleeper_ != nullptr) {
        sleeper_->SleepMs(step);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(step));
      }
    }
  }

  Status ChangeVisibility(const std::string& receipt_handle, int64_t visibility_ms) override {
    if (visibility_ms < 0) {
      return Status::InvalidInput(fmt::format("queue {}: negative visibility {}", options_.name, visibility_ms));
    }
    TimeMs now = clock_.NowMs();
    std::lock_guard lock(mu_);
    // Only while still invisible: once the timeout passed the message may be
    // delivered to someone else, so the old holder has lost it.
    auto stmt = db_->Prepare(
        "UPDATE queue_messages SET visible_at = ?"
        " WHERE queue = ? AND receipt_handle = ? AND visible_at > ?");
    if (!stmt.ok()) return stmt.status();
    DOCPIPE_RETURN_IF_ERROR(
        stmt->Bind(1, now + visibility_ms).Bind(2, options_.name).Bind(3, receipt_handle).Bind(4, now).Run());
    if (db_->Changes() == 0) {
      return Status::NotFound(fmt::format("queue {}: stale receipt handle {}", options_.name, receipt_handle));
    }
    return Status::Ok();
  }

  Status Delete(const std::string& receipt_handle) override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare("DELETE FROM queue_messages WHERE queue = ? AND receipt_handle = ?");
    if (!stmt.ok()) return stmt.status();
    return stmt->Bind(1, options_.name).Bind(2, receipt_handle).Run();
  }

  Result<std::vector<QueueMessage>> PeekDeadLetters(int max) override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(
        "SELECT message_id, body, receive_count FROM queue_dead WHERE queue = ? ORDER BY dead_at, message_id LIMIT ?");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, options_.name).Bind(2, static_cast<int64_t>(max));
    std::vector<QueueMessage> out;
    while (true) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      // The message id is the handle: a dead letter is never delivered again.
      out.push_back({stmt->ColumnText(0), stmt->ColumnText(0), stmt->ColumnText(1),
                     static_cast<int>(stmt->ColumnInt(2))});
    }
  }

  Status DeleteDeadLetter(const std::string& receipt_handle) override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare("DELETE FROM queue_dead WHERE queue = ? AND message_id = ?");
    if (!stmt.ok()) return stmt.status();
    return stmt->Bind(1, options_.name).Bind(2, receipt_handle).Run();
  }

  Result<std::optional<bool>> HasMessage(const std::string& body) override {
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare("SELECT EXISTS (SELECT 1 FROM queue_messages WHERE queue = ? AND body = ?)");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, options_.name).Bind(2, body);
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    return std::optional<bool>(*row && stmt->ColumnInt(0) != 0);
  }

  Result<QueueStats> Stats() override {
    TimeMs now = clock_.NowMs();
    std::lock_guard lock(mu_);
    auto stmt = db_->Prepare(
        "SELECT"
        " (SELECT count(*) FROM queue_messages WHERE queue = ?1 AND visible_at <= ?2),"
        " (SELECT count(*) FROM queue_messages WHERE queue = ?1 AND visible_at > ?2 AND receive_count > 0),"
        " (SELECT count(*) FROM queue_messages WHERE queue = ?1 AND visible_at > ?2 AND receive_count = 0),"
        " (SELECT count(*) FROM queue_dead WHERE queue = ?1)");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, options_.name).Bind(2, now);
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    QueueStats stats;
    stats.visible = stmt->ColumnInt(0);
    stats.in_flight = stmt->ColumnInt(1);
    stats.delayed = stmt->ColumnInt(2);
    stats.dead = stmt->ColumnInt(3);
    return stats;
  }

 private:
  struct Candidate {
    int64_t seq;
    std::string message_id;
    std::string body;
    int receive_count;
  };

  // One pass under one write transaction, so two processes never hand out
  // the same message.
  Result<std::vector<QueueMessage>> ReceiveOnce(int max, int64_t visibility_ms) {
    TimeMs now = clock_.NowMs();
    std::lock_guard lock(mu_);
    auto txn = db_->Begin();
    if (!txn.ok()) return txn.status();
    std::vector<QueueMessage> out;
    // With visibility 0 a delivered message stays visible; never hand it out
    // twice in one batch.
    std::set<int64_t> delivered;
    while (static_cast<int>(out.size()) < max) {
      auto candidates = Visible(now, max - static_cast<int>(out.size()) + static_cast<int>(delivered.size()));
      if (!candidates.ok()) return candidates.status();
      std::erase_if(*candidates, [&](const Candidate& c) { return delivered.count(c.seq) > 0; });
      if (candidates->empty()) break;
      for (Candidate& c : *candidates) {
        if (static_cast<int>(out.size()) >= max) break;
        if (c.receive_count + 1 > options_.max_receive_count) {
          DOCPIPE_RETURN_IF_ERROR(MoveToDead(c, now));
          continue;
        }
        QueueMessage m{c.message_id, RandomHex(), std::move(c.body), c.receive_count + 1};
        auto upd = db_->Prepare(
            "UPDATE queue_messages SET receive_count = ?, receipt_handle = ?, visible_at = ? WHERE seq = ?");
        if (!upd.ok()) return upd.status();
        DOCPIPE_RETURN_IF_ERROR(
            upd->Bind(1, m.receive_count).Bind(2, m.receipt_handle).Bind(3, now + visibility_ms).Bind(4, c.seq).Run());
        delivered.insert(c.seq);
        out.push_back(std::move(m));
      }
    }
    DOCPIPE_RETURN_IF_ERROR(txn->Commit());
    return out;
  }

  Result<std::vector<Candidate>> Visible(TimeMs now, int limit) {
    auto stmt = db_->Prepare(
        "SELECT seq, message_id, body, receive_count FROM queue_messages"
        " WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?");
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, options_.name).Bind(2, now).Bind(3, limit);
    std::vector<Candidate> out;
    while (true) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back({stmt->ColumnInt(0), stmt->ColumnText(1), stmt->ColumnText(2),
                     static_cast<int>(stmt->ColumnInt(3))});
    }
  }

  Status MoveToDead(const Candidate& c, TimeMs now) {
    auto ins = db_->Prepare(
        "INSERT OR REPLACE INTO queue_dead (queue, message_id, body, receive_count, sent_at, dead_at)"
        " SELECT queue, message_id, body, receive_count, sent_at, ? FROM queue_messages WHERE seq = ?");
    if (!ins.ok()) return ins.status();
    DOCPIPE_RETURN_IF_ERROR(ins->Bind(1, now).Bind(2, c.seq).Run());
    auto del = db_->Prepare("DELETE FROM queue_messages WHERE seq = ?");
    if (!del.ok()) return del.status();
    return del->Bind(1, c.seq).Run();
  }

  // 128 random bits: message ids and receipt handles must not collide across
  // processes, each of which seeds its own generator.
  std::string RandomHex() { return fmt::format("{:016x}{:016x}", rng_(), rng_()); }

  std::mutex mu_;  // guards db_ and rng_
  std::unique_ptr<SqliteDb> db_;
  const Clock& clock_;
  Clock* const sleeper_;
  const SqliteWorkQueueOptions options_;
  std::mt19937_64 rng_;
};

}  // namespace

namespace {

Result<WorkQueuePtr> OpenQueue(const std::string& db_path, const Clock& clock, Clock* sleeper,
                               SqliteWorkQueueOptions options) {
  if (options.name.empty() || options.max_receive_count < 1) {
    return Status::InvalidInput("work queue needs a name and max_receive_count >= 1");
  }
  auto db = SqliteDb::Open(db_path);
  if (!db.ok()) return db.status();
  DOCPIPE_RETURN_IF_ERROR((*db)->EnsureSchema("queue", kQueueSchemaVersion, kQueueSchema));
  return WorkQueuePtr(std::make_unique<SqliteWorkQueue>(std::move(*db), clock, sleeper, std::move(options)));
}

}  // namespace

Result<WorkQueuePtr> NewSqliteWorkQueue(const std::string& db_path, Clock& clock,
                                        SqliteWorkQueueOptions options) {
  return OpenQueue(db_path, clock, &clock, std::move(options));
}

Result<WorkQueuePtr> NewSqliteWorkQueue(const std::string& db_path, const Clock& clock,
                                        SqliteWorkQueueOptions options) {
  return OpenQueue(db_path, clock, nullptr, std::move(options));
}

}  // namespace docpipe
