// Extracts each file given with docpipe's extractors (chosen as the extract
// stage chooses them) and reports documents/s; --print writes the Markdown
// pages to stdout instead. Usage: bench_formats [--print] [--repeat N] FILE...
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "extract/extractor_registry.h"

int main(int argc, char** argv) {
  using namespace docpipe;
  bool print = false;
  int repeat = 1;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--print") print = true;
    else if (a == "--repeat" && i + 1 < argc) repeat = std::max(1, std::atoi(argv[++i]));
    else files.push_back(a);
  }
  std::vector<ExtractorPtr> extractors = NewDefaultExtractors();
  int failures = 0;
  int64_t pages = 0, chars = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < repeat; ++r) {
    for (const std::string& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::string head(1024, '\0');
      in.read(head.data(), 1024);
      head.resize(static_cast<size_t>(in.gcount()));
      Result<Extractor*> e = SelectExtractor(extractors, f, head);
      if (!e.ok()) {
        std::fprintf(stderr, "%s\n", e.status().ToString().c_str());
        ++failures;
        continue;
      }
      EmbeddedSink embedded = [&](EmbeddedDocument&& d) {
        if (print) std::printf("<<attachment %s (%s, %zu bytes)>>\n", d.file_name.c_str(), d.content_type.c_str(), d.data.size());
        return Status::Ok();
      };
      ExtractOptions options;
      options.embedded = &embedded;
      PageSink sink = [&](ExtractedPage&& p) {
        ++pages;
        chars += p.chars;
        if (print) std::printf("<<page %d>>\n%s\n", p.number, p.markdown.c_str());
        return Status::Ok();
      };
      Result<ExtractSummary> s = (*e)->Extract(f, f, options, sink);
      if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
        ++failures;
      } else if (print) {
        std::printf("<<summary format=%s title=\"%s\" pages=%d warnings=%d>>\n", s->format.c_str(), s->title.c_str(),
                    s->page_count, s->warning_count);
        for (const auto& [k, v] : s->properties) std::printf("<<property %s=%s>>\n", k.c_str(), v.c_str());
      }
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double docs = static_cast<double>(files.size()) * repeat;
  if (!print)
    std::printf("documents: %.0f  pages: %lld  chars: %lld  seconds: %.3f  documents/s: %.1f  failures: %d\n", docs,
                static_cast<long long>(pages), static_cast<long long>(chars), secs, docs / secs, failures);
  return failures == 0 ? 0 : 1;
}
