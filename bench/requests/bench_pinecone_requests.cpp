// How well the Pinecone adapter packs upserts: it loads N chunks (real text
// from PDFs through docpipe's extractor, chunker and enricher, or synthetic
// text of 1-4 KB) with 512- and 1536-d vectors into the fake Pinecone of the
// unit tests (tests/unit/index/fake_pinecone.h, which rejects any request over
// Pinecone's limits) over loopback HTTP, and compares the upsert requests sent
// with the theoretical minimum max(ceil(n/1000), ceil(bytes/2 MiB)).
//
// Usage: bench_pinecone_requests [--chunks 10000] [--dims 512,1536]
//                                [--pdf-dir /usr/share/doc/glpk-doc] [--synthetic]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "chunk/chunker.h"
#include "common/clock.h"
#include "common/hash.h"
#include "enrich/enricher.h"
#include "enrich/local_enricher.h"
#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "http/curl_http_client.h"
#include "http/http_client.h"
#include "index/pinecone_vector_index.h"
#include "tokenize/bpe_tokenizer.h"
#include "unit/index/fake_pinecone.h"

namespace {

using namespace docpipe;
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kMaxBytes = 2 * 1024 * 1024;
constexpr size_t kMaxVectors = 1000;

struct Args {
  int chunks = 10000;
  std::vector<int> dims = {512, 1536};
  std::string pdf_dir = "/usr/share/doc/glpk-doc";
  bool synthetic = false;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (key == "--synthetic") {
      a.synthetic = true;
      continue;
    }
    if (i + 1 >= argc) {
      fmt::print(stderr, "{} needs a value\n", key);
      std::exit(2);
    }
    const std::string val = argv[++i];
    if (key == "--chunks") {
      a.chunks = std::stoi(val);
    } else if (key == "--dims") {
      a.dims.clear();
      std::stringstream ss(val);
      std::string item;
      while (std::getline(ss, item, ',')) a.dims.push_back(std::stoi(item));
    } else if (key == "--pdf-dir") {
      a.pdf_dir = val;
    } else {
      fmt::print(stderr, "unknown flag {}\n", key);
      std::exit(2);
    }
  }
  return a;
}

// One source document: its chunks without vectors.
struct SourceDoc {
  std::string name;
  std::vector<IndexedChunk> chunks;
};

Result<SourceDoc> FromPdf(const std::string& path, const Tokenizer& tokenizer, Enricher& enricher) {
  ExtractorPtr extractor = NewPdfExtractor();
  std::vector<ExtractedPage> pages;
  auto summary = extractor->Extract(path, path, {}, [&](ExtractedPage&& p) {
    pages.push_back(std::move(p));
    return Status::Ok();
  });
  if (!summary.ok()) return summary.status();
  SourceDoc doc;
  doc.name = std::filesystem::path(path).stem().string();
  auto chunks = ChunkDocument(doc.name, "000001", pages, tokenizer, ChunkOptions{});
  if (!chunks.ok()) return chunks.status();
  std::vector<EnrichInput> inputs;
  for (const Chunk& c : *chunks) inputs.push_back({c.chunk_id, c.text});
  auto enriched = enricher.Enrich(inputs, EnrichOptions{});
  if (!enriched.ok()) return enriched.status();
  for (size_t i = 0; i < chunks->size(); ++i) {
    const Chunk& c = (*chunks)[i];
    const ChunkEnrichment& e = (*enriched)[i];
    IndexedChunk ic;
    ic.source_key = "input/glpk-doc/" + std::filesystem::path(path).filename().string();
    ic.text = c.text;
    ic.breadcrumbs = c.breadcrumbs;
    ic.page_start = c.page_start;
    ic.page_end = c.page_end;
    ic.type = c.type;
    // As the load stage does: five key phrases, the top language, PII types.
    for (size_t k = 0; k < e.key_phrases.size() && k < 5; ++k) ic.key_phrases.push_back(e.key_phrases[k].text);
    if (!e.languages.empty()) ic.language = e.languages.front().language_code;
    std::set<std::string> pii;
    for (const Entity& p : e.pii_entities) pii.insert(p.type);
    ic.pii_types.assign(pii.begin(), pii.end());
    doc.chunks.push_back(std::move(ic));
  }
  return doc;
}

// Documents of 50-400 chunks of 1-4 KB of word-like text.
std::vector<SourceDoc> Synthetic(int n) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> bytes(1024, 4096), doc_size(50, 400), letter(0, 25), word_len(2, 10);
  std::vector<SourceDoc> docs;
  int made = 0;
  while (made < n) {
    SourceDoc d;
    d.name = fmt::format("synthetic-{:03d}", docs.size());
    const int size = doc_size(rng);
    for (int i = 0; i < size; ++i) {
      IndexedChunk c;
      c.source_key = "input/synthetic/" + d.name + ".pdf";
      const int target = bytes(rng);
      while (static_cast<int>(c.text.size()) < target) {
        const int len = word_len(rng);
        for (int k = 0; k < len; ++k) c.text.push_back(static_cast<char>('a' + letter(rng)));
        c.text.push_back(c.text.size() % 97 < 8 ? '\n' : ' ');
      }
      c.breadcrumbs = {"Reference Manual", fmt::format("Chapter {}", i / 40 + 1), fmt::format("Section {}", i / 8 + 1)};
      c.page_start = i / 2 + 1;
      c.page_end = c.page_start + i % 2;
      c.type = i % 11 == 0 ? "table" : "text";
      c.key_phrases = {"linear programming", "simplex method", "basic solution"};
      c.language = "en";
      d.chunks.push_back(std::move(c));
    }
    made += size;
    docs.push_back(std::move(d));
  }
  return docs;
}

// N chunks as documents: the sources in turn, each copy a document of its
// own (ids as docpipe makes them), the last one cut to reach N.
std::vector<std::pair<std::string, std::vector<IndexedChunk>>> Workload(const std::vector<SourceDoc>& sources, int n) {
  std::vector<std::pair<std::string, std::vector<IndexedChunk>>> docs;
  int total = 0;
  for (int copy = 0; total < n; ++copy) {
    for (const SourceDoc& s : sources) {
      if (total >= n) break;
      const std::string doc_id = fmt::format("{}-{}", s.name, Sha256Hex(fmt::format("{}#{}", s.name, copy)).substr(0, 12));
      std::vector<IndexedChunk> chunks;
      for (size_t i = 0; i < s.chunks.size() && total < n; ++i, ++total) {
        IndexedChunk c = s.chunks[i];
        c.document_id = doc_id;
        c.processing_version = "000001";
        c.chunk_id = fmt::format("{}:000001:{}", doc_id, i);
        chunks.push_back(std::move(c));
      }
      docs.emplace_back(doc_id, std::move(chunks));
    }
  }
  return docs;
}

// Unit vectors with Gaussian components, like a real embedding model's
// (their decimal text, most of an upsert's bytes, has the same length).
void AddVectors(std::vector<std::pair<std::string, std::vector<IndexedChunk>>>& docs, int dim) {
  std::mt19937 rng(static_cast<unsigned>(dim));
  std::normal_distribution<float> normal;
  for (auto& [_, chunks] : docs) {
    for (IndexedChunk& c : chunks) {
      c.vector.resize(dim);
      double sum = 0;
      for (float& x : c.vector) {
        x = normal(rng);
        sum += static_cast<double>(x) * x;
      }
      for (float& x : c.vector) x = static_cast<float>(x / std::sqrt(sum));
    }
  }
}

size_t CeilDiv(size_t a, size_t b) { return (a + b - 1) / b; }

struct Outcome {
  std::string scenario;
  int dim = 0;
  size_t chunks = 0, docs = 0, requests = 0, min_global = 0, min_per_doc = 0;
  size_t body_bytes = 0, max_body = 0, lists = 0, deletes = 0;
  double seconds = 0;
};

// Loads `docs` (each a ReplaceDocument, or all chunks in one when `one_call`)
// into a fresh fake; exits on an error or a broken limit.
Outcome Run(const std::string& scenario, const std::vector<std::pair<std::string, std::vector<IndexedChunk>>>& docs,
            int dim, HttpClient& http, Clock& clock) {
  testing::FakePineconeOptions fo;
  fo.dimension = dim;
  fo.store_values = false;
  testing::FakePinecone fake(fo);
  PineconeOptions o;
  o.api_key = fo.api_key;
  o.index_name = fo.index_name;
  o.controller_host = fake.url();
  o.dimension = dim;
  o.namespace_ = "bench";
  auto index = NewPineconeVectorIndex(http, clock, o);
  if (!index.ok()) {
    fmt::print(stderr, "open: {}\n", index.status().ToString());
    std::exit(1);
  }
  // The envelope each request repeats; see the minimum below.
  const size_t envelope = std::string(R"({"vectors":[],"namespace":"bench"})").size();
  Outcome out;
  out.scenario = scenario;
  out.dim = dim;
  out.docs = docs.size();
  const auto t0 = SteadyClock::now();
  for (const auto& [doc_id, chunks] : docs) {
    const size_t before = fake.upsert_sizes().size();
    Status s = (*index)->ReplaceDocument(doc_id, "000001", chunks);
    if (!s.ok()) {
      fmt::print(stderr, "{}: {}\n", doc_id, s.ToString());
      std::exit(1);
    }
    const auto sizes = fake.upsert_sizes();
    size_t bytes = 0;
    for (size_t i = before; i < sizes.size(); ++i) bytes += sizes[i].bytes;
    const size_t requests = sizes.size() - before;
    // The bytes of all this document's records in one body: the sum of the
    // bodies less the envelopes and separators of the extra requests.
    const size_t one_body = bytes - (requests - 1) * (envelope - 1);
    out.min_per_doc += std::max(CeilDiv(chunks.size(), kMaxVectors), CeilDiv(one_body, kMaxBytes));
    out.chunks += chunks.size();
  }
  out.seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  const auto sizes = fake.upsert_sizes();
  out.requests = sizes.size();
  for (const auto& s : sizes) {
    out.body_bytes += s.bytes;
    out.max_body = std::max(out.max_body, s.bytes);
  }
  const size_t one_body = out.body_bytes - (out.requests - 1) * (envelope - 1);
  out.min_global = std::max(CeilDiv(out.chunks, kMaxVectors), CeilDiv(one_body, kMaxBytes));
  out.lists = fake.requests("GET /vectors/list").size();
  out.deletes = fake.requests("POST /vectors/delete").size();
  for (const auto& v : fake.violations()) fmt::print(stderr, "LIMIT BROKEN: {}\n", v);
  if (!fake.violations().empty()) std::exit(1);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  std::vector<SourceDoc> sources;
  std::string corpus;
  if (!args.synthetic) {
    std::vector<std::string> pdfs;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(args.pdf_dir, ec)) {
      if (e.path().extension() == ".pdf") pdfs.push_back(e.path().string());
    }
    std::sort(pdfs.begin(), pdfs.end());
    auto tokenizer = NewBpeTokenizer("cl100k_base");
    EnricherPtr enricher = NewLocalEnricher();
    for (const auto& p : pdfs) {
      if (!tokenizer.ok()) break;
      auto doc = FromPdf(p, **tokenizer, *enricher);
      if (!doc.ok()) {
        fmt::print(stderr, "skipping {}: {}\n", p, doc.status().ToString());
        continue;
      }
      corpus += fmt::format("{}{} ({} chunks)", corpus.empty() ? "" : ", ", doc->name, doc->chunks.size());
      sources.push_back(std::move(*doc));
    }
    if (sources.empty()) fmt::print(stderr, "no PDFs read in {}: synthetic text instead\n", args.pdf_dir);
  }
  if (sources.empty()) {
    sources = Synthetic(args.chunks);
    corpus = fmt::format("synthetic, {} documents of 50-400 chunks of 1-4 KB", sources.size());
  }
  auto docs = Workload(sources, args.chunks);
  size_t text_bytes = 0, chunks = 0;
  for (const auto& [_, cs] : docs) {
    for (const auto& c : cs) text_bytes += c.text.size();
    chunks += cs.size();
  }
  fmt::print("# bench_pinecone_requests: {} chunks in {} documents, mean text {:.0f} bytes\n", chunks, docs.size(),
             static_cast<double>(text_bytes) / std::max<size_t>(1, chunks));
  fmt::print("# corpus: {}\n", corpus);
  fmt::print("# limits: {} vectors and {} bytes per upsert, 40 KiB metadata per vector (the fake rejects more)\n\n",
             kMaxVectors, kMaxBytes);

  HttpClientPtr http = NewCurlHttpClient();
  std::unique_ptr<Clock> clock = NewSystemClock();
  std::vector<Outcome> outcomes;
  for (int dim : args.dims) {
    AddVectors(docs, dim);
    // All chunks in one ReplaceDocument: the packing alone.
    std::vector<IndexedChunk> all;
    for (const auto& [_, cs] : docs) {
      for (const auto& c : cs) all.push_back(c);
    }
    for (size_t i = 0; i < all.size(); ++i) {
      all[i].document_id = "bench-000000000000";
      all[i].chunk_id = fmt::format("bench-000000000000:000001:{}", i);
    }
    outcomes.push_back(Run("one call", {{"bench-000000000000", std::move(all)}}, dim, *http, *clock));
    // As the load stage does it: one ReplaceDocument per document.
    outcomes.push_back(Run("per document", docs, dim, *http, *clock));
  }

  fmt::print("| dim | upserts | chunks | docs | requests | minimum | efficiency | per-doc minimum | vs per-doc "
             "| mean body | max body | MB sent | list / delete calls | s |\n");
  fmt::print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Outcome& o : outcomes) {
    fmt::print("| {} | {} | {} | {} | {} | {} | {:.1f}% | {} | {:.1f}% | {:.0f} KiB | {:.0f} KiB | {:.1f} | {} / {} | {:.2f} |\n",
               o.dim, o.scenario, o.chunks, o.docs, o.requests, o.min_global,
               100.0 * static_cast<double>(o.min_global) / static_cast<double>(o.requests), o.min_per_doc,
               100.0 * static_cast<double>(o.min_per_doc) / static_cast<double>(o.requests),
               static_cast<double>(o.body_bytes) / static_cast<double>(o.requests) / 1024.0, o.max_body / 1024.0,
               static_cast<double>(o.body_bytes) / 1e6, o.lists, o.deletes, o.seconds);
  }
  fmt::print("\nminimum = max(ceil(chunks/1000), ceil(bytes/2 MiB)), bytes = all records in one body;\n"
             "per-doc minimum = the same summed over documents (one ReplaceDocument each); efficiency = minimum/requests.\n");
  return 0;
}
