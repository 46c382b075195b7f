// OpenDocument text, presentations and spreadsheets (content.xml), read as
// their OOXML counterparts: headings by outline level, lists with nesting
// and numbering from the list style, tables with spans repeated, notes,
// links, frame alt text; one page per slide or sheet; soft page breaks as
// page boundaries in text documents.
#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "common/strings.h"
#include "extract/drawingml_text.h"
#include "extract/sheet_writer.h"
#include "extract/xml_part.h"
#include "extract/zip_formats.h"

namespace docpipe {
namespace {

using pugi::xml_node;

constexpr int kMaxRepeat = 1000;  // a repeated row or column with content is shown at most this often

// "1.5in" / "2cm" / "10mm" / "12pt" to points, for reading order on slides.
double Length(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  std::string unit = end ? end : "";
  if (unit == "in") return v * 72;
  if (unit == "cm") return v * 72 / 2.54;
  if (unit == "mm") return v * 72 / 25.4;
  return v;
}

void AppendOdfWords(std::string& out, std::string_view words) {
  if (words.empty()) return;
  if (!out.empty()) out.push_back(' ');
  out.append(words);
}

class OdfReader {
 public:
  explicit OdfReader(ZipReadContext& c) : c_(c) {}

  Status Read(const std::string& mimetype) {
    if (c_.zip.Has("styles.xml")) {
      Result<XmlDocumentPtr> styles = c_.Xml("styles.xml");
      if (!styles.ok()) return styles.status();
      LoadStyles(**styles);
    }
    Result<XmlDocumentPtr> content = c_.Xml("content.xml");
    if (!content.ok()) return content.status();
    LoadStyles(**content);
    xml_node body = Child(Child(**content, "document-content"), "body");
    if (xml_node text = Child(body, "text")) {
      c_.summary.format = "odt";
      TextBlocks(text);
      FlushCode();
      for (const std::string& n : page_notes_) c_.out.Paragraph(n);
    } else if (xml_node pres = Child(body, "presentation")) {
      c_.summary.format = "odp";
      Presentation(pres);
    } else if (xml_node sheet = Child(body, "spreadsheet")) {
      c_.summary.format = "ods";
      Spreadsheet(sheet);
    } else {
      return Status::InvalidInput(c_.name + ": OpenDocument (" + mimetype + ") without text, presentation or "
                                                                             "spreadsheet body");
    }
    return c_.out.status();
  }

 private:
  struct StyleInfo {
    std::string parent;
    std::string display;  // lower-case name chain tested for code styles
    bool mono = false;
    bool hidden = false;  // presentation:visibility="hidden" (slides), table:display="false" (sheets)
  };

  void LoadStyles(const pugi::xml_document& doc) {
    for (pugi::xpath_node x : doc.select_nodes("//*[local-name()='style' or local-name()='list-style']")) {
      xml_node s = x.node();
      const std::string name = AttrValue(s, "name");
      if (name.empty()) continue;
      if (IsElement(s, "list-style")) {
        for (xml_node l : s.children()) {
          const int level = Attr(l, "level").as_int(1);
          if (IsElement(l, "list-level-style-number")) {
            list_levels_[name][level] = !AttrValue(l, "num-format").empty();
            list_starts_[name][level] = Attr(l, "start-value").as_int(1);
          } else if (IsElement(l, "list-level-style-bullet") || IsElement(l, "list-level-style-image")) {
            list_levels_[name][level] = false;
          }
        }
        continue;
      }
      StyleInfo info;
      info.parent = AttrValue(s, "parent-style-name");
      info.display = AsciiLower(name + " " + AttrValue(s, "display-name"));
      const std::string font = AsciiLower(AttrValue(Child(s, "text-properties"), "font-name"));
      info.mono = font.find("courier") != std::string::npos || font.find("mono") != std::string::npos;
      info.hidden = AttrValue(Child(s, "drawing-page-properties"), "visibility") == "hidden" ||
                    AttrValue(Child(s, "table-properties"), "display") == "false";
      styles_[name] = std::move(info);
      if (const std::string list = AttrValue(s, "list-style-name"); !list.empty()) style_lists_[name] = list;
    }
  }

  bool IsCode(std::string style) const {
    for (int depth = 0; depth < 20 && !style.empty(); ++depth) {
      auto it = styles_.find(style);
      if (it == styles_.end()) break;
      const std::string& d = it->second.display;
      if (it->second.mono || d.find("preformatted") != std::string::npos ||
          d.find("source") != std::string::npos || d.find("code") != std::string::npos)
        return true;
      style = it->second.parent;
    }
    return false;
  }

  bool IsTitle(const std::string& style) const {
    auto it = styles_.find(style);
    std::string s = style;
    for (int depth = 0; depth < 20 && it != styles_.end(); ++depth) {
      if (it->first == "Title") return true;
      it = styles_.find(it->second.parent);
    }
    return s == "Title";
  }

  // ---- inline ------------------------------------------------------------------

  struct Inline {
    std::string text;
    std::vector<std::string> images, boxes, comments;
    bool page_break = false;
  };

  void Spans(const xml_node& parent, Inline& in) {
    for (xml_node n = parent.first_child(); n; n = n.next_sibling()) {
      if (n.type() == pugi::node_pcdata) {
        in.text += n.value();
        continue;
      }
      if (n.type() != pugi::node_element) continue;
      const char* l = LocalName(n);
      if (!std::strcmp(l, "s")) {
        in.text += ' ';
      } else if (!std::strcmp(l, "tab") || !std::strcmp(l, "line-break")) {
        in.text += ' ';
      } else if (!std::strcmp(l, "span") || !std::strcmp(l, "meta") || !std::strcmp(l, "ruby-base") ||
                 !std::strcmp(l, "text-input") || !std::strcmp(l, "date") || !std::strcmp(l, "page-number") ||
                 !std::strcmp(l, "chapter") || !std::strcmp(l, "sequence") || !std::strcmp(l, "reference-ref") ||
                 !std::strcmp(l, "bookmark-ref")) {
        Spans(n, in);
      } else if (!std::strcmp(l, "a")) {
        Inline inner;
        Spans(n, inner);
        const std::string href = AttrValue(n, "href");
        if (!href.empty() && href[0] != '#') in.text += MarkdownLink(inner.text, href);
        else in.text += inner.text;
        for (auto& i : inner.images) in.images.push_back(i);
      } else if (!std::strcmp(l, "note")) {
        Inline body;
        for (xml_node p : Child(n, "note-body").children()) Spans(p, body), body.text += ' ';
        const bool end = AttrValue(n, "note-class") == "endnote";
        const std::string mark = end ? fmt::format("e{}", ++endnotes_) : fmt::format("{}", ++footnotes_);
        in.text += "[^" + mark + "]";
        page_notes_.push_back("[^" + mark + "]: " + CollapseSpace(body.text));
      } else if (!std::strcmp(l, "annotation")) {
        if (!c_.options.docx_comments) continue;
        Inline body;
        std::string author = Child(n, "creator").text().get();
        for (xml_node p : n.children())
          if (IsElement(p, "p")) Spans(p, body), body.text += ' ';
        std::string t = CollapseSpace(body.text);
        if (!t.empty()) in.comments.push_back(author.empty() ? "Comment: " + t : "Comment (" + author + "): " + t);
      } else if (!std::strcmp(l, "frame")) {
        Frame(n, in);
      } else if (!std::strcmp(l, "soft-page-break")) {
        in.page_break = true;
      }
      // text:bookmark*, text:change*, text:tracked-changes: no text of their own.
    }
  }

  void Frame(const xml_node& frame, Inline& in) {
    std::string alt = CollapseSpace(Child(frame, "desc").text().get());
    if (alt.empty()) alt = CollapseSpace(Child(frame, "title").text().get());
    if (!alt.empty()) in.images.push_back(alt);
    if (xml_node box = Child(frame, "text-box")) {
      Inline inner;
      for (xml_node p : box.children())
        if (IsElement(p, "p") || IsElement(p, "h")) Spans(p, inner), inner.text += ' ';
      std::string t = CollapseSpace(inner.text);
      if (!t.empty()) in.boxes.push_back(t);
    }
  }

  // ---- text documents ---------------------------------------------------------------

  void BreakIfPending() {
    if (!pending_break_) return;
    pending_break_ = false;
    FlushCode();
    for (const std::string& n : page_notes_) c_.out.Paragraph(n);
    page_notes_.clear();
    c_.out.BreakPage();
  }

  void FlushCode() {
    if (code_.empty()) return;
    std::string code;
    code.swap(code_);
    c_.out.Code(code);
  }

  void Extras(const Inline& in) {
    for (const std::string& b : in.boxes) c_.out.Paragraph(b);
    for (const std::string& a : in.images) c_.out.Paragraph(ImageText(a));
    for (const std::string& cm : in.comments) c_.out.Paragraph(cm);
  }

  static bool OnlyCrossReference(const xml_node& h) {
    bool ref = false;
    for (xml_node c = h.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_pcdata && CollapseSpace(c.value()).empty()) continue;
      if (c.type() == pugi::node_element &&
          (IsElement(c, "bookmark-ref") || IsElement(c, "reference-ref") || IsElement(c, "sequence-ref"))) {
        ref = true;
        continue;
      }
      if (c.type() == pugi::node_element && (IsElement(c, "bookmark") || IsElement(c, "bookmark-start") ||
                                             IsElement(c, "bookmark-end") || IsElement(c, "soft-page-break")))
        continue;
      return false;
    }
    return ref;
  }

  void TextBlocks(const xml_node& parent) {
    for (xml_node n = parent.first_child(); n && c_.out.status().ok(); n = n.next_sibling()) {
      if (IsElement(n, "soft-page-break")) {
        pending_break_ = true;
      } else if (IsElement(n, "h")) {
        Inline in;
        Spans(n, in);
        if (in.page_break) pending_break_ = true;
        FlushCode();
        BreakIfPending();
        // A heading that is nothing but a reference to another heading is a
        // generated table-of-contents entry (SiSU writes its contents this
        // way; live-manual-odf): its text stays, as a paragraph, so the real
        // heading is not doubled in the outline and breadcrumbs.
        if (OnlyCrossReference(n)) c_.out.Paragraph(in.text);
        else c_.out.Heading(Attr(n, "outline-level").as_int(1), in.text);
        Extras(in);
      } else if (IsElement(n, "p")) {
        Inline in;
        Spans(n, in);
        if (in.page_break && CollapseSpace(in.text).empty()) pending_break_ = true;
        const std::string style = AttrValue(n, "style-name");
        if (IsCode(style)) {
          BreakIfPending();
          code_ += in.text + "\n";
          continue;
        }
        FlushCode();
        if (!CollapseSpace(in.text).empty()) BreakIfPending();
        if (IsTitle(style)) c_.out.Heading(1, in.text);
        else c_.out.Paragraph(in.text);
        Extras(in);
        if (in.page_break && !CollapseSpace(in.text).empty()) pending_break_ = true;
      } else if (IsElement(n, "list")) {
        FlushCode();
        BreakIfPending();
        std::string style = AttrValue(n, "style-name");
        List(n, 0, style);
      } else if (IsElement(n, "table")) {
        FlushCode();
        BreakIfPending();
        std::vector<TableRow> rows = TableRows(n);
        size_t cols = 0;
        for (const TableRow& r : rows) cols = std::max(cols, r.size());
        if (cols == 1) {
          for (const TableRow& r : rows) c_.out.Paragraph(r.empty() ? "" : r[0]);
        } else {
          c_.out.Table(rows);
        }
      } else if (IsElement(n, "section") || IsElement(n, "index-body") || IsElement(n, "illustration-index") ||
                 IsElement(n, "bibliography")) {
        TextBlocks(n);
      } else if (IsElement(n, "table-of-content")) {
        // A generated table of contents repeats the headings.
      }
    }
  }

  void List(const xml_node& list, int depth, const std::string& style) {
    int number = 0;
    bool ordered = false;
    auto levels = list_levels_.find(style);
    if (levels != list_levels_.end()) {
      auto lv = levels->second.find(depth + 1);
      ordered = lv != levels->second.end() && lv->second;
      if (ordered) number = list_starts_[style][depth + 1] - 1;
    }
    if (const char* start = Attr(list, "start-value").value(); *start) number = std::atoi(start) - 1;
    for (xml_node item = list.first_child(); item; item = item.next_sibling()) {
      if (!IsElement(item, "list-item") && !IsElement(item, "list-header")) continue;
      if (const char* s = Attr(item, "start-value").value(); *s) number = std::atoi(s) - 1;
      bool first = true;
      for (xml_node n = item.first_child(); n; n = n.next_sibling()) {
        if (IsElement(n, "p") || IsElement(n, "h")) {
          Inline in;
          Spans(n, in);
          if (first) {
            c_.out.ListItem(depth, ordered ? ++number : 0, in.text);
            first = false;
          } else {
            c_.out.ListItem(depth + 1, 0, in.text);
          }
          for (const std::string& a : in.images) c_.out.ListItem(depth + 1, 0, ImageText(a));
        } else if (IsElement(n, "list")) {
          const std::string own = AttrValue(n, "style-name");
          List(n, depth + 1, own.empty() ? style : own);
        }
      }
    }
  }

  std::string CellText(const xml_node& cell) {
    std::string out;
    for (xml_node n = cell.first_child(); n; n = n.next_sibling()) {
      Inline in;
      if (IsElement(n, "p") || IsElement(n, "h")) {
        Spans(n, in);
      } else if (IsElement(n, "list") || IsElement(n, "table")) {
        for (pugi::xpath_node p : n.select_nodes(".//*[local-name()='p']")) Spans(p.node(), in), in.text += ' ';
      }
      AppendOdfWords(out, CollapseSpace(in.text));
    }
    return out;
  }

  // Rows of a table:table; spans and covered cells repeat the origin's text.
  std::vector<TableRow> TableRows(const xml_node& table, bool sheet = false) {
    std::vector<TableRow> rows;
    std::map<size_t, std::pair<int, std::string>> down;  // column -> rows still covered, text
    std::vector<xml_node> row_nodes;
    for (xml_node n = table.first_child(); n; n = n.next_sibling()) {
      if (IsElement(n, "table-row")) row_nodes.push_back(n);
      else if (IsElement(n, "table-header-rows") || IsElement(n, "table-rows") || IsElement(n, "table-row-group"))
        for (xml_node r : n.children())
          if (IsElement(r, "table-row")) row_nodes.push_back(r);
    }
    size_t pending_empty = 0;
    for (const xml_node& tr : row_nodes) {
      TableRow row;
      for (xml_node tc = tr.first_child(); tc; tc = tc.next_sibling()) {
        const bool covered = IsElement(tc, "covered-table-cell");
        if (!covered && !IsElement(tc, "table-cell")) continue;
        int repeat = std::clamp(Attr(tc, "number-columns-repeated").as_int(1), 1, 16384);
        std::string text;
        if (covered) {
          auto d = down.find(row.size());
          text = d != down.end() && d->second.first > 0 ? d->second.second : (row.empty() ? "" : row.back());
        } else {
          text = CellText(tc);
        }
        if (text.empty() && repeat > 1) {
          row.resize(row.size() + static_cast<size_t>(std::min(repeat, 16384)));
          continue;
        }
        repeat = std::min(repeat, kMaxRepeat);
        const int cspan = std::clamp(Attr(tc, "number-columns-spanned").as_int(1), 1, 1024);
        const int rspan = std::clamp(Attr(tc, "number-rows-spanned").as_int(1), 1, 100000);
        for (int r = 0; r < repeat; ++r) {
          if (rspan > 1)
            for (int c = 0; c < cspan; ++c) down[row.size() + static_cast<size_t>(c)] = {rspan, text};
          row.push_back(text);
        }
      }
      for (auto& [col, d] : down) --d.first;
      while (!row.empty() && row.back().empty()) row.pop_back();
      int repeat = std::clamp(Attr(tr, "number-rows-repeated").as_int(1), 1, 1'048'576);
      if (row.empty()) {
        // Empty rows (often a million repeated ones at a sheet's end) count only before content.
        pending_empty += static_cast<size_t>(std::min(repeat, 2));
        continue;
      }
      for (; pending_empty > 0; --pending_empty) rows.emplace_back();
      repeat = std::min(repeat, kMaxRepeat);
      for (int r = 0; r < repeat; ++r) rows.push_back(row);
      if (sheet && static_cast<int64_t>(rows.size()) * 16 > c_.options.sheet_max_cells) {
        c_.Warn("sheet " + AttrValue(table, "name") + ": too many rows; the rest was dropped");
        break;
      }
    }
    return rows;
  }

  // ---- presentations and spreadsheets ---------------------------------------------

  void Presentation(const xml_node& pres) {
    int index = 0;
    for (xml_node page = pres.first_child(); page; page = page.next_sibling()) {
      if (!IsElement(page, "page")) continue;
      if (index++ > 0) c_.out.BreakPage(/*force=*/true);
      auto st = styles_.find(AttrValue(page, "style-name"));
      if (st != styles_.end() && st->second.hidden) continue;
      struct Shape {
        double y, x, width;
        size_t order;
        bool title;  // the slide's title: the first title frame in reading order
        int level;   // heading level of a title-class frame: 1 for the slide's title, 2 for others
        double column_x = 0;
        xml_node node;
      };
      std::vector<Shape> shapes;
      for (xml_node f = page.first_child(); f; f = f.next_sibling()) {
        if (f.type() != pugi::node_element || IsElement(f, "notes") || IsElement(f, "forms")) continue;
        const std::string cls = AttrValue(f, "class");
        const int level = cls == "title" ? 1 : 0;
        shapes.push_back({Length(AttrValue(f, "y")), Length(AttrValue(f, "x")), Length(AttrValue(f, "width")),
                          shapes.size(), false, level, 0, f});
      }
      // The slide's title: the topmost title frame (leftmost on ties). Other
      // title-class frames (a grid of captioned boxes) stay where they are,
      // as subheadings of their own boxes.
      Shape* top = nullptr;
      for (Shape& sh : shapes)
        if (sh.level == 1 && (!top || sh.y < top->y || (sh.y == top->y && sh.x < top->x))) top = &sh;
      for (Shape& sh : shapes)
        if (sh.level == 1 && &sh != top) sh.level = 2;
      if (top) top->title = true;
      // Reading order as in PPTX: the title, then columns (frames whose
      // horizontal extents overlap, chained) left to right, each top to bottom.
      std::vector<size_t> column(shapes.size());
      for (size_t i = 0; i < shapes.size(); ++i) column[i] = i;
      auto find = [&](size_t i) {
        while (column[i] != i) i = column[i];
        return i;
      };
      for (size_t i = 0; i < shapes.size(); ++i)
        for (size_t j = i + 1; j < shapes.size(); ++j) {
          const Shape& a = shapes[i];
          const Shape& b = shapes[j];
          if (a.title || b.title) continue;
          if (a.x < b.x + std::max(b.width, 1.0) && b.x < a.x + std::max(a.width, 1.0)) column[find(j)] = find(i);
        }
      std::map<size_t, double> column_x;
      for (size_t i = 0; i < shapes.size(); ++i) {
        auto [it, fresh] = column_x.emplace(find(i), shapes[i].x);
        if (!fresh) it->second = std::min(it->second, shapes[i].x);
      }
      for (size_t i = 0; i < shapes.size(); ++i) shapes[i].column_x = column_x[find(i)];
      std::stable_sort(shapes.begin(), shapes.end(), [](const Shape& a, const Shape& b) {
        if (a.title != b.title) return a.title;
        if (a.column_x != b.column_x) return a.column_x < b.column_x;
        if (a.y != b.y) return a.y < b.y;
        return a.x < b.x;
      });
      for (const Shape& s : shapes) SlideShape(s.node, s.level);
      if (c_.options.pptx_speaker_notes) {
        std::string notes;
        for (pugi::xpath_node x : Child(page, "notes").select_nodes(".//*[local-name()='frame'][@*[local-name()='class']='notes']//*[local-name()='p']")) {
          Inline in;
          Spans(x.node(), in);
          AppendOdfWords(notes, CollapseSpace(in.text));
        }
        if (!notes.empty()) c_.out.Paragraph("Notes: " + notes);
      }
    }
  }

  // `heading`: 0 for a body frame, else the heading level of a title frame.
  void SlideShape(const xml_node& f, int heading) {
    if (IsElement(f, "g")) {
      for (xml_node c = f.first_child(); c; c = c.next_sibling()) SlideShape(c, 0);
      return;
    }
    const std::string cls = AttrValue(f, "class");
    if (cls == "page-number" || cls == "footer" || cls == "date-time" || cls == "header") return;
    if (xml_node table = Child(f, "table")) {
      c_.out.Table(TableRows(table));
      return;
    }
    Inline alt;
    if (Child(f, "image") && !Child(f, "text-box")) {
      Frame(f, alt);
      for (const std::string& a : alt.images) c_.out.Paragraph(ImageText(a));
      return;
    }
    xml_node box = IsElement(f, "frame") ? Child(f, "text-box") : f;
    if (heading > 0) {
      Inline in;
      for (pugi::xpath_node p : box.select_nodes(".//*[local-name()='p']")) Spans(p.node(), in), in.text += ' ';
      c_.out.Heading(heading, in.text);
      return;
    }
    const bool bulleted = cls == "outline";
    SlideBlocks(box, 0, bulleted);
  }

  void SlideBlocks(const xml_node& box, int depth, bool bulleted) {
    for (xml_node n = box.first_child(); n; n = n.next_sibling()) {
      if (IsElement(n, "p") || IsElement(n, "h")) {
        Inline in;
        Spans(n, in);
        if (bulleted) c_.out.ListItem(depth, 0, in.text);
        else c_.out.Paragraph(in.text);
      } else if (IsElement(n, "list")) {
        SlideList(n, depth);
      }
    }
  }

  void SlideList(const xml_node& list, int depth) {
    for (xml_node item = list.first_child(); item; item = item.next_sibling()) {
      for (xml_node c = item.first_child(); c; c = c.next_sibling()) {
        if (IsElement(c, "p")) {
          Inline in;
          Spans(c, in);
          c_.out.ListItem(depth, 0, in.text);
        } else if (IsElement(c, "list")) {
          SlideList(c, depth + 1);
        }
      }
    }
  }

  void Spreadsheet(const xml_node& sheet) {
    int index = 0;
    for (xml_node t = sheet.first_child(); t; t = t.next_sibling()) {
      if (!IsElement(t, "table")) continue;
      if (index++ > 0) c_.out.BreakPage(/*force=*/true);
      // A hidden sheet keeps its page number and loses its content, as in XLSX.
      auto st = styles_.find(AttrValue(t, "style-name"));
      if (st != styles_.end() && st->second.hidden) continue;
      c_.out.Heading(1, AttrValue(t, "name"));
      WriteSheetTables(TableRows(t, /*sheet=*/true), c_.options.sheet_rows_per_table, c_.out);
    }
  }

  ZipReadContext& c_;
  std::map<std::string, StyleInfo> styles_;
  std::map<std::string, std::string> style_lists_;
  std::map<std::string, std::map<int, bool>> list_levels_;  // list style -> level -> ordered
  std::map<std::string, std::map<int, int>> list_starts_;
  std::vector<std::string> page_notes_;
  int footnotes_ = 0, endnotes_ = 0;
  bool pending_break_ = false;
  std::string code_;
};

}  // namespace

Status ReadOdf(ZipReadContext& c, const std::string& mimetype) {
  OdfReader reader(c);
  return reader.Read(mimetype);
}

}  // namespace docpipe
