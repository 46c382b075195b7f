#include "cli/commands.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <map>
#include <set>

#include <fmt/format.h>

#include "app/document_queries.h"
#include "common/strings.h"
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

// How long ingest and retry wait for a queue that cannot be read before they
// give up on the documents left.
constexpr int64_t kGiveUpAfterMs = 15'000;

// Points `pool`'s progress wake-up at `signal` for one turn of a loop, and
// clears it before `signal` goes.
class ProgressWakeScope {
 public:
  ProgressWakeScope(WorkerPool& pool, StopSignal& signal) : pool_(pool) { pool_.WakeOnProgress(&signal); }
  ~ProgressWakeScope() { pool_.WakeOnProgress(nullptr); }
  ProgressWakeScope(const ProgressWakeScope&) = delete;
  ProgressWakeScope& operator=(const ProgressWakeScope&) = delete;

 private:
  WorkerPool& pool_;
};

// The pool's receive wait in ingest and retry: at the SQLite queue's own poll
// interval, so that once the last document is done the threads see
// StopReceiving within one short receive and the command ends with it.
constexpr int64_t kIngestReceiveWaitMs = 50;

// Processes the queue in this process until every tracked version is
// finished (or a signal stops us, or the queue cannot be read for
// kGiveUpAfterMs). Returns the final records.
std::vector<ControlRecord> ProcessUntilDone(Storage& storage, Processing& processing,
                                            const std::vector<Tracked>& tracked, const ShutdownSignal& signal,
                                            bool show_progress, bool* interrupted) {
  Services& sv = storage.services();
  WorkerPool pool(sv, processing.processor(), WorkerPoolOptionsOf(storage, kIngestReceiveWaitMs));
  pool.Start();

  ProgressBar bar(show_progress && isatty(STDERR_FILENO));
  Clock& clock = storage.clock();
  const int64_t start = clock.MonotonicMs();
  std::vector<ControlRecord> records(tracked.size());
  int seen_signals = 0;
  bool said_failing = false;
  *interrupted = false;
  for (;;) {
    // Set before the records are read: a document finished from here on ends
    // this turn's wait at once.
    StopSignal progress;
    ProgressWakeScope wake(pool, progress);
    size_t done = 0;
    int64_t pages = 0;
    for (size_t i = 0; i < tracked.size(); ++i) {
      Result<ControlRecord> r = sv.control.Get(tracked[i].document_id, tracked[i].version);
      if (r.ok()) records[i] = std::move(*r);
      if (IsTerminal(records[i].status)) ++done;
      pages += records[i].page_count;
    }
    bar.Draw(done, tracked.size(), pages, clock.MonotonicMs() - start);
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
    // The queue cannot be read (its database on a full disk, say): say so at
    // once, and give up on what is left after a while rather than hang.
    int64_t failing_since = 0;
    if (Status failing = pool.ReceiveFailure(&failing_since); !failing.ok()) {
      const int64_t failing_ms = clock.MonotonicMs() - failing_since;
      if (!said_failing) {
        said_failing = true;
        std::fprintf(stderr, "\ndocpipe: cannot take work from the queue: %s; trying again for %lld s\n",
                     TerminalSafe(failing.ToString()).c_str(), static_cast<long long>(kGiveUpAfterMs / 1000));
      }
      if (failing_ms >= kGiveUpAfterMs && pool.Busy() == 0) {
        std::fprintf(stderr,
                     "docpipe: giving up: the queue could not be read for %lld s (%s); the documents not finished "
                     "keep their state and last error: free the space or fix the fault, then run the same command "
                     "again\n",
                     static_cast<long long>(failing_ms / 1000), TerminalSafe(failing.message()).c_str());
        break;
      }
    } else {
      said_failing = false;
    }
    clock.WaitFor(200, progress);  // progress is read from the control table
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
              const WalkResult& inputs, int64_t elapsed_ms, bool interrupted, bool json) {
  const std::vector<std::string>& skipped_files = inputs.skipped;
  RunSummary summary = SummarizeRun(tracked, records, skipped_files, elapsed_ms, interrupted);
  summary.json["skipped_redirects"] = inputs.redirects;
  const int completed = summary.completed, failed = summary.failed, unfinished = summary.unfinished;
  const int64_t pages = summary.json["pages"], chunks = summary.json["chunks"];
  if (json) {
    std::cout << summary.json.dump(2) << "\n";
  } else {
    for (size_t i = 0; i < tracked.size(); ++i) {
      const ControlRecord& r = records[i];
      std::string note = tracked[i].outcome == "duplicate" ? " (unchanged, skipped)" : "";
      std::cout << fmt::format("{:<11} {:<40} {:>5} pages {:>6} chunks  {}{}\n", DocStatusName(r.status),
                               tracked[i].document_id, r.page_count, r.chunk_count, TerminalSafe(tracked[i].source_key),
                               note);
      if (r.status == DocStatus::kFailed) {
        std::cout << "            error: " << TerminalSafe(r.last_error) << "\n";
      } else if (!IsTerminal(r.status) && !r.last_error.empty()) {
        std::cout << "            last error: " << TerminalSafe(r.last_error) << "\n";
      }
    }
    std::cout << fmt::format("{} documents: {} completed, {} failed{}; {} pages, {} chunks in {:.1f}s\n",
                             tracked.size(), completed, failed,
                             unfinished ? fmt::format(", {} unfinished", unfinished) : "", pages, chunks,
                             elapsed_ms / 1000.0);
    if (!skipped_files.empty()) {
      std::cout << fmt::format("{} file(s) skipped (unsupported type), e.g. {}\n", skipped_files.size(),
                               TerminalSafe(skipped_files.front()));
    }
    if (!inputs.redirects.empty()) {
      std::cout << fmt::format("{} HTML redirect page(s) skipped (no text of their own: they send the browser "
                               "to another page), e.g. {}\n",
                               inputs.redirects.size(), TerminalSafe(inputs.redirects.front()));
    }
  }
  if (interrupted && unfinished > 0) return kExitInterrupted;
  return failed > 0 || unfinished > 0 ? kExitFailed : kExitOk;
}

}  // namespace

int RunIngest(Storage& storage, Processing& processing, const IngestOptions& options, const ShutdownSignal& signal) {
  const int64_t start = storage.clock().MonotonicMs();
  Result<WalkResult> inputs = CollectInputs(options.paths, SupportedSuffixes());
  if (!inputs.ok()) {
    std::cerr << "docpipe ingest: " << TerminalSafe(inputs.status().message()) << "\n";
    return kExitUsage;
  }
  std::vector<Tracked> tracked;
  std::set<std::pair<std::string, std::string>> seen;
  int unregistered = 0;  // files that could not even be recorded: said here, and the batch goes on
  for (const InputFile& f : inputs->files) {
    Result<Registration> reg = storage.registrar().RegisterLocalFile(f.path, f.source_key);
    if (!reg.ok()) {
      std::cerr << "docpipe ingest: " << TerminalSafe(f.path) << ": " << TerminalSafe(reg.status().ToString()) << "\n";
      ++unregistered;
      continue;
    }
    if (!seen.insert({reg->document_id, reg->processing_version}).second) continue;
    tracked.push_back({reg->document_id, reg->processing_version, reg->source_key, OutcomeName(reg->outcome)});
  }
  if (tracked.empty() && unregistered > 0) {
    std::cerr << fmt::format("docpipe ingest: none of the {} file(s) could be registered\n", unregistered);
    return kExitFailed;
  }
  if (tracked.empty() && !inputs->redirects.empty()) {
    std::cerr << fmt::format("docpipe ingest: only HTML redirect pages found ({}, e.g. {}): they have no text of "
                             "their own\n",
                             inputs->redirects.size(), TerminalSafe(inputs->redirects.front()));
    return kExitUsage;
  }
  if (tracked.empty()) {
    std::cerr << "docpipe ingest: no supported documents found (supported: " << fmt::format("{}", fmt::join(SupportedSuffixes(), " ")) << ")\n";
    return kExitUsage;
  }
  bool interrupted = false;
  std::vector<ControlRecord> records =
      ProcessUntilDone(storage, processing, tracked, signal, !options.json, &interrupted);
  const int64_t elapsed = storage.clock().MonotonicMs() - start;
  const int rc = Summarize(tracked, records, *inputs, elapsed, interrupted, options.json);
  if (unregistered > 0) {
    std::cerr << fmt::format("docpipe ingest: {} file(s) could not be registered (see above)\n", unregistered);
    return rc == kExitOk ? kExitFailed : rc;
  }
  return rc;
}

int RunWorker(Storage& storage, Processing& processing, const WorkerOptions& options, const ShutdownSignal& signal) {
  Services& sv = storage.services();
  EventRecorder& events = storage.events();
  const WorkerPoolOptions po = WorkerPoolOptionsOf(storage, storage.config().EffectivePollWaitMs());
  WorkerPool pool(sv, processing.processor(), po);
  pool.Start();
  sv.logger.Info("worker_started", {{"worker_id", events.worker_id()}, {"threads", po.threads},
                                    {"backend", ChoiceName(storage.config().backend)}});
  Clock& clock = storage.clock();
  // Queue statistics cost a request on SQS: look once a second, not per loop.
  constexpr int64_t kStatsEveryMs = 1'000;
  constexpr int64_t kSweepEveryMs = 30'000;
  constexpr int64_t kTouchEveryMs = 1'000;
  int64_t next_stats = clock.MonotonicMs();
  int64_t next_sweep = next_stats;
  int64_t next_touch = next_stats;
  bool touch_failed = false;
  int seen_signals = 0;
  int64_t empty_polls_at_idle = -1;  // EmptyPolls() when the queue was first seen empty
  for (;;) {
    clock.SleepMs(100);  // signals arrive through a flag the handler sets
    int signals = signal.count.load();
    if (signals > seen_signals) {
      seen_signals = signals;
      if (signals == 1) pool.StopReceiving(); else pool.Cancel();
    }
    if (seen_signals > 0 && pool.Busy() == 0) break;
    if (!options.health_file.empty() && clock.MonotonicMs() >= next_touch) {
      next_touch = clock.MonotonicMs() + kTouchEveryMs;
      Status touched = TouchHealthFile(options.health_file);
      if (!touched.ok() && !touch_failed) sv.logger.Warn("health_file_touch_failed", {{"error", touched.ToString()}});
      touch_failed = !touched.ok();
    }
    if (clock.MonotonicMs() >= next_sweep) {
      SweepDeadLetters(sv, events, storage.config().max_receive_count);
      next_sweep = clock.MonotonicMs() + kSweepEveryMs;
    }
    if (options.drain && clock.MonotonicMs() >= next_stats) {
      next_stats = clock.MonotonicMs() + kStatsEveryMs;
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
  if (seen_signals == 0) SweepDeadLetters(sv, events, storage.config().max_receive_count);
  sv.logger.Info("worker_stopped", {{"worker_id", events.worker_id()}, {"processed", pool.Processed()}});
  return seen_signals > 0 ? kExitInterrupted : kExitOk;
}

int RunStatus(ControlTable& control, const StatusOptions& o) {
  auto failed = [](const Status& st) {
    const bool ours = st.code() == Status::Code::kInvalidInput || st.IsNotFound();
    std::cerr << "docpipe status: " << TerminalSafe(ours ? st.message() : st.ToString()) << "\n";
    return st.code() == Status::Code::kInvalidInput ? kExitUsage : kExitFailed;
  };
  const StatusQuery query{o.document_id, o.status, o.all_versions};
  if (o.json) {  // whole records
    Result<std::vector<ControlRecord>> got = QueryStatus(control, query);
    if (!got.ok()) return failed(got.status());
    nlohmann::json arr = nlohmann::json::array();
    for (const ControlRecord& r : *got) arr.push_back(ToJson(r));
    std::cout << arr.dump(2) << "\n";
    return kExitOk;
  }
  Result<std::vector<ControlRow>> got = QueryStatusRows(control, query);
  if (!got.ok()) return failed(got.status());
  std::string out = fmt::format("{:<40} {:<7} {:<11} {:<8} {:>5} {:>6} {:>4}  {}\n", "DOCUMENT", "VERSION", "STATUS",
                                "STAGE", "PAGES", "CHUNKS", "TRY", "SOURCE");
  for (const ControlRow& r : *got) {
    fmt::format_to(std::back_inserter(out), "{:<40} {:<7} {:<11} {:<8} {:>5} {:>6} {:>4}  {}\n", r.document_id,
                   r.processing_version, DocStatusName(r.status), r.current_stage.empty() ? "-" : r.current_stage,
                   r.page_count, r.chunk_count, r.retry_count, TerminalSafe(r.source_key));
    if (!r.last_error.empty() && r.status != DocStatus::kCompleted) {
      fmt::format_to(std::back_inserter(out), "    error ({}): {}\n", r.error_stage, TerminalSafe(r.last_error));
    }
  }
  std::cout << out;
  return kExitOk;
}

int RunAudit(AuditLog& audit, const std::string& document_id, bool json) {
  Result<std::vector<AuditEvent>> events = QueryAudit(audit, document_id);
  if (!events.ok()) {
    const Status& st = events.status();
    std::cerr << "docpipe audit: " << TerminalSafe(st.IsNotFound() ? st.message() : st.ToString()) << "\n";
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
    if (!e.error.empty()) std::cout << "  error: " << TerminalSafe(e.error);
    std::cout << "\n";
  }
  return kExitOk;
}

int RunRetry(Storage& storage, Processing* processing, const RetryOptions& o, const ShutdownSignal& signal) {
  Services& sv = storage.services();
  EventRecorder& events = storage.events();
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
    Status st = RequeueFailed(sv, events, r, "docpipe retry");
    if (!st.ok()) {
      std::cerr << "docpipe retry: " << r.document_id << ": " << TerminalSafe(st.ToString()) << "\n";
      ++problems;
      continue;
    }
    track(r);
  }
  for (const std::string& id : o.document_ids) {
    Result<ControlRecord> requeued = RequeueDocument(sv, events, id, "docpipe retry");
    if (requeued.ok()) {
      track(*requeued);
    } else if (requeued.status().IsNotFound()) {
      std::cerr << "docpipe retry: " << TerminalSafe(id) << ": no such document\n";
      ++problems;
    } else if (requeued.status().IsConflict()) {
      std::cerr << "docpipe retry: " << TerminalSafe(id) << ": " << TerminalSafe(requeued.status().message())
                << "; nothing to retry\n";
    } else {
      std::cerr << "docpipe retry: " << TerminalSafe(id) << ": " << TerminalSafe(requeued.status().ToString()) << "\n";
      ++problems;
    }
  }
  if (tracked.empty()) {
    if (!o.json) std::cout << "nothing to retry\n";
    return problems > 0 ? kExitFailed : kExitOk;
  }
  if (processing == nullptr) {
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
  const int64_t start = storage.clock().MonotonicMs();
  bool interrupted = false;
  std::vector<ControlRecord> records = ProcessUntilDone(storage, *processing, tracked, signal, !o.json, &interrupted);
  const int64_t elapsed = storage.clock().MonotonicMs() - start;
  int rc = Summarize(tracked, records, {}, elapsed, interrupted, o.json);
  return rc == kExitOk && problems > 0 ? kExitFailed : rc;
}

int RunMetrics(MetricsTable& mt, const std::string& date, bool json) {
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

int RunSearchCommand(Retrieval& retrieval, const SearchCommandOptions& o) {
  Result<SearchMode> mode = ParseSearchMode(o.mode);
  if (!mode.ok()) {
    std::cerr << "docpipe search: " << mode.status().message() << "\n";
    return kExitUsage;
  }
  auto fail = [](const Status& st) {
    std::cerr << "docpipe search: " << TerminalSafe(st.message()) << "\n";
    return st.code() == Status::Code::kInvalidInput ? kExitUsage : kExitFailed;
  };
  // A keyword search embeds nothing: it opens no embedder (no API key, no model).
  Embedder* embedder = nullptr;
  if (*mode != SearchMode::kKeyword) {
    Result<Embedder*> opened = retrieval.embedder();
    if (!opened.ok()) return fail(opened.status());
    embedder = *opened;
  }
  Result<VectorIndex*> index = retrieval.index();
  if (!index.ok()) return fail(index.status());
  SearchRequest request{o.query, o.k, o.document_id, *mode};
  std::string degraded;
  Result<std::vector<SearchResult>> results = RunSearch(embedder, **index, request, &degraded);
  if (!results.ok()) return fail(results.status());
  if (!degraded.empty()) std::cerr << "docpipe search: warning: " << degraded << "\n";
  if (o.json) {
    std::cout << SearchResultsJson(*results, degraded).dump(2) << "\n";
    return kExitOk;
  }
  if (results->empty()) {
    std::cout << "no results for \"" << TerminalSafe(o.query) << "\"\n";
    return kExitOk;
  }
  const bool tty = isatty(STDOUT_FILENO);
  const std::string open = tty ? "\x1b[1;33m" : "**", close = tty ? "\x1b[0m" : "**";
  const std::vector<std::string> terms = QueryTerms(o.query);
  for (const SearchResult& r : *results) {
    const IndexedChunk& c = r.hit.chunk;
    std::cout << fmt::format("{:>2}. [{:.4f}] {}  {}\n", r.rank, r.hit.score, TerminalSafe(c.source_key),
                             TerminalSafe(PageCitation(c)));
    if (!c.breadcrumbs.empty()) {
      std::cout << "    " << TerminalSafe(fmt::format("{}", fmt::join(c.breadcrumbs, " > "))) << "\n";
    }
    // Document text may hold escape sequences too; line breaks are only spaces in a snippet.
    std::string text = c.text;
    std::replace_if(text.begin(), text.end(), [](char ch) { return ch == '\n' || ch == '\r' || ch == '\t'; }, ' ');
    std::cout << "    " << MakeSnippet(TerminalSafe(text), terms, 280, open, close) << "\n\n";
  }
  return kExitOk;
}

int RunDelete(Storage& storage, Retrieval& retrieval, const std::vector<std::string>& document_ids, bool json) {
  int rc = kExitOk;
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& id : document_ids) {
    Result<DeleteReport> r =
        DeleteDocument(storage.services(), [&] { return retrieval.index(); }, storage.events(), id);
    if (!r.ok()) {
      std::cerr << "docpipe delete: " << TerminalSafe(r.status().message()) << "\n";
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
