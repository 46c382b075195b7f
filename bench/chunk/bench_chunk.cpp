// Chunks PDFs with docpipe's chunker and exact tokenizer (cl100k_base, the
// default options): each document is extracted once, then chunked ROUNDS
// times on one thread; prints the CPU time of the median round, the chunks,
// tokens, and a SHA-256 of every chunk's id, text, pages and token count, so
// two builds can be checked for the same output as well as for speed.
// With --recount the tokenizer's tallies recount the whole text each time
// (the exact reference the incremental tally must agree with).
// Usage: bench_chunk [--rounds N] [--recount] FILE.pdf...
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "chunk/chunker.h"
#include "common/hash.h"
#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "tokenize/bpe_tokenizer.h"

namespace {

// Forwards to the real tokenizer and adds up the bytes it is asked to count
// whole (tallies, which count incrementally, are the real tokenizer's).
class CountingTokenizer final : public docpipe::Tokenizer {
 public:
  CountingTokenizer(const docpipe::Tokenizer& real, bool incremental) : real_(real), incremental_(incremental) {}
  std::string Name() const override { return real_.Name(); }
  size_t Count(std::string_view text) const override {
    bytes_ += text.size();
    ++calls_;
    return real_.Count(text);
  }
  std::unique_ptr<docpipe::TokenTally> NewTally() const override {
    if (incremental_) return real_.NewTally();
    return std::make_unique<docpipe::RecountingTally>(*this);
  }
  mutable long long bytes_ = 0;
  mutable long long calls_ = 0;

 private:
  const docpipe::Tokenizer& real_;
  const bool incremental_;
};

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 3;
  int first = 1;
  bool incremental = true;
  while (first < argc && argv[first][0] == '-') {
    if (std::strcmp(argv[first], "--rounds") == 0 && first + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[first + 1]));
      first += 2;
    } else if (std::strcmp(argv[first], "--recount") == 0) {
      incremental = false;
      ++first;
    } else {
      std::fprintf(stderr, "usage: bench_chunk [--rounds N] [--recount] FILE.pdf...\n");
      return 2;
    }
  }
  auto tokenizer = docpipe::NewBpeTokenizer("cl100k_base");
  if (!tokenizer.ok()) {
    std::fprintf(stderr, "%s\n", tokenizer.status().ToString().c_str());
    return 1;
  }
  docpipe::ExtractorPtr extractor = docpipe::NewPdfExtractor();
  for (int i = first; i < argc; ++i) {
    std::vector<docpipe::ExtractedPage> pages;
    docpipe::ExtractOptions options;
    auto extracted = extractor->Extract(argv[i], argv[i], options, [&](docpipe::ExtractedPage&& p) {
      pages.push_back(std::move(p));
      return docpipe::Status::Ok();
    });
    if (!extracted.ok()) {  // reported, and the other files go on
      std::fprintf(stderr, "%s: %s\n", argv[i], extracted.status().ToString().c_str());
      continue;
    }
    CountingTokenizer counting(**tokenizer, incremental);
    std::vector<double> cpu;
    std::string digest;
    size_t chunks = 0;
    long long tokens = 0;
    for (int r = 0; r < rounds; ++r) {
      const double start = ThreadCpuSeconds();
      auto out = docpipe::ChunkDocument("doc", "000001", pages, counting, docpipe::ChunkOptions{}, 1);
      cpu.push_back(ThreadCpuSeconds() - start);
      if (!out.ok()) {
        std::fprintf(stderr, "%s: %s\n", argv[i], out.status().ToString().c_str());
        return 1;
      }
      std::string all;
      tokens = 0;
      for (const docpipe::Chunk& c : *out) {
        all += c.chunk_id + '\x1f' + c.text + '\x1f' + std::to_string(c.page_start) + '-' +
               std::to_string(c.page_end) + '\x1f' + std::to_string(c.token_count) + '\x1e';
        tokens += c.token_count;
      }
      chunks = out->size();
      digest = docpipe::Sha256Hex(all);
    }
    std::sort(cpu.begin(), cpu.end());
    long long text_bytes = 0;
    for (const docpipe::ExtractedPage& p : pages) text_bytes += static_cast<long long>(p.markdown.size());
    std::printf("%-50s pages=%5zu chunks=%5zu tokens=%8lld cpu_s=%.3f sha256=%.16s counted=%.1fx_of_%lld_bytes_in_%lld_calls\n",
                argv[i], pages.size(), chunks, tokens, cpu[cpu.size() / 2], digest.c_str(),
                static_cast<double>(counting.bytes_) / rounds / static_cast<double>(text_bytes), text_bytes,
                counting.calls_ / rounds);
  }
  return 0;
}
