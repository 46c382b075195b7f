// Extracts and chunks documents as the pipeline does and writes, per
// document, what bench/quality/score.py compares with pdftotext and the
// PDFs' outlines. Also measures OCR's character error rate.
//
//   bench_quality extract [--ocr] [--no-outline] [--languages L] [--threads N] OUT_DIR FILE...
//     OUT_DIR/<n>.json per file: pages (markdown, printed label, the lines
//     removed as furniture, OCR), seconds, headings, chunks; the PDF's
//     outline. Prints pages/s and peak RSS. --no-outline: headings from
//     fonts and numbering only (the fallback for PDFs without bookmarks).
//   bench_quality cer [--languages L] REFERENCE.pdf SCANNED.pdf|IMAGE...
//     Character error rate of OCR on SCANNED (a rendering of REFERENCE)
//     against docpipe's reading of REFERENCE's text layer, page by page.
//   bench_quality tiff OUT.tiff IMAGE...
//     Writes the images as one multi-page TIFF (scanned test input).
#include <leptonica/allheaders.h>
#include <mupdf/fitz.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "chunk/chunker.h"
#include "extract/extractor.h"
#include "ocr/tesseract_ocr_engine.h"
#include "extract/extractor_registry.h"
#include "ocr/ocr_engine.h"
#include "ocr/ocr_pool.h"
#include "tokenize/bpe_tokenizer.h"

namespace {

using namespace docpipe;

double PeakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

void Walk(fz_context* ctx, fz_outline* o, int level, nlohmann::json& out) {
  for (; o; o = o->next) {
    out.push_back({{"level", level}, {"title", o->title ? o->title : ""}, {"page", o->page.page + 1}});
    Walk(ctx, o->down, level + 1, out);
  }
}

// The PDF's own outline (bookmarks): [{level, title, page}].
nlohmann::json Outline(const std::string& path) {
  nlohmann::json out = nlohmann::json::array();
  fz_context* ctx = fz_new_context(nullptr, nullptr, FZ_STORE_DEFAULT);
  fz_set_warning_callback(ctx, [](void*, const char*) {}, nullptr);
  fz_set_error_callback(ctx, [](void*, const char*) {}, nullptr);
  fz_register_document_handlers(ctx);
  fz_document* doc = nullptr;
  fz_outline* outline = nullptr;
  fz_var(doc);
  fz_var(outline);
  fz_try(ctx) {
    doc = fz_open_document(ctx, path.c_str());
    outline = fz_load_outline(ctx, doc);
  }
  fz_catch(ctx) {}
  if (outline) Walk(ctx, outline, 1, out);
  fz_drop_outline(ctx, outline);
  fz_drop_document(ctx, doc);
  fz_drop_context(ctx);
  return out;
}

// Text of Markdown without its syntax, whitespace collapsed.
std::string PlainText(const std::string& md) {
  std::string out;
  bool space = false;
  size_t i = 0;
  auto at_line_start = [&](size_t k) { return k == 0 || md[k - 1] == '\n'; };
  while (i < md.size()) {
    if (at_line_start(i)) {
      if (md.compare(i, 3, "```") == 0 || md.compare(i, 5, "| ---") == 0) {
        while (i < md.size() && md[i] != '\n') ++i;
        continue;
      }
      while (i < md.size() && md[i] == '#') ++i;
      if (md.compare(i, 2, "- ") == 0) i += 2;
    }
    char c = md[i++];
    if (c == '|' || c == '\n' || c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::u32string Utf32(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    char32_t cp = c;
    int len = 1;
    if (c >= 0xF0) cp = c & 0x07, len = 4;
    else if (c >= 0xE0) cp = c & 0x0F, len = 3;
    else if (c >= 0xC0) cp = c & 0x1F, len = 2;
    for (int k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    i += len;
    out += cp;
  }
  return out;
}

size_t EditDistance(const std::u32string& a, const std::u32string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

struct Extracted {
  Status status = Status::Ok();
  ExtractSummary summary;
  std::vector<ExtractedPage> pages;
  double seconds = 0;
};

Extracted Run(const std::vector<ExtractorPtr>& extractors, const std::string& path,
              const ExtractOptions& options = {}) {
  Extracted e;
  std::ifstream in(path, std::ios::binary);
  std::string head(1024, '\0');
  in.read(head.data(), 1024);
  head.resize(static_cast<size_t>(in.gcount()));
  Result<Extractor*> x = SelectExtractor(extractors, path, head);
  if (!x.ok()) {
    e.status = x.status();
    return e;
  }
  auto t0 = std::chrono::steady_clock::now();
  Result<ExtractSummary> r = (*x)->Extract(path, path, options, [&](ExtractedPage&& p) {
    e.pages.push_back(std::move(p));
    return Status::Ok();
  });
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r.ok()) e.status = r.status();
  else e.summary = *r;
  return e;
}

int Usage() {
  std::cerr << "usage: bench_quality extract [--ocr] [--no-outline] [--languages L] [--threads N] OUT_DIR FILE...\n"
               "       bench_quality cer [--languages L] [--threads N] REFERENCE.pdf SCANNED...\n"
               "       bench_quality tiff OUT.tiff IMAGE...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const std::string mode = argv[1];
  if (mode == "tiff") {
    for (int k = 3; k < argc; ++k) {
      Pix* pix = pixRead(argv[k]);
      if (!pix || pixWriteTiff(argv[2], pix, IFF_TIFF_ZIP, k == 3 ? "w" : "a") != 0) {
        std::cerr << "cannot add " << argv[k] << " to " << argv[2] << "\n";
        return 1;
      }
      pixDestroy(&pix);
    }
    return 0;
  }
  bool ocr = mode == "cer";
  ExtractOptions extract_options;
  std::string languages = "eng";
  int threads = 0;
  int i = 2;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string a = argv[i];
    if (a == "--ocr") ocr = true;
    else if (a == "--languages" && i + 1 < argc) languages = argv[++i];
    else if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--no-outline") extract_options.outline_headings = false;
    else return Usage();
  }
  OcrEnginePtr engine;
  std::unique_ptr<OcrPool> pool;
  if (ocr) {
    OcrOptions options;
    options.languages = languages;
    Result<OcrEnginePtr> e = NewTesseractOcrEngine(options);
    if (!e.ok()) {
      std::cerr << e.status().ToString() << "\n";
      return 1;
    }
    engine = std::move(*e);
    pool = std::make_unique<OcrPool>(*engine, threads);
  }
  std::vector<ExtractorPtr> extractors;
  extractors.push_back(NewPdfExtractor(pool.get()));
  if (pool) extractors.push_back(NewImageExtractor(pool.get()));

  if (mode == "cer") {
    if (argc - i < 2) return Usage();
    std::vector<ExtractorPtr> native;
    native.push_back(NewPdfExtractor());
    Extracted ref = Run(native, argv[i]);
    if (!ref.status.ok()) {
      std::cerr << ref.status.ToString() << "\n";
      return 1;
    }
    for (int k = i + 1; k < argc; ++k) {
      Extracted scan = Run(extractors, argv[k]);
      if (!scan.status.ok()) {
        std::cerr << scan.status.ToString() << "\n";
        return 1;
      }
      size_t errors = 0, chars = 0;
      double confidence = 0;
      for (size_t p = 0; p < scan.pages.size() && p < ref.pages.size(); ++p) {
        std::u32string want = Utf32(PlainText(ref.pages[p].markdown));
        std::u32string got = Utf32(PlainText(scan.pages[p].markdown));
        errors += EditDistance(got, want);
        chars += want.size();
        confidence += scan.pages[p].ocr_confidence;
      }
      std::printf("%s pages=%zu chars=%zu errors=%zu cer=%.4f confidence=%.1f seconds=%.1f\n", argv[k],
                  scan.pages.size(), chars, errors, chars ? double(errors) / chars : 0.0,
                  scan.pages.empty() ? 0 : confidence / scan.pages.size(), scan.seconds);
    }
    std::printf("peak_rss_mb=%.1f\n", PeakRssMb());
    return 0;
  }

  if (mode != "extract" || argc - i < 2) return Usage();
  const std::string out_dir = argv[i++];
  std::error_code made;
  std::filesystem::create_directories(out_dir, made);
  if (made) {
    std::cerr << "bench_quality: cannot create " << out_dir << ": " << made.message() << "\n";
    return 1;
  }
  Result<TokenizerPtr> tokenizer = NewBpeTokenizer("cl100k_base");
  if (!tokenizer.ok()) {
    std::cerr << tokenizer.status().ToString() << "\n";
    return 1;
  }
  int64_t total_pages = 0;
  double total_seconds = 0;
  for (int n = 0; i < argc; ++i, ++n) {
    const std::string path = argv[i];
    Extracted e = Run(extractors, path, extract_options);
    nlohmann::json doc = {{"file", path}, {"ok", e.status.ok()}, {"error", e.status.ok() ? "" : e.status.ToString()}};
    if (e.status.ok()) {
      total_pages += e.summary.page_count;
      total_seconds += e.seconds;
      nlohmann::json pages = nlohmann::json::array(), headings = nlohmann::json::array(),
                     chunks = nlohmann::json::array();
      int64_t unmapped = 0;
      for (const ExtractedPage& p : e.pages) {
        pages.push_back({{"number", p.number}, {"label", p.label}, {"markdown", p.markdown},
                         {"furniture", p.furniture}, {"ocr", p.ocr},
                         {"confidence", p.ocr_confidence}, {"unmapped", p.unmapped_chars}});
        unmapped += p.unmapped_chars;
      }
      for (const HeadingEntry& h : e.summary.outline)
        headings.push_back({{"level", h.level}, {"text", h.text}, {"page", h.page}});
      Result<std::vector<Chunk>> cs = ChunkDocument("d", "1", e.pages, **tokenizer, ChunkOptions{});
      if (cs.ok())
        for (const Chunk& c : *cs)
          chunks.push_back({{"text", c.text}, {"type", c.type}, {"page_start", c.page_start}, {"page_end", c.page_end}});
      doc.update({{"pages", pages}, {"page_count", e.summary.page_count}, {"seconds", e.seconds},
                  {"headings", headings}, {"chunks", chunks}, {"unmapped", unmapped},
                  {"outline", Outline(path)}, {"format", e.summary.format}});
    }
    const std::string json_path = out_dir + "/" + std::to_string(n) + ".json";
    std::ofstream json_file(json_path);
    json_file << doc.dump();
    if (!json_file.flush()) {
      std::cerr << "bench_quality: cannot write " << json_path << "\n";
      return 1;
    }
    std::fprintf(stderr, "%-70s %s %.2f s\n", path.c_str(), e.status.ok() ? "ok" : e.status.ToString().c_str(),
                 e.seconds);
  }
  std::printf("pages=%lld seconds=%.2f pages_per_s=%.1f peak_rss_mb=%.1f\n", static_cast<long long>(total_pages),
              total_seconds, total_seconds > 0 ? total_pages / total_seconds : 0.0, PeakRssMb());
  return 0;
}
