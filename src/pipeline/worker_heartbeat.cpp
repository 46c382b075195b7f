#include "pipeline/worker_heartbeat.h"

#include <algorithm>

#include "pipeline/metrics.h"

namespace docpipe {
namespace {

std::string Metric(const std::string& worker_id, const char* field) {
  return std::string(kWorkerMetricPrefix) + worker_id + "#" + field;
}

}  // namespace

WorkerHeartbeat::WorkerHeartbeat(Services& services, std::string worker_id, int64_t interval_ms,
                                 std::function<WorkerBeat()> sample)
    : services_(services),
      worker_id_(std::move(worker_id)),
      interval_ms_(std::max<int64_t>(interval_ms, 100)),
      sample_(std::move(sample)) {
  Beat();  // seen from the start, not one interval later
  ticker_ = std::make_unique<PeriodicTask>(services_.clock, interval_ms_, [this] { Beat(); });
}

WorkerHeartbeat::~WorkerHeartbeat() {
  ticker_->Stop();  // the beat in progress finishes; no other starts
  Beat();           // the last word: how much it processed, and that nothing is busy
}

void WorkerHeartbeat::Beat() {
  const TimeMs now = services_.clock.NowMs();
  const std::string date = FormatDate(now);
  const WorkerBeat b = sample_();
  MetricsTable& m = services_.metrics;
  Status st = m.Set(date, Metric(worker_id_, "seen_ms"), static_cast<double>(now));
  if (st.ok()) st = m.Set(date, Metric(worker_id_, "busy"), b.busy);
  if (st.ok()) st = m.Set(date, Metric(worker_id_, "threads"), b.threads);
  if (st.ok()) st = m.Set(date, Metric(worker_id_, "processed"), static_cast<double>(b.processed));
  if (!st.ok() && !failing_) {
    services_.logger.Warn("worker_heartbeat_failed", {{"worker_id", worker_id_}, {"error", st.ToString()}});
  }
  failing_.store(!st.ok());
}

std::vector<WorkerSeen> WorkersFromMetrics(const std::vector<std::map<std::string, double>>& days) {
  std::map<std::string, WorkerSeen> seen;
  const std::string prefix = kWorkerMetricPrefix;
  for (const auto& day : days) {
    // The day's beat of each worker, read field by field.
    std::map<std::string, WorkerSeen> today;
    for (const auto& [name, value] : day) {
      if (name.rfind(prefix, 0) != 0) continue;
      const size_t hash = name.rfind('#');
      if (hash <= prefix.size()) continue;
      const std::string id = name.substr(prefix.size(), hash - prefix.size());
      const std::string field = name.substr(hash + 1);
      WorkerSeen& w = today[id];
      w.worker_id = id;
      if (field == "seen_ms") w.seen_at = static_cast<TimeMs>(value);
      else if (field == "busy") w.beat.busy = static_cast<int>(value);
      else if (field == "threads") w.beat.threads = static_cast<int>(value);
      else if (field == "processed") w.beat.processed = static_cast<int64_t>(value);
    }
    for (auto& [id, w] : today) {
      auto it = seen.find(id);
      if (it == seen.end() || it->second.seen_at < w.seen_at) seen[id] = std::move(w);
    }
  }
  std::vector<WorkerSeen> out;
  for (auto& [id, w] : seen) out.push_back(std::move(w));
  std::sort(out.begin(), out.end(), [](const WorkerSeen& a, const WorkerSeen& b) {
    return a.seen_at != b.seen_at ? a.seen_at > b.seen_at : a.worker_id < b.worker_id;
  });
  return out;
}

}  // namespace docpipe
