#pragma once

#include <string>
#include <vector>

#include "common/status.h"

// Generates small PDFs with known text, fonts and positions for exact
// extraction tests. Built on MuPDF so tests need no external tools.
namespace docpipe::testing {

// The standard (base-14) fonts a generated page can use.
enum class PdfFont { kSans, kSansBold, kMono, kSerif };

// One string drawn at a baseline position, in PDF points (origin bottom-left).
struct PdfTextRun {
  double x = 72;
  double y = 720;
  double size = 11;
  PdfFont font = PdfFont::kSerif;
  std::string text;  // UTF-8; characters outside WinAnsi become '?'
};

struct PdfPageSpec {
  double width = 612;  // US Letter
  double height = 792;
  std::vector<PdfTextRun> runs;  // empty: a page without text
};

struct PdfSpec {
  std::string title;  // written to the Info dictionary when not empty
  std::vector<PdfPageSpec> pages;
};

// Writes `spec` as a PDF at `out_path`.
Status MakePdf(const PdfSpec& spec, const std::string& out_path);

// Lays HTML out with MuPDF's story engine on Letter pages, one or more PDF
// pages per entry (an entry that overflows continues on the next page; an
// empty entry yields an empty page).
Status MakePdfFromHtml(const std::vector<std::string>& html_pages, const std::string& out_path);

// Fills a page top-down, like a typewriter: each call adds one line below the
// previous one. Keeps tests free of coordinate arithmetic.
class PdfPageBuilder {
 public:
  explicit PdfPageBuilder(double width = 612, double height = 792);
  //! Adds a line at the left margin plus `indent`; advances by 1.2 x size.
  PdfPageBuilder& Line(const std::string& text, double size = 11, PdfFont font = PdfFont::kSerif,
                       double indent = 0);
  //! Adds several runs sharing one baseline (e.g. table cells at given x offsets).
  PdfPageBuilder& Row(const std::vector<std::pair<double, std::string>>& cells, double size = 11,
                      PdfFont font = PdfFont::kSerif);
  //! Vertical space, e.g. between paragraphs.
  PdfPageBuilder& Gap(double points);
  PdfPageSpec Build() const { return page_; }

 private:
  PdfPageSpec page_;
  double y_;
};

}  // namespace docpipe::testing
