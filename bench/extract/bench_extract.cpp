// Extracts PDFs with docpipe's PdfExtractor (Markdown built, nothing written)
// and prints pages, seconds, pages/s and peak RSS.
// Usage: bench_extract [--threads N] FILE.pdf...
//   N: pages read at once; 0 (the default, as docpipe's document_threads) = the cores available
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/parallel.h"
#include "extract/extractor.h"
#include "extract/extractor_registry.h"

int main(int argc, char** argv) {
  docpipe::ExtractorPtr extractor = docpipe::NewPdfExtractor();
  int64_t total_pages = 0;
  double total_s = 0;
  docpipe::ExtractOptions options;
  int first = 1;
  int threads = 0;
  if (argc > 2 && std::strcmp(argv[1], "--threads") == 0) {
    threads = std::atoi(argv[2]);
    first = 3;
  }
  options.threads = docpipe::EffectiveThreads(threads);
  for (int i = first; i < argc; ++i) {
    int64_t bytes = 0;
    auto start = std::chrono::steady_clock::now();
    auto r = extractor->Extract(argv[i], argv[i], options, [&](docpipe::ExtractedPage&& p) {
      bytes += static_cast<int64_t>(p.markdown.size());
      return docpipe::Status::Ok();
    });
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 1;
    }
    std::printf("%-50s pages=%5d  %.3f s  %.0f pages/s  %lld bytes md\n", argv[i], r->page_count, s,
                r->page_count / s, static_cast<long long>(bytes));
    total_pages += r->page_count;
    total_s += s;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("TOTAL pages=%lld  %.3f s  %.0f pages/s  peak_rss_mb=%.1f  threads=%d\n",
              static_cast<long long>(total_pages), total_s, total_pages / total_s, ru.ru_maxrss / 1024.0,
              options.threads);
  return 0;
}
