#include "cli/commands.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "app/document_queries.h"
#include "cli/file_walk.h"
#include "cli/health_command.h"
#include "extract/extractor_registry.h"
#include "pipeline/document_deleter.h"
#include "pipeline/metrics.h"
#include "pipeline/dead_letter_sweeper.h"
#include "pipeline/worker_pool.h"
#include "search/search.h"

namespace docpipe {
namespace {

using Tracked = TrackedDocument;

bool IsTerminal(DocStatus s) {
  return s == DocStatus::kCompleted || s == DocStatus::kFailed || s == DocStatus::kSuperseded;
}

std::string Clock2(int64_t ms) {
  int64_t s = ms / 1000;
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{:02}:{:02}", s / 60, s % 60);
}

// Redraws one status line on a terminal; silent elsewhere.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void Draw(size_t done, size_t total, int64_t pages, int64_t elapsed_ms) {
    if (!enabled_) return;
    const int width = 28;
    int filled = total == 0 ? width : static_cast<int>(width * done / total);
    std::string bar(filled, '#');
    bar.append(width - filled, '-');
    std::string eta = "--:--";
    if (done > 0 && done < total) eta = Clock2(elapsed_ms * static_cast<int64_t>(total - done) / done);
    if (done == total) eta = "00:00";
    std::fprintf(stderr, "\r[%s] %zu/%zu docs | %lld pages | %s elapsed | ETA %s  ", bar.c_str(), done, total,
                 static_cast<long long>(pages), Clock2(elapsed_ms).c_str(), eta.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
  void Finish() {
    if (enabled_ && drawn_) std::fputs("\n", stderr);
  }

 private:
  bool enabled_;
  bool drawn_ = false;
};

// Processes the queue in this process until every tracked version is
// finished (or a signal stops us). Returns the final records.
std::vector<ControlRecord> ProcessUntilDone(Runtime& rt, const std::vector<Tracked>& tracked,
                                            const ShutdownSignal& signal, bool show_progress, bool* interrupted) {
  Services& sv = rt.services();
  WorkerPoolOptions po;
  po.threads = rt.config().workers;
  po.visibility_ms = rt.config().lease_ms;
  po.wait_ms = 250;
  po.worker_id = rt.events().worker_id();
  WorkerPool pool(sv, rt.processor(), po);
  pool.Start();

  ProgressBar bar(show_progress && isatty(STDERR_FILENO));
  auto start = std::chrono::steady_clock::now();
  std::vector<ControlRecord> records(tracked.size());
  int seen_signals = 0;
  *interrupted = false;
  for (;;) {
    size_t done = 0;
    int64_t pages = 0;
    for (size_t i = 0; i < tracked.size(); ++i) {
      Result<ControlRecord> r = sv.control.Get(tracked[i].document_id, tracked[i].version);
      if (r.ok()) records[i] = std::move(*r);
      if (IsTerminal(records[i].status)) ++done;
      pages += records[i].page_count;
    }
    int64_t elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    bar.Draw(done, tracked.size(), pages, elapsed);
    if (done == tracked.size()) break;

    int signals = signal.count.load();
    if (signals > seen_signals) {
      seen_signals = signals;
      *interrupted = true;
      if (signals == 1) {
        pool.StopReceiving();
        std::fprintf(stderr, "\ndocpipe: stopping: finishing %d document(s) in progress "
                             "(interrupt again to release them now)\n", pool.Busy());
      } else {
        pool.Cancel();
        std::fprintf(stderr, "\ndocpipe: releasing documents in progress\n");
      }
    }
    if (*interrupted && pool.Busy() == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  pool.StopReceiving();
  pool.Join();
  bar.Finish();
  // Re-read: the last documents may have finished while we stopped.
  for (size_t i = 0; i < tracked.size(); ++i) {
    Result<ControlRecord> r = sv.control.Get(tracked[i].document_id, tracked[i].version);
    if (r.ok()) records[i] = std::move(*r);
  }
  return records;
}

int Summarize(const std::vector<Tracked>& tracked, const std::vector<ControlRecord>& records,
              const std::vector<std::string>& skipped_files, int64_t elapsed_ms, bool interrupted, bool json) {
  RunSummary summary = SummarizeRun(tracked, records, skipped_files, elapsed_ms, interrupted);
  const int completed = summary.completed, failed = summary.failed, unfinished = summary.unfinished;
  const int64_t pages = summary.json["pages"], chunks = summary.json["chunks"];
  if (json) {
    std::cout << summary.json.dump(2) << "\n";
  } else {
    for (size_t i = 0; i < tracked.size(); ++i) {
      const ControlRecord& r = records[i];
      std::string note = tracked[i].outcome == "duplicate" ? " (unchanged, skipped)" : "";
      std::cout << fmt::format("{:<11} {:<40} {:>5} pages {:>6} chunks  {}{}\n", DocStatusName(r.status),
                               tracked[i].document_id, r.page_count, r.chunk_count, tracked[i].source_key, note);
      if (r.status == DocStatus::kFailed) std::cout << "            error: " << r.last_error << "\n";
    }
    std::cout << fmt::format("{} documents: {} completed, {} failed{}; {} pages, {} chunks in {:.1f}s\n",
                             tracked.size(), completed, failed,
                             unfinished ? fmt::format(", {} unfinished", unfinished) : "", pages, chunks,
                             elapsed_ms / 1000.0);
    if (!skipped_files.empty()) {
      std::cout << fmt::format("{} file(s) skipped (unsupported type), e.g. {}\n", skipped_files.size(),
                               skipped_files.front());
    }
  }
  if (interrupted && unfinished > 0) return kExitInterrupted;
  return failed > 0 || unfinished > 0 ? kExitFailed : kExitOk;
}

}  // namespace

int RunIngest(Runtime& rt, const IngestOptions& options, const ShutdownSignal& signal) {
  auto start = std::chrono::steady_clock::now();
  Result<WalkResult> inputs = CollectInputs(options.paths, SupportedSuffixes());
  if (!inputs.ok()) {
    std::cerr << "docpipe ingest: " << inputs.status().message() << "\n";
    return kExitUsage;
  }
  std::vector<Tracked> tracked;
  std::set<std::pair<std::string, std::string>> seen;
  for (const InputFile& f : inputs->files) {
    Result<Registration> reg = rt.registrar().RegisterLocalFile(f.path, f.source_key);
    if (!reg.ok()) {
      std::cerr << "docpipe ingest: " << f.path << ": " << reg.status().ToString() << "\n";
      return kExitFailed;
    }
    if (!seen.insert({reg->document_id, reg->processing_version}).second) continue;
    tracked.push_back({reg->document_id, reg->processing_version, reg->source_key, OutcomeName(reg->outcome)});
  }
  if (tracked.empty()) {
    std::cerr << "docpipe ingest: no supported documents found (supported: " << fmt::format("{}", fmt::join(SupportedSuffixes(), " ")) << ")\n";
    return kExitUsage;
  }
  bool interrupted = false;
  std::vector<ControlRecord> records = ProcessUntilDone(rt, tracked, signal, !options.json, &interrupted);
  int64_t elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  return Summarize(tracked, records, inputs->skipped, elapsed, interrupted, options.json);
}

int RunWorker(Runtime& rt, const WorkerOptions& options, const ShutdownSignal& signal) {
  Services& sv = rt.services();
  WorkerPoolOptions po;
  po.threads = rt.config().workers;
  po.visibility_ms = rt.config().lease_ms;
  po.wait_ms = rt.config().EffectivePollWaitMs();
  po.worker_id = rt.events().worker_id();
  WorkerPool pool(sv, rt.processor(), po);
  pool.Start();
  sv.logger.Info("worker_started", {{"worker_id", rt.events().worker_id()}, {"threads", po.threads},
                                    {"backend", rt.config().backend}});
  using Clock = std::chrono::steady_clock;
  // Queue statistics cost a request on SQS: look once a second, not per loop.
  constexpr auto kStatsEvery = std::chrono::seconds(1);
  constexpr auto kSweepEvery = std::chrono::seconds(30);
  constexpr auto kTouchEvery = std::chrono::seconds(1);
  auto next_stats = Clock::now();
  auto next_sweep = Clock::now();
  auto next_touch = Clock::now();
  bool touch_failed = false;
  int seen_signals = 0;
  int64_t empty_polls_at_idle = -1;  // EmptyPolls() when the queue was first seen empty
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    int signals = signal.count.load();
    if (signals > seen_signals) {
      seen_signals = signals;
      if (signals == 1) pool.StopReceiving(); else pool.Cancel();
    }
    if (seen_signals > 0 && pool.Busy() == 0) break;
    if (!options.health_file.empty() && Clock::now() >= next_touch) {
      next_touch = Clock::now() + kTouchEvery;
      Status touched = TouchHealthFile(options.health_file);
      if (!touched.ok() && !touch_failed) sv.logger.Warn("health_file_touch_failed", {{"error", touched.ToString()}});
      touch_failed = !touched.ok();
    }
    if (Clock::now() >= next_sweep) {
      SweepDeadLetters(sv, rt.events());
      next_sweep = Clock::now() + kSweepEvery;
    }
    if (options.drain && Clock::now() >= next_stats) {
      next_stats = Clock::now() + kStatsEvery;
      Result<QueueStats> stats = sv.queue.Stats();
      bool empty = stats.ok() && stats->visible == 0 && stats->delayed == 0 && stats->in_flight == 0 &&
                   pool.Busy() == 0;
      if (!empty) {
        empty_polls_at_idle = -1;
      } else if (empty_polls_at_idle < 0) {
        empty_polls_at_idle = pool.EmptyPolls();
      } else if (pool.EmptyPolls() - empty_polls_at_idle >= po.threads) {
        break;  // every thread has since come back from a long poll with nothing
      }
    }
  }
  pool.StopReceiving();
  pool.Join();
  if (seen_signals == 0) SweepDeadLetters(sv, rt.events());
  sv.logger.Info("worker_stopped", {{"worker_id", rt.events().worker_id()}, {"processed", pool.Processed()}});
  return seen_signals > 0 ? kExitInterrupted : kExitOk;
}

int RunStatus(Runtime& rt, const StatusOptions& o) {
  Result<std::vector<ControlRecord>> got =
      QueryStatus(rt.services().control, {o.document_id, o.status, o.all_versions});
  if (!got.ok()) {
    const Status& st = got.status();
    const bool ours = st.code() == Status::Code::kInvalidInput || st.IsNotFound();
    std::cerr << "docpipe status: " << (ours ? st.message() : st.ToString()) << "\n";
    return st.code() == Status::Code::kInvalidInput ? kExitUsage : kExitFailed;
  }
  const std::vector<ControlRecord>& shown = *got;
  if (o.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const ControlRecord& r : shown) arr.push_back(ToJson(r));
    std::cout << arr.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("{:<40} {:<7} {:<11} {:<8} {:>5} {:>6} {:>4}  {}\n", "DOCUMENT", "VERSION", "STATUS",
                           "STAGE", "PAGES", "CHUNKS", "TRY", "SOURCE");
  for (const ControlRecord& r : shown) {
    std::cout << fmt::format("{:<40} {:<7} {:<11} {:<8} {:>5} {:>6} {:>4}  {}\n", r.document_id,
                             r.processing_version, DocStatusName(r.status),
                             r.current_stage.empty() ? "-" : r.current_stage, r.page_count, r.chunk_count,
                             r.retry_count, r.source_key);
    if (!r.last_error.empty() && r.status != DocStatus::kCompleted) {
      std::cout << "    error (" << r.error_stage << "): " << r.last_error << "\n";
    }
  }
  return kExitOk;
}

int RunAudit(Runtime& rt, const std::string& document_id, bool json) {
  Result<std::vector<AuditEvent>> events = QueryAudit(rt.services().audit, document_id);
  if (!events.ok()) {
    const Status& st = events.status();
    std::cerr << "docpipe audit: " << (st.IsNotFound() ? st.message() : st.ToString()) << "\n";
    return kExitFailed;
  }
  if (json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const AuditEvent& e : *events) arr.push_back(ToJson(e));
    std::cout << arr.dump(2) << "\n";
    return kExitOk;
  }
  for (const AuditEvent& e : *events) {
    std::cout << fmt::format("{}  {:<7} {:<19} {:<8} {:>7}  {}", FormatIso8601(e.time), e.processing_version,
                             e.event_type, e.stage.empty() ? "-" : e.stage,
                             e.duration_ms > 0 ? fmt::format("{}ms", e.duration_ms) : "", e.worker_id);
    if (!e.error.empty()) std::cout << "  error: " << e.error;
    std::cout << "\n";
  }
  return kExitOk;
}

int RunRetry(Runtime& rt, const RetryOptions& o, const ShutdownSignal& signal) {
  Services& sv = rt.services();
  std::vector<ControlRecord> targets;
  if (o.all_failed) {
    Result<std::vector<ControlRecord>> failed = sv.control.List(DocStatus::kFailed, 1 << 30);
    if (!failed.ok()) {
      std::cerr << "docpipe retry: " << failed.status().ToString() << "\n";
      return kExitFailed;
    }
    for (ControlRecord& r : *failed) {
      Result<ControlRecord> latest = sv.control.GetLatest(r.document_id);
      if (latest.ok() && latest->processing_version == r.processing_version) targets.push_back(std::move(r));
    }
  }
  int problems = 0;
  std::vector<Tracked> tracked;
  auto track = [&](const ControlRecord& r) {
    tracked.push_back({r.document_id, r.processing_version, r.source_key, "retry"});
  };
  for (ControlRecord& r : targets) {
    Status st = RequeueFailed(sv, rt.events(), r, "docpipe retry");
    if (!st.ok()) {
      std::cerr << "docpipe retry: " << r.document_id << ": " << st.ToString() << "\n";
      ++problems;
      continue;
    }
    track(r);
  }
  for (const std::string& id : o.document_ids) {
    Result<ControlRecord> requeued = RequeueDocument(sv, rt.events(), id, "docpipe retry");
    if (requeued.ok()) {
      track(*requeued);
    } else if (requeued.status().IsNotFound()) {
      std::cerr << "docpipe retry: " << id << ": no such document\n";
      ++problems;
    } else if (requeued.status().IsConflict()) {
      std::cerr << "docpipe retry: " << id << ": " << requeued.status().message() << "; nothing to retry\n";
    } else {
      std::cerr << "docpipe retry: " << id << ": " << requeued.status().ToString() << "\n";
      ++problems;
    }
  }
  if (tracked.empty()) {
    if (!o.json) std::cout << "nothing to retry\n";
    return problems > 0 ? kExitFailed : kExitOk;
  }
  if (!o.wait) {
    if (o.json) {
      // The same summary as a waiting retry, taken as requeued (PENDING).
      std::vector<ControlRecord> records;
      for (const Tracked& t : tracked) {
        Result<ControlRecord> r = sv.control.Get(t.document_id, t.version);
        records.push_back(r.ok() ? std::move(*r) : ControlRecord{});
      }
      std::cout << SummarizeRun(tracked, records, {}, 0, false).json.dump(2) << "\n";
    } else {
      for (const Tracked& t : tracked) std::cout << "requeued " << t.document_id << " " << t.version << "\n";
    }
    return problems > 0 ? kExitFailed : kExitOk;
  }
  auto start = std::chrono::steady_clock::now();
  bool interrupted = false;
  std::vector<ControlRecord> records = ProcessUntilDone(rt, tracked, signal, !o.json, &interrupted);
  int64_t elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  int rc = Summarize(tracked, records, {}, elapsed, interrupted, o.json);
  return rc == kExitOk && problems > 0 ? kExitFailed : rc;
}

int RunMetrics(Runtime& rt, const std::string& date, bool json) {
  MetricsTable& mt = rt.services().metrics;
  std::vector<std::string> days;
  if (!date.empty()) {
    days.push_back(date);
  } else {
    Result<std::vector<std::string>> all = mt.ListDays();
    if (!all.ok()) {
      std::cerr << "docpipe metrics: " << all.status().ToString() << "\n";
      return kExitFailed;
    }
    days = std::move(*all);
  }
  nlohmann::json arr = nlohmann::json::array();
  for (const std::string& d : days) {
    Result<std::map<std::string, double>> raw = mt.GetDay(d);
    if (!raw.ok()) {
      std::cerr << "docpipe metrics: " << raw.status().ToString() << "\n";
      return kExitFailed;
    }
    DailyMetrics m = SummarizeDay(d, *raw);
    if (json) {
      arr.push_back(ToJson(m));
      continue;
    }
    auto c = [&](const char* k) { auto it = m.counters.find(k); return it == m.counters.end() ? 0.0 : it->second; };
    std::cout << fmt::format("{}  completed {:.0f}  failed {:.0f}  pages {:.0f}  chunks {:.0f}  tokens {:.0f}\n", d,
                             c(kMetricDocumentsCompleted), c(kMetricDocumentsFailed), c(kMetricPages),
                             c(kMetricChunks), c(kMetricTokens));
    for (const auto& [stage, s] : m.stages) {
      std::cout << fmt::format("    {:<8} n={:<6} p50 {:.0f} ms  p95 {:.0f} ms\n", stage, s.count, s.p50_ms, s.p95_ms);
    }
  }
  if (json) std::cout << arr.dump(2) << "\n";
  return kExitOk;
}

int RunSearchCommand(Runtime& rt, const SearchCommandOptions& o) {
  Result<SearchMode> mode = ParseSearchMode(o.mode);
  if (!mode.ok()) {
    std::cerr << "docpipe search: " << mode.status().message() << "\n";
    return kExitUsage;
  }
  SearchRequest request{o.query, o.k, o.document_id, *mode};
  Result<std::vector<SearchResult>> results = RunSearch(rt.embedder(), rt.index(), request);
  if (!results.ok()) {
    std::cerr << "docpipe search: " << results.status().message() << "\n";
    return results.status().code() == Status::Code::kInvalidInput ? kExitUsage : kExitFailed;
  }
  if (o.json) {
    std::cout << SearchResultsJson(*results).dump(2) << "\n";
    return kExitOk;
  }
  if (results->empty()) {
    std::cout << "no results for \"" << o.query << "\"\n";
    return kExitOk;
  }
  const bool tty = isatty(STDOUT_FILENO);
  const std::string open = tty ? "\x1b[1;33m" : "**", close = tty ? "\x1b[0m" : "**";
  const std::vector<std::string> terms = QueryTerms(o.query);
  for (const SearchResult& r : *results) {
    const IndexedChunk& c = r.hit.chunk;
    std::string pages = c.page_start == c.page_end ? fmt::format("page {}", c.page_start)
                                                   : fmt::format("pages {}-{}", c.page_start, c.page_end);
    std::cout << fmt::format("{:>2}. [{:.4f}] {}  {}\n", r.rank, r.hit.score, c.source_key, pages);
    if (!c.breadcrumbs.empty()) std::cout << "    " << fmt::format("{}", fmt::join(c.breadcrumbs, " > ")) << "\n";
    std::cout << "    " << MakeSnippet(c.text, terms, 280, open, close) << "\n\n";
  }
  return kExitOk;
}

int RunDelete(Runtime& rt, const std::vector<std::string>& document_ids, bool json) {
  int rc = kExitOk;
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& id : document_ids) {
    Result<DeleteReport> r = DeleteDocument(rt.services(), rt.index(), rt.events(), id);
    if (!r.ok()) {
      std::cerr << "docpipe delete: " << r.status().message() << "\n";
      rc = kExitFailed;
      continue;
    }
    if (json) {
      out.push_back({{"document_id", id}, {"versions", r->versions}, {"objects", r->objects}});
    } else {
      std::cout << fmt::format("deleted {}: {} version(s), {} object(s)\n", id, r->versions, r->objects);
    }
  }
  if (json) std::cout << out.dump(2) << "\n";
  return rc;
}

}  // namespace docpipe
