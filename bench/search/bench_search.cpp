// Builds LocalVectorIndex instances of synthetic chunks (512-d clustered
// vectors, Zipfian text) in a temp dir and reports build time and query
// latency percentiles per search mode. See docs/benchmarks.md.
//
// Usage: bench_search [--sizes 10000,100000] [--dim 512] [--queries 300] [--k 10]
//                     [--chunks-per-doc 50] [--ef-search 64] [--ef-construction 200]
//                     [--keep DIR]
// --keep DIR builds each size's index as the index of a docpipe workspace,
// DIR/<size>/ws/index, kept after the run and reused by the next one (built
// only when DIR/<size>/ws/index/built is missing), and writes query texts
// for whole-process runs to DIR/<size>/queries-{content,zipf}.txt.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/sqlite_db.h"
#include "index/bm25_search.h"
#include "index/local_vector_index.h"
#include "index/vector_index.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// This process's CPU time in ms (all its threads: a hybrid search runs its
// dense leg on a thread of its own; nothing else runs meanwhile). On a shared
// machine CPU time moves far less than wall time.
double ProcessCpuMs() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

struct Args {
  std::vector<int> sizes = {10000, 100000};
  int dim = 512;
  int queries = 300;
  int k = 10;
  int chunks_per_doc = 50;
  int ef_search = 64;
  int ef_construction = 200;
  std::string keep;  // empty: a temp dir, removed after the run
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    std::string val = argv[i + 1];
    if (key == "--sizes") {
      a.sizes.clear();
      std::stringstream ss(val);
      std::string item;
      while (std::getline(ss, item, ',')) a.sizes.push_back(std::stoi(item));
    } else if (key == "--dim") {
      a.dim = std::stoi(val);
    } else if (key == "--queries") {
      a.queries = std::stoi(val);
    } else if (key == "--k") {
      a.k = std::stoi(val);
    } else if (key == "--chunks-per-doc") {
      a.chunks_per_doc = std::stoi(val);
    } else if (key == "--ef-search") {
      a.ef_search = std::stoi(val);
    } else if (key == "--ef-construction") {
      a.ef_construction = std::stoi(val);
    } else if (key == "--keep") {
      a.keep = val;
    } else {
      fmt::print(stderr, "unknown flag {}\n", key);
      std::exit(2);
    }
  }
  return a;
}

// Pronounceable pseudo-words, distinct, so the porter stemmer and unicode61
// see ordinary lowercase ASCII words.
std::vector<std::string> MakeVocabulary(int n, std::mt19937& rng) {
  static const char* kOnsets[] = {"b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
                                  "br", "st", "tr", "pl", "gr", "sh", "ch", "th"};
  static const char* kVowels[] = {"a", "e", "i", "o", "u", "ai", "ea", "ou", "io"};
  std::vector<std::string> words;
  std::set<std::string> seen;
  std::uniform_int_distribution<int> onset(0, std::size(kOnsets) - 1);
  std::uniform_int_distribution<int> vowel(0, std::size(kVowels) - 1);
  std::uniform_int_distribution<int> syllables(1, 4);
  while (static_cast<int>(words.size()) < n) {
    std::string w;
    for (int s = syllables(rng); s > 0; --s) w += std::string(kOnsets[onset(rng)]) + kVowels[vowel(rng)];
    w += kOnsets[onset(rng)];
    if (seen.insert(w).second) words.push_back(w);
  }
  return words;
}

// Samples ranks with P(r) proportional to 1 / r^s (r = 1..n).
class Zipf {
 public:
  Zipf(int n, double s) : cdf_(n) {
    double sum = 0;
    for (int r = 1; r <= n; ++r) cdf_[r - 1] = (sum += 1.0 / std::pow(r, s));
    for (double& c : cdf_) c /= sum;
  }
  int operator()(std::mt19937& rng) {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<int>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

// Vectors around a few hundred random centres: closer to embeddings than
// uniform noise, which has no neighbourhood structure at all.
class VectorSource {
 public:
  VectorSource(int dim, int centres, std::mt19937& rng) : dim_(dim) {
    for (int c = 0; c < centres; ++c) centres_.push_back(Gaussian(rng, 1.0f));
  }
  std::vector<float> Next(std::mt19937& rng) {
    const auto& c = centres_[std::uniform_int_distribution<size_t>(0, centres_.size() - 1)(rng)];
    std::vector<float> v = Gaussian(rng, 0.6f);
    for (int i = 0; i < dim_; ++i) v[i] += c[i];
    return v;
  }

 private:
  std::vector<float> Gaussian(std::mt19937& rng, float sigma) {
    std::normal_distribution<float> normal(0, sigma);
    std::vector<float> v(dim_);
    for (float& x : v) x = normal(rng);
    return v;
  }
  int dim_;
  std::vector<std::vector<float>> centres_;
};

struct Latency {
  double p50, p95, mean;
};

Latency Summarize(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double m : ms) sum += m;
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; };
  return {at(0.50), at(0.95), sum / ms.size()};
}

// "VmRSS" or "VmHWM" of this process in MB.
double ProcStatusMb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024;
  }
  return 0;
}

int Run(const Args& args, int size) {
  std::mt19937 rng(12345 + size);
  const int vocab_size = 5000;
  std::vector<std::string> vocab = MakeVocabulary(vocab_size, rng);
  Zipf zipf(vocab_size, 1.07);
  VectorSource vectors(args.dim, 256, rng);

  const bool kept = !args.keep.empty();
  const std::string root = kept ? fmt::format("{}/{}", args.keep, size) : std::string();
  std::string base = kept ? root + "/ws/index"
                          : std::string(std::filesystem::temp_directory_path() /
                                        fmt::format("bench_search_{}_{}", size, ::getpid()));
  const bool reuse = kept && std::filesystem::exists(base + "/built");
  if (!reuse) std::filesystem::remove_all(base);
  std::filesystem::create_directories(base);
  docpipe::LocalVectorIndexOptions options;
  options.directory = base;
  options.dimension = args.dim;
  options.hnsw_ef_search = args.ef_search;
  options.hnsw_ef_construction = args.ef_construction;

  auto t0 = Clock::now();
  double words_total = 0;
  if (!reuse) {
    auto index = docpipe::NewLocalVectorIndex(options);
    if (!index.ok()) {
      fmt::print(stderr, "open: {}\n", index.status().ToString());
      return 1;
    }
    std::uniform_int_distribution<int> length(60, 180);  // words per chunk (~100-300 tokens)
    for (int start = 0, d = 0; start < size; start += args.chunks_per_doc, ++d) {
      std::string doc = fmt::format("doc{:06d}", d);
      std::vector<docpipe::IndexedChunk> chunks;
      for (int i = 0; i < args.chunks_per_doc && start + i < size; ++i) {
        docpipe::IndexedChunk c;
        c.chunk_id = fmt::format("{}:000001:{}", doc, i);
        c.document_id = doc;
        c.processing_version = "000001";
        c.source_key = "input/" + doc + ".pdf";
        int n = length(rng);
        words_total += n;
        for (int w = 0; w < n; ++w) {
          if (w) c.text += ' ';
          c.text += vocab[zipf(rng)];
        }
        c.breadcrumbs = {vocab[zipf(rng)], vocab[zipf(rng)]};
        c.key_phrases = {vocab[zipf(rng)] + " " + vocab[zipf(rng)]};
        c.type = "text";
        c.language = "en";
        c.page_start = c.page_end = i / 3 + 1;
        c.vector = vectors.Next(rng);
        chunks.push_back(std::move(c));
      }
      docpipe::Status s = (*index)->ReplaceDocument(doc, "000001", chunks);
      if (!s.ok()) {
        fmt::print(stderr, "replace {}: {}\n", doc, s.ToString());
        return 1;
      }
    }
  } else {
    // The same draws as a build, so that queries follow the same sequence.
    std::uniform_int_distribution<int> length(60, 180);
    for (int i = 0; i < size; ++i) {
      int n = length(rng);
      words_total += n;
      for (int w = 0; w < n + 4; ++w) zipf(rng);
      vectors.Next(rng);
    }
  }  // closing saves hnsw.bin
  auto t1 = Clock::now();
  if (kept && !reuse) std::ofstream(base + "/built") << size << "\n";
  const double rss_before_open = ProcStatusMb("VmRSS");
  auto index = docpipe::NewLocalVectorIndex(options);
  auto t2 = Clock::now();
  if (!index.ok()) {
    fmt::print(stderr, "reopen: {}\n", index.status().ToString());
    return 1;
  }
  // The keyword search's term statistics, as the last write left them; an
  // index built before they existed gets them here, timed (what its next
  // write would spend).
  {
    auto db = docpipe::SqliteDb::Open(base + "/index.db");
    auto due = db.ok() ? docpipe::TermStatisticsDue(**db) : docpipe::Result<bool>(db.status());
    if (!due.ok()) {
      fmt::print(stderr, "term statistics: {}\n", due.status().ToString());
      return 1;
    }
    if (*due) {
      const double cpu_a = ProcessCpuMs();
      auto a = Clock::now();
      docpipe::Status s = docpipe::RefreshTermStatistics(**db);
      if (!s.ok()) {
        fmt::print(stderr, "term statistics: {}\n", s.ToString());
        return 1;
      }
      fmt::print("term statistics refreshed: {:.2f} s wall, {:.2f} s CPU\n", Seconds(a, Clock::now()),
                 (ProcessCpuMs() - cpu_a) / 1000);
    } else {
      fmt::print("term statistics current (kept by the build's writes)\n");
    }
  }
  auto stats = (*index)->Stats();
  uintmax_t db_bytes = std::filesystem::file_size(base + "/index.db");
  uintmax_t bin_bytes = std::filesystem::file_size(base + "/hnsw.bin");
  fmt::print("## {} chunks ({} documents, dim {}, {:.0f} words/chunk avg)\n", stats->chunks, stats->documents,
             args.dim, words_total / size);
  if (reuse) {
    fmt::print("reused {} (built earlier); reopen (load hnsw.bin): {:.2f} s\n", base, Seconds(t1, t2));
  } else {
    fmt::print("build (ingest + close/save): {:.1f} s ({:.0f} chunks/s); reopen (load hnsw.bin): {:.2f} s\n",
               Seconds(t0, t1), size / Seconds(t0, t1), Seconds(t1, t2));
  }
  fmt::print("index.db {:.0f} MB, hnsw.bin {:.0f} MB\n", db_bytes / 1e6, bin_bytes / 1e6);

  // Content-word queries: 3 words from vocabulary ranks >= 100 (a query
  // rarely consists of the commonest words). Stopword queries: 3 words drawn
  // from the same Zipf distribution as the text, the worst case for BM25.
  std::uniform_int_distribution<int> content(100, vocab_size - 1);
  if (kept) {
    // Query texts for `docpipe search` against the kept workspace, drawn
    // from their own generator so that in-process queries stay the same.
    std::mt19937 qrng(777);
    std::ofstream content_out(root + "/queries-content.txt");
    std::ofstream zipf_out(root + "/queries-zipf.txt");
    for (int q = 0; q < 100; ++q) {
      for (int w = 0; w < 3; ++w) content_out << (w ? " " : "") << vocab[content(qrng)];
      for (int w = 0; w < 3; ++w) zipf_out << (w ? " " : "") << vocab[zipf(qrng)];
      content_out << "\n";
      zipf_out << "\n";
    }
  }
  struct Mode {
    const char* name;
    docpipe::SearchMode mode;
    bool stopwords;
  };
  const Mode modes[] = {{"hybrid", docpipe::SearchMode::kHybrid, false},
                        {"vector", docpipe::SearchMode::kVector, false},
                        {"keyword", docpipe::SearchMode::kKeyword, false},
                        {"hybrid (Zipf words)", docpipe::SearchMode::kHybrid, true},
                        {"keyword (Zipf words)", docpipe::SearchMode::kKeyword, true}};
  fmt::print("| mode | p50 ms | p95 ms | mean ms | CPU p50 ms | CPU p95 ms |\n| --- | --- | --- | --- | --- | --- |\n");
  for (const Mode& m : modes) {
    std::vector<double> ms;
    std::vector<double> cpu_ms;
    for (int q = 0; q < args.queries + 20; ++q) {
      docpipe::SearchQuery query;
      query.mode = m.mode;
      query.k = args.k;
      for (int w = 0; w < 3; ++w) query.text += vocab[m.stopwords ? zipf(rng) : content(rng)] + " ";
      if (m.mode != docpipe::SearchMode::kKeyword) query.vector = vectors.Next(rng);
      const double cpu_a = ProcessCpuMs();
      auto a = Clock::now();
      auto hits = (*index)->Search(query);
      auto b = Clock::now();
      const double cpu_b = ProcessCpuMs();
      if (!hits.ok()) {
        fmt::print(stderr, "search: {}\n", hits.status().ToString());
        return 1;
      }
      if (q >= 20) {  // the first 20 warm caches
        ms.push_back(Seconds(a, b) * 1e3);
        cpu_ms.push_back(cpu_b - cpu_a);
      }
    }
    Latency l = Summarize(ms);
    Latency c = Summarize(cpu_ms);
    fmt::print("| {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} |\n", m.name, l.p50, l.p95, l.mean, c.p50, c.p95);
  }
  fmt::print("RSS: {:.0f} MB before reopening, {:.0f} MB after the queries (peak {:.0f} MB; of it mapped files {:.0f} MB,"
             " anonymous {:.0f} MB)\n",
             rss_before_open, ProcStatusMb("VmRSS"), ProcStatusMb("VmHWM"), ProcStatusMb("RssFile"),
             ProcStatusMb("RssAnon"));
  index->reset();
  if (!kept) std::filesystem::remove_all(base);
  fmt::print("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = Parse(argc, argv);
  for (int size : args.sizes) {
    if (int rc = Run(args, size); rc != 0) return rc;
  }
  return 0;
}
