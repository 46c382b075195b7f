// Layout quality of docpipe's PDF extraction on real documents: the share of
// chunks carrying running header/footer lines, heading precision and recall
// against the PDF's outline, tables found, word recall against pdftotext,
// and extraction speed. One line per document, then the totals.
// Usage: layout_quality [--no-outline] FILE.pdf...
//   --no-outline: headings from fonts and numbering only (measures the
//   fallback used for PDFs without bookmarks against the bookmarks).
#include <mupdf/fitz.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "chunk/chunker.h"
#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "layout_metrics.h"
#include "tokenize/bpe_tokenizer.h"

namespace {

using docpipe::bench::FoundHeading;
using docpipe::bench::OutlineTitle;

std::string Pdftotext(const std::string& path) {
  std::string cmd = "pdftotext -q -enc UTF-8 '" + path + "' - 2>/dev/null";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

std::vector<std::string> SplitPages(const std::string& text) {
  std::vector<std::string> pages(1);
  for (char c : text) {
    if (c == '\f')
      pages.emplace_back();
    else
      pages.back() += c;
  }
  if (pages.size() > 1 && pages.back().empty()) pages.pop_back();
  return pages;
}

// 0-based page of an outline target, -1 when it has none. Apart from Flatten
// so that no loop variable lives across fz_try's setjmp (-Wclobbered).
int PageOf(fz_context* ctx, fz_document* doc, fz_location location) {
  volatile int page = -1;
  fz_try(ctx) page = location.page < 0 ? -1 : fz_page_number_from_location(ctx, doc, location);
  fz_catch(ctx) page = -1;
  return page;
}

void Flatten(fz_context* ctx, fz_document* doc, fz_outline* node, std::vector<OutlineTitle>* out) {
  for (; node; node = node->next) {
    if (node->title) out->push_back({node->title, PageOf(ctx, doc, node->page) + 1});
    Flatten(ctx, doc, node->down, out);
  }
}

std::vector<OutlineTitle> PdfOutline(const std::string& path) {
  std::vector<OutlineTitle> out;
  fz_context* ctx = fz_new_context(nullptr, nullptr, FZ_STORE_DEFAULT);
  fz_set_warning_callback(
      ctx, [](void*, const char*) {}, nullptr);
  fz_set_error_callback(
      ctx, [](void*, const char*) {}, nullptr);
  fz_register_document_handlers(ctx);
  // Set inside fz_try and read after it: volatile, or setjmp may lose them.
  fz_document* volatile doc = nullptr;
  fz_outline* volatile outline = nullptr;
  fz_try(ctx) {
    doc = fz_open_document(ctx, path.c_str());
    outline = fz_load_outline(ctx, doc);
  }
  fz_catch(ctx) {}
  if (outline) Flatten(ctx, doc, outline, &out);
  fz_drop_outline(ctx, outline);
  fz_drop_document(ctx, doc);
  fz_drop_context(ctx);
  return out;
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

}  // namespace

int main(int argc, char** argv) {
  bool use_outline = true;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-outline") == 0)
      use_outline = false;
    else
      files.push_back(argv[i]);
  }
  auto tokenizer = docpipe::NewBpeTokenizer("cl100k_base");
  if (!tokenizer.ok()) {
    std::fprintf(stderr, "%s\n", tokenizer.status().ToString().c_str());
    return 1;
  }
  docpipe::ExtractorPtr extractor = docpipe::NewPdfExtractor();
  long chunks_total = 0, chunks_furniture = 0, pages_total = 0, tables_total = 0, docs_with_tables = 0;
  long headings = 0, matched_headings = 0, entries = 0, matched_entries = 0, docs_outline = 0, failed = 0;
  double seconds = 0;
  std::vector<double> recalls, body_recalls;
  std::printf(
      "file\tpages\tchunks\tfurniture_chunks\theadings\tmatched\toutline\tentries_matched\ttables\tword_"
      "recall\tbody_word_recall\n");
  for (const std::string& f : files) {
    docpipe::ExtractOptions options;
#ifndef DOCPIPE_LAYOUT_BASELINE
    options.outline_headings = use_outline;
#endif
    std::vector<docpipe::ExtractedPage> pages;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = extractor->Extract(f, f, options, [&](docpipe::ExtractedPage&& p) {
      pages.push_back(std::move(p));
      return docpipe::Status::Ok();
    });
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.ok()) {
      ++failed;
      std::printf("%s\tFAILED\t%s\n", f.c_str(), r.status().ToString().c_str());
      continue;
    }
    auto chunks = docpipe::ChunkDocument("d", "1", pages, **tokenizer, docpipe::ChunkOptions{});
    if (!chunks.ok()) {
      ++failed;
      std::printf("%s\tCHUNK FAILED\t%s\n", f.c_str(), chunks.status().ToString().c_str());
      continue;
    }
    const std::string reference = Pdftotext(f);
    const std::vector<std::string> ref_pages = SplitPages(reference);
    const std::vector<std::string> furniture = docpipe::bench::FurnitureLines(ref_pages);
    int with_furniture = 0;
    for (const docpipe::Chunk& c : *chunks)
      with_furniture += docpipe::bench::ContainsFurniture(c.text, furniture) ? 1 : 0;
    std::string all;
    int tables = 0;
    for (const auto& p : pages) {
      all += p.markdown + "\n";
      tables += docpipe::bench::CountTables(p.markdown);
    }
    std::vector<FoundHeading> found;
    for (const auto& h : r->outline) found.push_back({h.text, h.page});
    const std::vector<OutlineTitle> outline = PdfOutline(f);
    const auto score = docpipe::bench::ScoreHeadings(found, outline);
    const double recall = docpipe::bench::WordRecall(reference, all);
    const double body_recall =
        docpipe::bench::WordRecall(docpipe::bench::BodyText(ref_pages, furniture), all);
    recalls.push_back(recall);
    body_recalls.push_back(body_recall);
    chunks_total += static_cast<long>(chunks->size());
    chunks_furniture += with_furniture;
    pages_total += r->page_count;
    tables_total += tables;
    docs_with_tables += tables > 0 ? 1 : 0;
    if (score.entries >= 3) {
      ++docs_outline;
      headings += score.headings;
      matched_headings += score.matched_headings;
      entries += score.entries;
      matched_entries += score.matched_entries;
    }
    std::printf("%s\t%d\t%zu\t%d\t%d\t%d\t%d\t%d\t%d\t%.4f\t%.4f\n", f.c_str(), r->page_count, chunks->size(),
                with_furniture, score.headings, score.matched_headings, score.entries, score.matched_entries,
                tables, recall, body_recall);
    std::fflush(stdout);
  }
  std::printf("\nTOTAL documents=%zu failed=%ld pages=%ld extraction_s=%.2f pages_per_s=%.0f\n", files.size(),
              failed, pages_total, seconds, pages_total / std::max(seconds, 1e-9));
  std::printf("chunks=%ld with_header_footer=%ld share=%.4f\n", chunks_total, chunks_furniture,
              chunks_total ? static_cast<double>(chunks_furniture) / chunks_total : 0.0);
  std::printf(
      "outline_documents=%ld headings=%ld matched=%ld precision=%.4f outline_entries=%ld recall=%.4f\n",
      docs_outline, headings, matched_headings,
      headings ? static_cast<double>(matched_headings) / headings : 0.0, entries,
      entries ? static_cast<double>(matched_entries) / entries : 0.0);
  std::printf("tables=%ld documents_with_tables=%ld\n", tables_total, docs_with_tables);
  std::printf("word_recall median=%.4f p5=%.4f min=%.4f\n", Percentile(recalls, 0.5),
              Percentile(recalls, 0.05), Percentile(recalls, 0.0));
  std::printf("body_word_recall median=%.4f p5=%.4f min=%.4f\n", Percentile(body_recalls, 0.5),
              Percentile(body_recalls, 0.05), Percentile(body_recalls, 0.0));
  return failed > 0 ? 2 : 0;
}
