// Request packing and rate limiting of the OpenAI embeddings adapter.
//
// Real chunk texts (PDFs extracted and chunked as the pipeline does, each
// embedded with its heading path) are repeated with a varying prefix up to
// --chunks inputs and embedded through NewOpenAiEmbedder against the fake
// OpenAI server of the unit tests, which counts tokens exactly, rejects
// requests over OpenAI's documented limits and enforces --tpm / --rpm with
// OpenAI-style token buckets (429 + x-ratelimit-* headers when exceeded).
//
// Time: the adapter and the fake share a clock that runs --time-scale times
// faster than real time, so a run that takes minutes at a realistic
// tokens/min budget finishes in seconds; HTTP, JSON and tokenizing run at
// real speed. "virtual" figures are what the run would take at that budget.
//
// Usage: bench_openai_requests [--chunks N] [--tpm N] [--rpm N] [--time-scale K]
//                              [--concurrency N] FILE.pdf...
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "chunk/chunker.h"
#include "embed/openai_embedder.h"
#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "http/curl_http_client.h"
#include "http/http_client.h"
#include "pipeline/stage_contracts.h"
#include "tokenize/bpe_tokenizer.h"
#include "unit/embed/fake_openai_server.h"

namespace {

using namespace docpipe;

// A clock `scale` times faster than the steady clock, shared by the adapter
// and the fake so that both see the same (virtual) minutes.
class ScaledClock final : public Clock {
 public:
  explicit ScaledClock(double scale) : scale_(scale), start_(std::chrono::steady_clock::now()) {}
  TimeMs NowMs() const override {
    const double real_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
    return kEpoch + static_cast<TimeMs>(real_ms * scale_);
  }
  int64_t MonotonicMs() const override { return NowMs(); }
  void SleepMs(int64_t ms) override {
    if (ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ms / scale_));
  }
  bool WaitFor(int64_t ms, StopSignal& stop) override {
    return stop.Await([] { return true; }, ms > 0 ? static_cast<int64_t>(ms / scale_) : 0);
  }

 private:
  static constexpr TimeMs kEpoch = 1795323310000;
  double scale_;
  std::chrono::steady_clock::time_point start_;
};

struct Flags {
  size_t chunks = 10000;
  int64_t tpm = 1'000'000;  // OpenAI's tier-1 tokens/min for text-embedding-3-small
  int64_t rpm = 3000;
  double time_scale = 20;
  int concurrency = 4;
  std::vector<std::string> files;
};

bool ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--chunks" && (v = next())) {
      f.chunks = std::strtoull(v, nullptr, 10);
    } else if (a == "--tpm" && (v = next())) {
      f.tpm = std::strtoll(v, nullptr, 10);
    } else if (a == "--rpm" && (v = next())) {
      f.rpm = std::strtoll(v, nullptr, 10);
    } else if (a == "--time-scale" && (v = next())) {
      f.time_scale = std::strtod(v, nullptr);
    } else if (a == "--concurrency" && (v = next())) {
      f.concurrency = std::atoi(v);
    } else if (a.rfind("--", 0) == 0) {
      return false;
    } else {
      f.files.push_back(a);
    }
  }
  return !f.files.empty() && f.chunks > 0 && f.time_scale > 0;
}

// Embedding inputs of the files' chunks, as the embed stage builds them.
Result<std::vector<std::string>> ChunkTexts(const std::vector<std::string>& files,
                                            const Tokenizer& tokenizer) {
  ExtractorPtr pdf = NewPdfExtractor();
  std::vector<std::string> out;
  for (size_t d = 0; d < files.size(); ++d) {
    std::vector<ExtractedPage> pages;
    Result<ExtractSummary> r = pdf->Extract(files[d], files[d], {}, [&](ExtractedPage&& p) {
      pages.push_back(std::move(p));
      return Status::Ok();
    });
    if (!r.ok()) return r.status();
    Result<std::vector<Chunk>> chunks =
        ChunkDocument("doc" + std::to_string(d), "000001", pages, tokenizer, {});
    if (!chunks.ok()) return chunks.status();
    for (const Chunk& c : *chunks) out.push_back(EmbeddingInput(c));
  }
  return out;
}

struct Row {
  std::string name;
  size_t inputs = 0;
  int64_t tokens = 0;
  int64_t requests = 0, min_requests = 0, attempts = 0, throttled = 0, violations = 0, limiter_waits = 0;
  double wall_s = 0, virtual_min = 0;
  bool ok = true;
  std::string error;
};

// One run on a fresh fake (full buckets) and a fresh adapter; `slice` > 0
// calls Embed with that many texts at a time, as the embed stage does with
// its batch_size.
Row Run(const std::string& name, const std::vector<std::string>& texts, int64_t total_tokens, const Flags& f,
        bool client_limiter, size_t slice) {
  ScaledClock clock(f.time_scale);
  testing::FakeOpenAiOptions so;
  so.tokens_per_minute = f.tpm;
  so.requests_per_minute = f.rpm;
  so.record_bodies = false;
  testing::FakeOpenAiServer server(clock, so);
  HttpClientPtr http = NewCurlHttpClient();
  OpenAiEmbedderOptions o;
  o.base_url = server.base_url();
  o.api_key = so.api_key;
  o.concurrency = f.concurrency;
  o.tokens_per_minute = client_limiter ? f.tpm : 0;
  o.requests_per_minute = client_limiter ? f.rpm : 0;
  o.retry.max_attempts = 10;
  Row row;
  row.name = name;
  row.inputs = texts.size();
  row.tokens = total_tokens;
  row.min_requests = std::max<int64_t>((texts.size() + 2047) / 2048, (total_tokens + 299999) / 300000);
  Result<EmbedderPtr> made = NewOpenAiEmbedder(*http, clock, o);
  if (!made.ok()) {
    row.ok = false;
    row.error = made.status().ToString();
    return row;
  }
  auto* e = dynamic_cast<OpenAiEmbedder*>(made->get());
  const TimeMs v0 = clock.NowMs();
  const auto t0 = std::chrono::steady_clock::now();
  const size_t step = slice > 0 ? slice : texts.size();
  for (size_t i = 0; i < texts.size() && row.ok; i += step) {
    std::vector<std::string> part(texts.begin() + i, texts.begin() + std::min(texts.size(), i + step));
    Result<EmbeddingBatch> got = e->Embed(part);
    if (!got.ok()) {
      row.ok = false;
      row.error = got.status().ToString();
    } else if (got->vectors.size() != part.size()) {
      row.ok = false;
      row.error = "wrong number of vectors";
    }
  }
  row.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  row.virtual_min = static_cast<double>(clock.NowMs() - v0) / 60000.0;
  const OpenAiEmbedderStats s = e->Stats();
  row.requests = s.requests;
  row.attempts = s.attempts;
  row.throttled = server.throttled();
  row.violations = static_cast<int64_t>(server.violations().size());
  row.limiter_waits = s.limiter_waits;
  if (s.tokens != total_tokens && row.ok) {
    row.ok = false;
    row.error = "billed tokens " + std::to_string(s.tokens) + " != counted " + std::to_string(total_tokens);
  }
  made->reset();
  http.reset();  // closes kept-alive connections before the fake stops
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, f)) {
    std::fprintf(
        stderr,
        "usage: bench_openai_requests [--chunks N] [--tpm N] [--rpm N] [--time-scale K] [--concurrency N] "
        "FILE.pdf...\n");
    return 2;
  }
  Result<BpeTokenizerPtr> tok = OpenBpeTokenizer("cl100k_base");
  if (!tok.ok()) {
    std::fprintf(stderr, "%s\n", tok.status().ToString().c_str());
    return 1;
  }
  Result<std::vector<std::string>> base = ChunkTexts(f.files, **tok);
  if (!base.ok() || base->empty()) {
    std::fprintf(stderr, "chunking failed: %s\n", base.ok() ? "no chunks" : base.status().ToString().c_str());
    return 1;
  }
  // Repeat the real chunks up to --chunks; copies get a varying prefix so
  // that no two inputs are the same text.
  std::vector<std::string> texts;
  texts.reserve(f.chunks);
  for (size_t i = 0; i < f.chunks; ++i) {
    const size_t round = i / base->size();
    const std::string& t = (*base)[i % base->size()];
    texts.push_back(round == 0 ? t : "[copy " + std::to_string(round) + "] " + t);
  }
  std::vector<int64_t> counts;
  int64_t total = 0;
  for (const std::string& t : texts) {
    counts.push_back(static_cast<int64_t>((*tok)->Count(t)));
    total += counts.back();
  }
  std::vector<int64_t> sorted = counts;
  std::sort(sorted.begin(), sorted.end());
  std::printf(
      "inputs: %zu (%zu real chunks from %zu PDFs, repeated); tokens (cl100k_base): total %lld, mean %.0f, "
      "p50 %lld, p95 %lld, max %lld\n",
      texts.size(), base->size(), f.files.size(), static_cast<long long>(total),
      static_cast<double>(total) / texts.size(), static_cast<long long>(sorted[sorted.size() / 2]),
      static_cast<long long>(sorted[sorted.size() * 95 / 100]), static_cast<long long>(sorted.back()));
  std::printf(
      "limits: 2048 inputs and 300000 tokens per request; fake enforces %lld tokens/min, %lld requests/min; "
      "concurrency %d; clock x%.0f\n\n",
      static_cast<long long>(f.tpm), static_cast<long long>(f.rpm), f.concurrency, f.time_scale);

  std::vector<Row> rows;
  rows.push_back(Run("steady (client limiter on)", texts, total, f, true, 0));
  rows.push_back(Run("client limiter off", texts, total, f, false, 0));
  rows.push_back(Run("Embed per 256 texts (stage batch_size)", texts, total, f, true, 256));

  // The fake's bucket starts full (one minute's budget); the rest comes at --tpm.
  const double bound_min = std::max(0.0, static_cast<double>(total - f.tpm) / static_cast<double>(f.tpm));
  std::printf(
      "| run | requests | minimum | packing efficiency | attempts | 429s | limit violations | "
      "limiter waits | wall s | virtual min (bound %.2f) | tokens/min (virtual) |\n",
      bound_min);
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  int rc = 0;
  for (const Row& r : rows) {
    if (!r.ok) {
      std::printf("| %s | FAILED: %s |\n", r.name.c_str(), r.error.c_str());
      rc = 1;
      continue;
    }
    std::printf("| %s | %lld | %lld | %.3f | %lld | %lld | %lld | %lld | %.2f | %.2f | %.0f |\n",
                r.name.c_str(), static_cast<long long>(r.requests), static_cast<long long>(r.min_requests),
                static_cast<double>(r.min_requests) / static_cast<double>(r.requests),
                static_cast<long long>(r.attempts), static_cast<long long>(r.throttled),
                static_cast<long long>(r.violations), static_cast<long long>(r.limiter_waits), r.wall_s,
                r.virtual_min, static_cast<double>(r.tokens) / r.virtual_min);
  }
  return rc;
}
