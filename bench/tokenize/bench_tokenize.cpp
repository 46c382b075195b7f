// Throughput of docpipe's exact BPE tokenizer on a text file: table load
// time, single-threaded MB/s over the whole text, and MB/s of N threads
// over many ~2 KB chunks of it (as the chunk stage sees text).
// Usage: bench_tokenize ENCODING FILE [THREADS] [SECONDS]

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tokenize/bpe_tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Cuts `text` into pieces of about `size` bytes at line ends.
std::vector<std::string> Chunks(const std::string& text, size_t size) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(text.size(), start + size);
    const size_t nl = text.find('\n', end);
    end = nl == std::string::npos ? text.size() : nl + 1;
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ENCODING FILE [THREADS] [SECONDS]\n", argv[0]);
    return 2;
  }
  const std::string encoding = argv[1];
  std::ifstream in(argv[2], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const int threads = argc > 3 ? std::stoi(argv[3]) : 2;
  const double seconds = argc > 4 ? std::stod(argv[4]) : 2.0;

  const auto t_load = Clock::now();
  auto tok = docpipe::OpenBpeTokenizer(encoding);
  const double load = Since(t_load);
  if (!tok.ok()) {
    std::fprintf(stderr, "%s\n", tok.status().ToString().c_str());
    return 1;
  }
  const auto t_second = Clock::now();
  auto again = docpipe::OpenBpeTokenizer(encoding);  // shares the parsed table
  const double load_again = Since(t_second);

  size_t tokens = (*tok)->Encode(text).size();  // warm-up
  int runs = 0;
  const auto t1 = Clock::now();
  while (runs == 0 || Since(t1) < seconds) {
    tokens = (*tok)->Encode(text).size();
    ++runs;
  }
  const double single = static_cast<double>(text.size()) * runs / Since(t1) / 1e6;

  const std::vector<std::string> chunks = Chunks(text, 2048);
  std::atomic<size_t> next{0};
  std::atomic<size_t> bytes{0};
  const size_t total_jobs = chunks.size() * static_cast<size_t>(std::max(1, runs));
  const auto t2 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < total_jobs;) {
        const std::string& c = chunks[i % chunks.size()];
        (*again)->Count(c);
        bytes.fetch_add(c.size());
      }
    });
  }
  for (auto& th : pool) th.join();
  const double multi = static_cast<double>(bytes.load()) / Since(t2) / 1e6;

  std::printf("docpipe %s: %zu bytes, %zu tokens; load %.1f ms (again %.3f ms)\n", encoding.c_str(), text.size(),
              tokens, load * 1e3, load_again * 1e3);
  std::printf("docpipe %s single-thread: %.2f MB/s\n", encoding.c_str(), single);
  std::printf("docpipe %s %d threads over %zu chunks of ~2 KB: %.2f MB/s\n", encoding.c_str(), threads,
              chunks.size(), multi);
  return 0;
}
