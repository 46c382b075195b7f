#pragma once

#include <string>
#include <vector>

#include "common/status.h"

// Generates small PDFs with known text, fonts and positions for exact
// extraction tests. Built on MuPDF so tests need no external tools.
namespace docpipe::testing {

// The standard (base-14) fonts a generated page can use, and a typewriter
// font without a name that says so: a Type 3 font whose glyphs are all 0.6 em
// wide, as TeX's bitmap fonts come ("Unnamed-T3"). Its glyphs draw nothing.
enum class PdfFont { kSans, kSansBold, kMono, kSerif, kUnnamedMono };

// One string drawn at a baseline position, in PDF points (origin bottom-left).
struct PdfTextRun {
  double x = 72;
  double y = 720;
  double size = 11;
  PdfFont font = PdfFont::kSerif;
  std::string text;  // UTF-8; characters outside WinAnsi become '?'
  double angle = 0;  // baseline direction, degrees counter-clockwise from the x axis, about (x, y)
};

// A rectangle drawn behind the text (PDF points, origin bottom-left): a thin
// filled one is a rule, a light grey one a shaded box.
struct PdfShape {
  double x = 72, y = 700, w = 100, h = 0.4;
  double gray = 0;         // 0 black .. 1 white
  bool fill = true;        // false: stroked outline
  double line_width = 0.5;
};

// A glyph of MuPDF's built-in Noto Naskh Arabic with its origin at (x, y),
// PDF points: `shape` picks the glyph by a character the font maps to it (a
// presentation form draws a contextual shape), `text` is what the PDF's
// ToUnicode maps the glyph to (0: `shape`), as a producer may map a
// contextual glyph to its base letter. One text per glyph: the last wins.
struct PdfGlyph {
  double x = 72, y = 700, size = 20;
  char32_t shape = 0;
  char32_t text = 0;
};

struct PdfPageSpec {
  double width = 612;  // US Letter
  double height = 792;
  std::vector<PdfTextRun> runs;  // empty: a page without text
  std::vector<PdfShape> shapes;
  std::vector<PdfGlyph> glyphs;  // drawn after the runs, one by one
  // Content written verbatim before the runs, such as the unknown operators
  // of a broken producer.
  std::string raw_content;
};

// One bookmark: nested by `level` (1 = top) in document order.
struct PdfOutlineItem {
  int level = 1;
  std::string title;
  int page = 1;      // 1-based
  double y = 792;    // target height (PDF points, origin bottom-left)
};

// One /PageLabels range (PDF 32000 12.4.2).
struct PdfPageLabel {
  int first = 0;       // 0-based page index
  std::string style;   // "D", "r", "R", "a", "A" or "" (prefix only)
  std::string prefix;
  int start = 1;
};

struct PdfSpec {
  std::string title;  // written to the Info dictionary when not empty
  std::vector<PdfPageSpec> pages;
  std::vector<PdfOutlineItem> outline;
  std::vector<PdfPageLabel> page_labels;
};

// Writes `spec` as a PDF at `out_path`.
Status MakePdf(const PdfSpec& spec, const std::string& out_path);

// The advance width, in em, of the PdfGlyph drawn for `shape`; 0 when MuPDF
// has no built-in Arabic font or the font no glyph for `shape`.
double ArabicGlyphAdvance(char32_t shape);

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
  //! A horizontal rule `width` points long under the last line, then a small gap.
  PdfPageBuilder& Rule(double width, double thickness = 0.4, double indent = 0);
  //! Starts a shaded box: lines added until EndBox() sit on a grey rectangle.
  PdfPageBuilder& BeginBox();
  PdfPageBuilder& EndBox(double width, double gray = 0.9);
  //! Adds a run or shape at absolute coordinates (running headers, footers).
  PdfPageBuilder& At(double x, double y, const std::string& text, double size = 9, PdfFont font = PdfFont::kSerif);
  //! Current baseline height (PDF points from the bottom).
  double y() const { return y_; }
  PdfPageSpec Build() const { return page_; }

 private:
  PdfPageSpec page_;
  double y_;
  double box_top_ = 0;
};

}  // namespace docpipe::testing
