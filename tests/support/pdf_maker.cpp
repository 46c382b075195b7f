#include "support/pdf_maker.h"

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include <mupdf/ucdn.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>

namespace docpipe::testing {
namespace {

constexpr double kMargin = 72;

// MuPDF reports errors with longjmp; a context that stays silent on stderr.
struct PdfContextDeleter {
  void operator()(fz_context* ctx) const { fz_drop_context(ctx); }
};
using ContextPtr = std::unique_ptr<fz_context, PdfContextDeleter>;

void QuietPdfMaker(void*, const char*) {}

ContextPtr NewQuietContext() {
  ContextPtr ctx(fz_new_context(nullptr, nullptr, FZ_STORE_DEFAULT));
  if (ctx) {
    fz_set_warning_callback(ctx.get(), QuietPdfMaker, nullptr);
    fz_set_error_callback(ctx.get(), QuietPdfMaker, nullptr);
  }
  return ctx;
}

const char* FontResourceName(PdfFont font) {
  switch (font) {
    case PdfFont::kSans: return "F1";
    case PdfFont::kSansBold: return "F2";
    case PdfFont::kMono: return "F3";
    case PdfFont::kSerif: return "F4";
    case PdfFont::kUnnamedMono: return "F6";
  }
  return "F4";
}

// UTF-8 to WinAnsi bytes, escaped for a PDF string literal.
std::string ToPdfLiteral(const std::string& utf8) {
  std::string out;
  for (size_t i = 0; i < utf8.size();) {
    unsigned char c = utf8[i];
    uint32_t cp = c;
    int len = 1;
    if (c >= 0xF0) { cp = c & 0x07; len = 4; }
    else if (c >= 0xE0) { cp = c & 0x0F; len = 3; }
    else if (c >= 0xC0) { cp = c & 0x1F; len = 2; }
    for (int k = 1; k < len && i + k < utf8.size(); ++k) cp = (cp << 6) | (utf8[i + k] & 0x3F);
    i += len;
    unsigned char b = '?';
    if (cp < 0x80 || (cp >= 0xA0 && cp <= 0xFF)) b = static_cast<unsigned char>(cp);
    else if (cp == 0x2022) b = 0x95;  // bullet
    else if (cp == 0x2013) b = 0x96;  // en dash
    else if (cp == 0x2014) b = 0x97;  // em dash
    if (b == '(' || b == ')' || b == '\\') out += '\\';
    if (b < 0x20 || b >= 0x80) {
      char oct[8];
      std::snprintf(oct, sizeof oct, "\\%03o", b);
      out += oct;
    } else {
      out += static_cast<char>(b);
    }
  }
  return out;
}

// The page's content; `glyph_ids` maps each PdfGlyph's shape to its glyph
// in the Arabic font (/F5, two-byte Identity-H codes).
std::string ContentStream(const PdfPageSpec& page, const std::map<char32_t, int>& glyph_ids) {
  std::string s;
  char buf[160];
  for (const PdfShape& shape : page.shapes) {
    if (shape.fill) {
      std::snprintf(buf, sizeof buf, "%.3f g %.2f %.2f %.2f %.2f re f\n", shape.gray, shape.x, shape.y, shape.w, shape.h);
    } else {
      std::snprintf(buf, sizeof buf, "%.3f G %.2f w %.2f %.2f %.2f %.2f re S\n", shape.gray, shape.line_width, shape.x,
                    shape.y, shape.w, shape.h);
    }
    s += buf;
  }
  if (!page.shapes.empty()) s += "0 g 0 G\n";
  s += page.raw_content;
  for (const PdfTextRun& run : page.runs) {
    const double radians = run.angle * 3.14159265358979323846 / 180;
    std::snprintf(buf, sizeof buf, "BT /%s %.2f Tf %.5f %.5f %.5f %.5f %.2f %.2f Tm (", FontResourceName(run.font),
                  run.size, std::cos(radians), std::sin(radians), -std::sin(radians), std::cos(radians), run.x, run.y);
    s += buf;
    s += ToPdfLiteral(run.text);
    s += ") Tj ET\n";
  }
  for (const PdfGlyph& g : page.glyphs) {
    std::snprintf(buf, sizeof buf, "BT /F5 %.2f Tf %.3f %.3f Td <%04X> Tj ET\n", g.size, g.x, g.y,
                  static_cast<unsigned>(glyph_ids.at(g.shape)));
    s += buf;
  }
  return s;
}

// MuPDF's built-in Noto Naskh Arabic; throws (fz_throw) when the build has none.
fz_font* NewArabicFont(fz_context* ctx) {
  int len = 0, subfont = 0;
  const unsigned char* data = fz_lookup_noto_font(ctx, UCDN_SCRIPT_ARABIC, 0, &len, &subfont);
  if (data == nullptr) fz_throw(ctx, FZ_ERROR_GENERIC, "MuPDF has no built-in Arabic font");
  return fz_new_font_from_memory(ctx, "NotoNaskhArabic", data, len, subfont, 0);
}

// The Arabic font's glyph for each of `shapes` (0: none) and its advance in
// em; -1 with `err` set when the font cannot be loaded.
int ArabicGlyphs(fz_context* ctx, int n, const unsigned* shapes, int* gids, float* advances, char* err,
                 size_t err_len) {
  fz_font* font = nullptr;
  int rc = 0;
  fz_var(font);
  fz_try(ctx) {
    font = NewArabicFont(ctx);
    for (int i = 0; i < n; ++i) {
      gids[i] = fz_encode_character(ctx, font, static_cast<int>(shapes[i]));
      advances[i] = gids[i] != 0 ? fz_advance_glyph(ctx, font, gids[i], 0) : 0;
    }
  }
  fz_always(ctx) fz_drop_font(ctx, font);
  fz_catch(ctx) {
    std::snprintf(err, err_len, "%s", fz_caught_message(ctx));
    rc = -1;
  }
  return rc;
}

// A ToUnicode CMap mapping each glyph id to its text (one character).
std::string ToUnicodeCMap(const std::map<int, char32_t>& text_of_glyph) {
  std::string s =
      "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
      "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
      "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
      "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n";
  char buf[64];
  auto it = text_of_glyph.begin();
  while (it != text_of_glyph.end()) {
    const size_t block = std::min<size_t>(100, static_cast<size_t>(std::distance(it, text_of_glyph.end())));
    s += std::to_string(block) + " beginbfchar\n";
    for (size_t k = 0; k < block; ++k, ++it) {
      const char32_t c = it->second;
      if (c < 0x10000) {
        std::snprintf(buf, sizeof buf, "<%04X> <%04X>\n", static_cast<unsigned>(it->first), static_cast<unsigned>(c));
      } else {
        const unsigned v = static_cast<unsigned>(c) - 0x10000;
        std::snprintf(buf, sizeof buf, "<%04X> <%04X%04X>\n", static_cast<unsigned>(it->first), 0xD800 + (v >> 10),
                      0xDC00 + (v & 0x3FF));
      }
      s += buf;
    }
    s += "endbfchar\n";
  }
  s += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
  return s;
}

// Adds the four base-14 fonts as /F1../F4 to the font dictionary `fonts`.
void AddFonts(fz_context* ctx, pdf_document* doc, pdf_obj* fonts) {
  static const char* const kBase14[] = {"Helvetica", "Helvetica-Bold", "Courier", "Times-Roman"};
  static const char* const kNames[] = {"F1", "F2", "F3", "F4"};
  for (int f = 0; f < 4; ++f) {
    fz_var(f);  // live across fz_try's setjmp (-Wclobbered at -O1)
    fz_font* font = fz_new_base14_font(ctx, kBase14[f]);
    pdf_obj* ref = nullptr;
    fz_var(ref);
    fz_try(ctx) ref = pdf_add_simple_font(ctx, doc, font, PDF_SIMPLE_ENCODING_LATIN);
    fz_always(ctx) fz_drop_font(ctx, font);
    fz_catch(ctx) fz_rethrow(ctx);
    pdf_dict_puts_drop(ctx, fonts, kNames[f], ref);
  }
}

// Adds PdfFont::kUnnamedMono as /F6: a Type 3 font, WinAnsi glyph names,
// every glyph 600/1000 em wide and empty ("d0" only).
void AddUnnamedMonoFont(fz_context* ctx, pdf_document* doc, pdf_obj* fonts) {
  constexpr int kFirst = 32, kLast = 255;
  pdf_obj* font = pdf_add_new_dict(ctx, doc, 9);  // the fonts dictionary keeps it alive
  pdf_dict_puts_drop(ctx, fonts, "F6", font);
  pdf_dict_put(ctx, font, PDF_NAME(Type), PDF_NAME(Font));
  pdf_dict_put(ctx, font, PDF_NAME(Subtype), PDF_NAME(Type3));
  pdf_dict_put_rect(ctx, font, PDF_NAME(FontBBox), fz_make_rect(0, -200, 600, 800));
  pdf_dict_put_matrix(ctx, font, PDF_NAME(FontMatrix), fz_scale(0.001f, 0.001f));
  pdf_dict_put_int(ctx, font, PDF_NAME(FirstChar), kFirst);
  pdf_dict_put_int(ctx, font, PDF_NAME(LastChar), kLast);
  pdf_obj* widths = pdf_dict_put_array(ctx, font, PDF_NAME(Widths), kLast - kFirst + 1);
  pdf_obj* encoding = pdf_dict_put_dict(ctx, font, PDF_NAME(Encoding), 2);
  pdf_dict_put(ctx, encoding, PDF_NAME(Type), PDF_NAME(Encoding));
  pdf_obj* differences = pdf_dict_put_array(ctx, encoding, PDF_NAME(Differences), kLast - kFirst + 2);
  pdf_array_push_int(ctx, differences, kFirst);
  pdf_obj* procs = pdf_dict_put_dict(ctx, font, PDF_NAME(CharProcs), kLast - kFirst + 1);
  static const char kGlyph[] = "600 0 d0";
  fz_buffer* buf = fz_new_buffer_from_copied_data(ctx, reinterpret_cast<const unsigned char*>(kGlyph),
                                                  sizeof kGlyph - 1);
  pdf_obj* proc = nullptr;
  fz_try(ctx) proc = pdf_add_stream(ctx, doc, buf, nullptr, 0);
  fz_always(ctx) fz_drop_buffer(ctx, buf);
  fz_catch(ctx) fz_rethrow(ctx);
  for (int c = kFirst; c <= kLast; ++c) {
    const char* name = fz_glyph_name_from_win_ansi[c];
    char unnamed[16];
    if (name == nullptr || name[0] == '\0' || std::strcmp(name, ".notdef") == 0) {
      std::snprintf(unnamed, sizeof unnamed, "g%d", c);
      name = unnamed;
    }
    pdf_array_push_int(ctx, widths, 600);
    pdf_array_push_drop(ctx, differences, pdf_new_name(ctx, name));
    pdf_dict_puts(ctx, procs, name, proc);
  }
  pdf_drop_obj(ctx, proc);
}

// Adds the Arabic font as /F5 (Identity-H, glyph ids as codes) with the
// ToUnicode CMap `to_unicode` in place of the one MuPDF derives from the
// font's cmap.
void AddArabicFont(fz_context* ctx, pdf_document* doc, pdf_obj* fonts, const char* to_unicode) {
  fz_font* font = NewArabicFont(ctx);
  pdf_obj* ref = nullptr;
  fz_buffer* cmap = nullptr;
  fz_var(ref);
  fz_var(cmap);
  fz_try(ctx) {
    ref = pdf_add_cid_font(ctx, doc, font);
    cmap = fz_new_buffer_from_copied_data(ctx, reinterpret_cast<const unsigned char*>(to_unicode), strlen(to_unicode));
    pdf_dict_put_drop(ctx, ref, PDF_NAME(ToUnicode), pdf_add_stream(ctx, doc, cmap, nullptr, 0));
    pdf_dict_puts(ctx, fonts, "F5", ref);
  }
  fz_always(ctx) {
    fz_drop_buffer(ctx, cmap);
    pdf_drop_obj(ctx, ref);
    fz_drop_font(ctx, font);
  }
  fz_catch(ctx) fz_rethrow(ctx);
}

// All MuPDF calls for MakePdf; only C data inside fz_try so that a longjmp
// never skips a destructor.
struct OutlineC {
  int count;
  const int* levels;
  const char* const* titles;
  const int* pages;
  const double* ys;
};

struct LabelsC {
  int count;
  const int* firsts;
  const char* const* styles;
  const char* const* prefixes;
  const int* starts;
};

// Builds the /Outlines tree from items in document order, nested by level.
void AddOutline(fz_context* ctx, pdf_document* doc, const OutlineC& o) {
  if (o.count == 0) return;
  pdf_obj* root = pdf_add_new_dict(ctx, doc, 4);
  pdf_dict_put(ctx, root, PDF_NAME(Type), PDF_NAME(Outlines));
  pdf_obj* parents[16] = {root};
  pdf_obj* last_child[16] = {nullptr};
  int depth = 0;  // depth of the most recent item (0 = root)
  for (int i = 0; i < o.count; ++i) {
    int level = o.levels[i] < 1 ? 1 : (o.levels[i] > 15 ? 15 : o.levels[i]);
    if (level > depth + 1) level = depth + 1;
    pdf_obj* parent = parents[level - 1];
    pdf_obj* item = pdf_add_new_dict(ctx, doc, 6);
    pdf_dict_put_text_string(ctx, item, PDF_NAME(Title), o.titles[i]);
    pdf_dict_put(ctx, item, PDF_NAME(Parent), parent);
    pdf_obj* dest = pdf_dict_put_array(ctx, item, PDF_NAME(Dest), 5);
    pdf_array_push(ctx, dest, pdf_lookup_page_obj(ctx, doc, o.pages[i] - 1));
    pdf_array_push(ctx, dest, PDF_NAME(XYZ));
    pdf_array_push_int(ctx, dest, 0);
    pdf_array_push_real(ctx, dest, o.ys[i]);
    pdf_array_push_int(ctx, dest, 0);
    pdf_obj* prev = last_child[level - 1];
    if (prev) {
      pdf_dict_put(ctx, prev, PDF_NAME(Next), item);
      pdf_dict_put(ctx, item, PDF_NAME(Prev), prev);
    } else {
      pdf_dict_put(ctx, parent, PDF_NAME(First), item);
    }
    pdf_dict_put(ctx, parent, PDF_NAME(Last), item);
    pdf_dict_put_int(ctx, parent, PDF_NAME(Count), pdf_dict_get_int(ctx, parent, PDF_NAME(Count)) + 1);
    last_child[level - 1] = item;
    parents[level] = item;
    last_child[level] = nullptr;
    depth = level;
    pdf_drop_obj(ctx, item);
  }
  pdf_dict_put(ctx, pdf_dict_get(ctx, pdf_trailer(ctx, doc), PDF_NAME(Root)), PDF_NAME(Outlines), root);
  pdf_drop_obj(ctx, root);
}

void AddPageLabels(fz_context* ctx, pdf_document* doc, const LabelsC& l) {
  if (l.count == 0) return;
  pdf_obj* tree = pdf_new_dict(ctx, doc, 1);
  pdf_obj* nums = pdf_dict_put_array(ctx, tree, PDF_NAME(Nums), 2 * l.count);
  for (int i = 0; i < l.count; ++i) {
    pdf_array_push_int(ctx, nums, l.firsts[i]);
    pdf_obj* d = pdf_array_push_dict(ctx, nums, 3);
    if (l.styles[i][0] != '\0') pdf_dict_put_name(ctx, d, PDF_NAME(S), l.styles[i]);
    if (l.prefixes[i][0] != '\0') pdf_dict_put_text_string(ctx, d, PDF_NAME(P), l.prefixes[i]);
    if (l.starts[i] != 1) pdf_dict_puts_drop(ctx, d, "St", pdf_new_int(ctx, l.starts[i]));
  }
  pdf_dict_puts_drop(ctx, pdf_dict_get(ctx, pdf_trailer(ctx, doc), PDF_NAME(Root)), "PageLabels", tree);
}

int WritePdf(fz_context* ctx, const char* title, int page_count, const double* sizes,
             const char* const* contents, const OutlineC& outline, const LabelsC& labels, const char* to_unicode,
             const char* path, char* err, size_t err_len) {
  pdf_document* doc = nullptr;
  fz_buffer* buf = nullptr;
  pdf_obj* resources = nullptr;
  int rc = 0;
  fz_var(doc);
  fz_var(buf);
  fz_var(resources);
  fz_try(ctx) {
    doc = pdf_create_document(ctx);
    resources = pdf_add_new_dict(ctx, doc, 2);
    pdf_obj* fonts = pdf_dict_put_dict(ctx, resources, PDF_NAME(Font), 5);
    AddFonts(ctx, doc, fonts);
    AddUnnamedMonoFont(ctx, doc, fonts);
    if (to_unicode[0] != '\0') AddArabicFont(ctx, doc, fonts, to_unicode);
    for (int p = 0; p < page_count; ++p) {
      buf = fz_new_buffer_from_copied_data(ctx, reinterpret_cast<const unsigned char*>(contents[p]),
                                           strlen(contents[p]));
      fz_rect box = fz_make_rect(0, 0, static_cast<float>(sizes[2 * p]),
                                 static_cast<float>(sizes[2 * p + 1]));
      pdf_obj* page = pdf_add_page(ctx, doc, box, 0, resources, buf);
      fz_drop_buffer(ctx, buf);
      buf = nullptr;
      pdf_insert_page(ctx, doc, -1, page);
      pdf_drop_obj(ctx, page);
    }
    AddOutline(ctx, doc, outline);
    AddPageLabels(ctx, doc, labels);
    if (title[0] != '\0') {
      pdf_obj* info = pdf_add_new_dict(ctx, doc, 2);
      pdf_dict_put_text_string(ctx, info, PDF_NAME(Title), title);
      pdf_dict_put_drop(ctx, pdf_trailer(ctx, doc), PDF_NAME(Info), info);
    }
    pdf_write_options opts = pdf_default_write_options;
    opts.do_compress = 1;
    pdf_save_document(ctx, doc, path, &opts);
  }
  fz_always(ctx) {
    fz_drop_buffer(ctx, buf);
    pdf_drop_obj(ctx, resources);
    pdf_drop_document(ctx, doc);
  }
  fz_catch(ctx) {
    std::snprintf(err, err_len, "%s", fz_caught_message(ctx));
    rc = -1;
  }
  return rc;
}

int WriteHtmlPdf(fz_context* ctx, int page_count, const char* const* html, const char* path,
                 char* err, size_t err_len) {
  fz_document_writer* writer = nullptr;
  fz_story* story = nullptr;
  fz_buffer* buf = nullptr;
  int rc = 0;
  fz_var(writer);
  fz_var(story);
  fz_var(buf);
  fz_try(ctx) {
    const fz_rect page_box = fz_make_rect(0, 0, 612, 792);
    const fz_rect where = fz_make_rect(kMargin, kMargin, 612 - kMargin, 792 - kMargin);
    writer = fz_new_document_writer(ctx, path, "pdf", "compress");
    for (int p = 0; p < page_count; ++p) {
      if (html[p][0] == '\0') {
        fz_begin_page(ctx, writer, page_box);
        fz_end_page(ctx, writer);
        continue;
      }
      buf = fz_new_buffer_from_copied_data(ctx, reinterpret_cast<const unsigned char*>(html[p]),
                                           strlen(html[p]));
      story = fz_new_story(ctx, buf, "", 11, nullptr);
      int more = 1;
      while (more) {
        fz_rect filled;
        fz_device* dev = fz_begin_page(ctx, writer, page_box);
        more = fz_place_story(ctx, story, where, &filled);
        fz_draw_story(ctx, story, dev, fz_identity);
        fz_end_page(ctx, writer);
      }
      fz_drop_story(ctx, story);
      story = nullptr;
      fz_drop_buffer(ctx, buf);
      buf = nullptr;
    }
    fz_close_document_writer(ctx, writer);
  }
  fz_always(ctx) {
    fz_drop_story(ctx, story);
    fz_drop_buffer(ctx, buf);
    fz_drop_document_writer(ctx, writer);
  }
  fz_catch(ctx) {
    std::snprintf(err, err_len, "%s", fz_caught_message(ctx));
    rc = -1;
  }
  return rc;
}

}  // namespace

Status MakePdf(const PdfSpec& spec, const std::string& out_path) {
  ContextPtr ctx = NewQuietContext();
  if (!ctx) return Status::Internal("cannot create MuPDF context");
  // The Arabic glyphs' ids, and what each is to read as.
  std::map<char32_t, int> glyph_ids;
  std::map<int, char32_t> text_of_glyph;
  for (const PdfPageSpec& page : spec.pages) {
    for (const PdfGlyph& g : page.glyphs) glyph_ids[g.shape] = 0;
  }
  if (!glyph_ids.empty()) {
    std::vector<unsigned> shapes;
    for (const auto& [shape, id] : glyph_ids) shapes.push_back(static_cast<unsigned>(shape));
    std::vector<int> ids(shapes.size());
    std::vector<float> advances(shapes.size());
    char err[256] = "";
    if (ArabicGlyphs(ctx.get(), static_cast<int>(shapes.size()), shapes.data(), ids.data(), advances.data(), err,
                     sizeof err) != 0) {
      return Status::Internal("writing " + out_path + ": " + err);
    }
    for (size_t i = 0; i < shapes.size(); ++i) {
      if (ids[i] == 0) {
        std::snprintf(err, sizeof err, "U+%04X", shapes[i]);
        return Status::InvalidInput("writing " + out_path + ": the Arabic font has no glyph for " + err);
      }
      glyph_ids[static_cast<char32_t>(shapes[i])] = ids[i];
    }
    for (const PdfPageSpec& page : spec.pages) {
      for (const PdfGlyph& g : page.glyphs) text_of_glyph[glyph_ids[g.shape]] = g.text != 0 ? g.text : g.shape;
    }
  }
  const std::string to_unicode = text_of_glyph.empty() ? "" : ToUnicodeCMap(text_of_glyph);
  std::vector<std::string> streams;
  std::vector<const char*> contents;
  std::vector<double> sizes;
  streams.reserve(spec.pages.size());
  for (const PdfPageSpec& page : spec.pages) {
    streams.push_back(ContentStream(page, glyph_ids));
    contents.push_back(streams.back().c_str());
    sizes.push_back(page.width);
    sizes.push_back(page.height);
  }
  std::vector<int> levels, pages, firsts, starts;
  std::vector<const char*> titles, styles, prefixes;
  std::vector<double> ys;
  for (const PdfOutlineItem& o : spec.outline) {
    levels.push_back(o.level);
    titles.push_back(o.title.c_str());
    pages.push_back(o.page);
    ys.push_back(o.y);
  }
  for (const PdfPageLabel& l : spec.page_labels) {
    firsts.push_back(l.first);
    styles.push_back(l.style.c_str());
    prefixes.push_back(l.prefix.c_str());
    starts.push_back(l.start);
  }
  const OutlineC outline{static_cast<int>(levels.size()), levels.data(), titles.data(), pages.data(), ys.data()};
  const LabelsC labels{static_cast<int>(firsts.size()), firsts.data(), styles.data(), prefixes.data(), starts.data()};
  char err[256] = "";
  if (WritePdf(ctx.get(), spec.title.c_str(), static_cast<int>(contents.size()), sizes.data(),
               contents.data(), outline, labels, to_unicode.c_str(), out_path.c_str(), err, sizeof err) != 0) {
    return Status::Internal("writing " + out_path + ": " + err);
  }
  return Status::Ok();
}

double ArabicGlyphAdvance(char32_t shape) {
  ContextPtr ctx = NewQuietContext();
  if (!ctx) return 0;
  const unsigned code = static_cast<unsigned>(shape);
  int id = 0;
  float advance = 0;
  char err[256] = "";
  if (ArabicGlyphs(ctx.get(), 1, &code, &id, &advance, err, sizeof err) != 0) return 0;
  return advance;
}

Status MakePdfFromHtml(const std::vector<std::string>& html_pages, const std::string& out_path) {
  ContextPtr ctx = NewQuietContext();
  if (!ctx) return Status::Internal("cannot create MuPDF context");
  std::vector<const char*> html;
  for (const std::string& h : html_pages) html.push_back(h.c_str());
  char err[256] = "";
  if (WriteHtmlPdf(ctx.get(), static_cast<int>(html.size()), html.data(), out_path.c_str(), err,
                   sizeof err) != 0) {
    return Status::Internal("writing " + out_path + ": " + err);
  }
  return Status::Ok();
}

PdfPageBuilder::PdfPageBuilder(double width, double height) : y_(height - kMargin) {
  page_.width = width;
  page_.height = height;
}

PdfPageBuilder& PdfPageBuilder::Line(const std::string& text, double size, PdfFont font,
                                     double indent) {
  y_ -= size;
  page_.runs.push_back({kMargin + indent, y_, size, font, text});
  y_ -= size * 0.2;
  return *this;
}

PdfPageBuilder& PdfPageBuilder::Row(const std::vector<std::pair<double, std::string>>& cells,
                                    double size, PdfFont font) {
  y_ -= size;
  for (const auto& [x, text] : cells) page_.runs.push_back({kMargin + x, y_, size, font, text});
  y_ -= size * 0.2;
  return *this;
}

PdfPageBuilder& PdfPageBuilder::Gap(double points) {
  y_ -= points;
  return *this;
}

PdfPageBuilder& PdfPageBuilder::Rule(double width, double thickness, double indent) {
  y_ -= 3;
  page_.shapes.push_back({kMargin + indent, y_, width, thickness, 0, true, 0.5});
  y_ -= 3;
  return *this;
}

PdfPageBuilder& PdfPageBuilder::BeginBox() {
  y_ -= 4;
  box_top_ = y_;
  return *this;
}

PdfPageBuilder& PdfPageBuilder::EndBox(double width, double gray) {
  y_ -= 4;
  page_.shapes.push_back({kMargin - 4, y_, width + 8, box_top_ - y_, gray, true, 0.5});
  y_ -= 4;
  return *this;
}

PdfPageBuilder& PdfPageBuilder::At(double x, double y, const std::string& text, double size, PdfFont font) {
  page_.runs.push_back({x, y, size, font, text});
  return *this;
}

}  // namespace docpipe::testing
