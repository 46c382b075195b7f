// libFuzzer target for the extractors, one at a time (the environment's
// DOCPIPE_FUZZ_FORMAT: zip, html, rtf, csv, email, text or pdf, the last
// MuPDF's entry through docpipe; one binary, so the build links once): the
// input is written to a file and extracted with small limits, so every path
// through the reader is exercised without the fuzzer drowning in allocation.
// Any crash, leak, sanitizer report or limit overrun is a finding;
// InvalidInput results are expected.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "extract/extractor_registry.h"
#include "extract/format_options.h"

using namespace docpipe;

namespace {

ExtractorPtr Make(const FormatOptions& o) {
  const char* env = std::getenv("DOCPIPE_FUZZ_FORMAT");
  const std::string f = env ? env : "";
  if (f == "zip") return NewZipDocumentExtractor(o);
  if (f == "html") return NewHtmlExtractor(o);
  if (f == "rtf") return NewRtfExtractor(o);
  if (f == "csv") return NewCsvExtractor(o);
  if (f == "email") return NewEmailExtractor(o);
  if (f == "text") return NewTextExtractor();
  if (f == "pdf") return NewPdfExtractor();
  std::fprintf(stderr, "DOCPIPE_FUZZ_FORMAT must be zip, html, rtf, csv, email, text or pdf (is \"%s\")\n",
               f.c_str());
  std::abort();
}

// The file each input is written to, removed at exit.
struct ExtractFuzzFile {
  std::string path;
  ExtractFuzzFile() {
    char tmpl[] = "/tmp/docpipe-fuzz-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) std::abort();
    close(fd);
    path = tmpl;
  }
  ~ExtractFuzzFile() { unlink(path.c_str()); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ExtractFuzzFile file;
  const std::string& path = file.path;
  static FormatOptions options = [] {
    FormatOptions o;
    o.limits.max_input_bytes = 1 << 20;
    o.limits.max_entry_bytes = 8 << 20;
    o.limits.max_total_unpacked_bytes = 32 << 20;
    o.limits.max_memory_bytes = 64 << 20;
    o.sheet_max_cells = 100000;
    return o;
  }();
  static ExtractorPtr extractor = Make(options);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  EmbeddedSink embedded = [](EmbeddedDocument&&) { return Status::Ok(); };
  ExtractOptions eo;
  eo.embedded = &embedded;
  eo.max_page_chars = 200000;
  // A slow input is a finding of the driver's or libFuzzer's timeout; the
  // deadline keeps a merely big one from holding the run.
  eo.deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count() + 5000;
  Result<ExtractSummary> r =
      extractor->Extract(path, "fuzz-input", eo, [](ExtractedPage&&) { return Status::Ok(); });
  (void)r;
  return 0;
}
