// Fills an embedded workspace with N documents as a day of real work leaves
// them, through the same adapters `docpipe` uses: control records (mostly
// COMPLETED, some FAILED, PENDING and IN_PROGRESS, a second version of some),
// their audit trails (received, five stages started and completed, done),
// today's metrics (stage duration buckets, pages, tokens), worker
// heartbeats, and the extracted pages and chunks of the first documents.
//   make_dashboard_workspace --workspace DIR [--documents 10000]
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include <fmt/format.h>

#include "common/clock.h"
#include "index/local_vector_index.h"
#include "object_store/local_object_store.h"
#include "object_store/object_store.h"
#include "pipeline/document_id.h"
#include "pipeline/metrics.h"
#include "pipeline/object_keys.h"
#include "pipeline/stages.h"
#include "tables/sqlite_tables.h"

using namespace docpipe;

int main(int argc, char** argv) {
  std::string workspace;
  int n = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--workspace") == 0) workspace = argv[i + 1];
    if (std::strcmp(argv[i], "--documents") == 0) n = std::atoi(argv[i + 1]);
  }
  if (workspace.empty() || n < 1) {
    std::fprintf(stderr, "usage: make_dashboard_workspace --workspace DIR [--documents N]\n");
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(workspace, ec);
  if (ec) {
    std::fprintf(stderr, "cannot create %s: %s\n", workspace.c_str(), ec.message().c_str());
    return 1;
  }
  const std::string db = workspace + "/docpipe.db";
  auto control = NewSqliteControlTable(db);
  auto audit = NewSqliteAuditLog(db);
  auto metrics = NewSqliteMetricsTable(db);
  auto store = NewLocalObjectStore(workspace + "/store");
  // The local embedder's dimension: what `docpipe serve` opens the index with.
  constexpr size_t kIndexDimension = 512;
  auto index = NewLocalVectorIndex({.directory = workspace + "/index", .dimension = static_cast<int>(kIndexDimension)});
  if (!index.ok()) {
    std::fprintf(stderr, "cannot open %s/index: %s\n", workspace.c_str(), index.status().ToString().c_str());
    return 1;
  }
  for (const Status& st : {control.status(), audit.status(), metrics.status(), store.status()}) {
    if (!st.ok()) {
      std::fprintf(stderr, "cannot open %s: %s\n", workspace.c_str(), st.ToString().c_str());
      return 1;
    }
  }
  std::mt19937_64 rng(16);
  const TimeMs now = NewSystemClock()->NowMs();
  const char* stages[] = {"extract", "chunk", "enrich", "embed", "load"};
  const char* folders[] = {"manuals", "reports/2026", "contracts", "notes", "papers/physics"};
  const std::string today = FormatDate(now);
  for (int i = 0; i < n; ++i) {
    const std::string key = fmt::format("input/{}/document {:05} {}.pdf", folders[i % 5], i,
                                        i % 7 == 0 ? "Pump" : i % 7 == 1 ? "Valve" : "Manual");
    ControlRecord r;
    r.document_id = DocumentIdForKey(key);
    r.processing_version = FormatVersion(1);
    r.source_key = key;
    r.source_size = 10'000 + static_cast<int64_t>(rng() % 5'000'000);
    r.content_sha256 = fmt::format("{:064x}", i);
    const int kind = static_cast<int>(rng() % 100);
    r.status = kind < 82 ? DocStatus::kCompleted : kind < 90 ? DocStatus::kFailed
               : kind < 95 ? DocStatus::kPending : DocStatus::kInProgress;
    r.created_at = now - static_cast<TimeMs>(rng() % (24 * 3600 * 1000));
    r.page_count = r.status == DocStatus::kPending ? 0 : 1 + static_cast<int64_t>(rng() % 300);
    r.chunk_count = r.page_count * 3;
    TimeMs t = r.created_at;
    const int last = r.status == DocStatus::kCompleted ? 5 : static_cast<int>(rng() % 5);
    std::vector<AuditEvent> events;
    auto event = [&](const std::string& type, const std::string& stage, TimeMs at, int64_t duration) {
      AuditEvent e;
      e.document_id = r.document_id;
      e.processing_version = r.processing_version;
      e.event_type = type;
      e.stage = stage;
      e.time = at;
      e.worker_id = fmt::format("worker-{}:{}", i % 4, 100 + i % 4);
      e.duration_ms = duration;
      events.push_back(e);
    };
    event("DOCUMENT_RECEIVED", "", t, 0);
    if (r.status != DocStatus::kPending) {
      for (int s = 0; s < last; ++s) {
        const int64_t d = 50 + static_cast<int64_t>(rng() % 2000);
        event("STAGE_STARTED", stages[s], t, 0);
        StageStatus& st = r.stage_status[stages[s]];
        st.status = StageState::kCompleted;
        st.started_at = t;
        st.completed_at = t + d;
        st.duration_ms = d;
        st.attempts = 1;
        t += d;
        event("STAGE_COMPLETED", stages[s], t, d);
        metrics->get()->Add(today, StageDurationBucketMetric(stages[s], d), 1);
      }
    }
    if (r.status == DocStatus::kCompleted) {
      event("DOCUMENT_COMPLETED", "", t, t - r.created_at);
      events.back().details = {{"pages", r.page_count}, {"chunks", r.chunk_count}};
    } else if (r.status == DocStatus::kFailed) {
      r.error_stage = stages[last];
      r.last_error = fmt::format("{}: simulated failure of document {}", stages[last], i);
      r.current_stage = stages[last];
      r.stage_status[stages[last]].status = StageState::kFailed;
      r.stage_status[stages[last]].attempts = 3;
      event("STAGE_FAILED", stages[last], t, 100);
      event("DOCUMENT_FAILED", stages[last], t, 0);
    } else if (r.status == DocStatus::kInProgress) {
      r.current_stage = stages[last];
      r.lease_owner = "worker-0:100";
      r.lease_expires_at = now + 60'000;
    }
    r.updated_at = t;
    if (Status st = (*control)->Create(r); !st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      return 1;
    }
    for (AuditEvent& e : events) (*audit)->Append(e);
    if (i < 20 && r.page_count > 0) {
      for (int p = 1; p <= std::min<int64_t>(r.page_count, 30); ++p) {
        (*store)->Put(ExtractedPageKey(r.document_id, p), fmt::format("# Page {}\n\nText of page {} of {}.", p, p, key));
      }
      nlohmann::json chunks = nlohmann::json::array();
      for (int c = 0; c < 60; ++c) {
        chunks.push_back({{"chunk_id", fmt::format("{}:000001:{}", r.document_id, c)},
                          {"text", fmt::format("Chunk {} of {}: the pump, the valve and the manual.", c, key)},
                          {"breadcrumbs", {"Manual", fmt::format("Chapter {}", c / 10)}},
                          {"page_start", 1 + c / 2}, {"page_end", 1 + c / 2}, {"type", "text"}, {"token_count", 14}});
      }
      (*store)->Put(ChunksKey(r.document_id), nlohmann::json{{"chunks", chunks}}.dump());
      // The chunk view pages through the index (what the load stage wrote).
      std::vector<IndexedChunk> indexed;
      for (int c = 0; c < 60; ++c) {
        IndexedChunk ic;
        ic.chunk_id = fmt::format("{}:{}:{}", r.document_id, r.processing_version, c);
        ic.document_id = r.document_id;
        ic.processing_version = r.processing_version;
        ic.source_key = key;
        ic.text = fmt::format("Chunk {} of {}: the pump, the valve and the manual.", c, key);
        ic.breadcrumbs = {"Manual", fmt::format("Chapter {}", c / 10)};
        ic.page_start = ic.page_end = 1 + c / 2;
        ic.type = "text";
        ic.language = "en";
        ic.vector.assign(kIndexDimension, 0.0f);
        ic.vector[static_cast<size_t>(c) % kIndexDimension] = 1.0f;
        indexed.push_back(std::move(ic));
      }
      if (Status st = (*index)->ReplaceDocument(r.document_id, r.processing_version, indexed); !st.ok()) {
        std::fprintf(stderr, "%s\n", st.ToString().c_str());
        return 1;
      }
    }
    if ((i + 1) % 1000 == 0) std::fprintf(stderr, "%d documents\n", i + 1);
  }
  metrics->get()->Add(today, kMetricTokens, 12'345'678);
  metrics->get()->Add(today, "cost_usd", 0.25);
  for (int w = 0; w < 4; ++w) {
    const std::string id = fmt::format("worker-{}:{}", w, 100 + w);
    metrics->get()->Set(today, std::string(kWorkerMetricPrefix) + id + "#seen_ms", static_cast<double>(now));
    metrics->get()->Set(today, std::string(kWorkerMetricPrefix) + id + "#threads", 4);
  }
  std::printf("%d documents in %s\n", n, workspace.c_str());
  return 0;
}
