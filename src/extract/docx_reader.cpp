// DOCX / DOCM: word/document.xml with its styles, numbering, notes and
// relationships, to the extract contract's Markdown.
#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "common/strings.h"
#include "extract/xml_part.h"
#include "extract/zip_formats.h"

namespace docpipe {
namespace {

using pugi::xml_node;

int ToInt(const std::string& s, int fallback) {
  if (s.empty()) return fallback;
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  return end == s.c_str() ? fallback : static_cast<int>(std::clamp<long>(v, -1'000'000, 1'000'000));
}

// Appends `words` to `out`, a space between when both have text.
void AppendDocxWords(std::string& out, std::string_view words) {
  if (words.empty()) return;
  if (!out.empty()) out.push_back(' ');
  out.append(words);
}

// An on/off property ("<w:b/>", "<w:b w:val="0"/>").
bool OnOff(const xml_node& n) {
  if (!n) return false;
  const std::string v = AttrValue(n, "val");
  return v.empty() || (v != "0" && v != "false" && v != "off");
}

struct Style {
  std::string name;      // lower case
  std::string based_on;
  int outline_level = -1;  // 0-8; -1 unset; 9 = body text
  int num_id = -1;
  int ilvl = -1;
  bool code = false;
};

struct Level {
  bool ordered = false;
  int start = 1;
};

struct Numbering {
  std::map<int, std::string> abstract_of_num;
  std::map<std::string, std::map<int, Level>> abstract_levels;
  std::map<int, std::map<int, int>> start_overrides;  // numId -> ilvl -> start
  //! Format of (numId, ilvl); bullet when unknown.
  Level LevelOf(int num_id, int ilvl) const {
    Level l;
    auto a = abstract_of_num.find(num_id);
    if (a != abstract_of_num.end()) {
      auto levels = abstract_levels.find(a->second);
      if (levels != abstract_levels.end()) {
        auto it = levels->second.find(ilvl);
        if (it != levels->second.end()) l = it->second;
      }
    }
    auto o = start_overrides.find(num_id);
    if (o != start_overrides.end() && o->second.count(ilvl)) l.start = o->second.at(ilvl);
    return l;
  }
};

// One paragraph's inline content as it is collected.
struct Inline {
  std::string text;
  std::vector<std::string> images;    // alt texts
  std::vector<std::string> comments;  // "Comment (author): text"
  std::vector<std::string> text_boxes;
  bool break_before = false;  // a page break before any text
  bool break_after = false;   // a page break after some text
};

struct Field {
  std::string instruction;
  size_t result_start = std::string::npos;  // in Inline::text, once "separate" was seen
};

class DocxReader {
 public:
  explicit DocxReader(ZipReadContext& c) : c_(c) {}

  Status Read(const std::string& main_part) {
    main_part_ = main_part;
    Result<Relationships> rels = ReadRelationships(c_, main_part);
    if (!rels.ok()) return rels.status();
    rels_ = std::move(*rels);
    DOCPIPE_RETURN_IF_ERROR(LoadStyles());
    DOCPIPE_RETURN_IF_ERROR(LoadNumbering());
    DOCPIPE_RETURN_IF_ERROR(LoadNotes("footnotes", "footnote", &footnotes_));
    DOCPIPE_RETURN_IF_ERROR(LoadNotes("endnotes", "endnote", &endnotes_));
    if (c_.options.docx_comments) DOCPIPE_RETURN_IF_ERROR(LoadComments());
    Result<XmlDocumentPtr> doc = c_.Xml(main_part);
    if (!doc.ok()) return doc.status();
    xml_node body = Child(Child(**doc, "document"), "body");
    if (!body) return Status::InvalidInput(c_.name + ": " + main_part + " has no w:body");
    Blocks(body);
    FlushCode();
    FlushNotes(&page_notes_);
    FlushNotes(&end_notes_);
    return c_.out.status();
  }

 private:
  // ---- parts -----------------------------------------------------------------

  std::string PartOfType(const char* type) const {
    for (const auto& [id, r] : rels_)
      if (r.type == type && !r.external) return r.target;
    return "";
  }

  Status LoadStyles() {
    const std::string part = PartOfType("styles");
    if (part.empty() || !c_.zip.Has(part)) return Status::Ok();
    Result<XmlDocumentPtr> doc = c_.Xml(part);
    if (!doc.ok()) return doc.status();
    for (xml_node s : Child(**doc, "styles").children()) {
      if (!IsElement(s, "style")) continue;
      Style st;
      st.name = AsciiLower(AttrValue(Child(s, "name"), "val"));
      st.based_on = AttrValue(Child(s, "basedOn"), "val");
      xml_node ppr = Child(s, "pPr");
      if (xml_node ol = Child(ppr, "outlineLvl")) st.outline_level = ToInt(AttrValue(ol, "val"), -1);
      if (xml_node num = Child(ppr, "numPr")) {
        st.num_id = ToInt(AttrValue(Child(num, "numId"), "val"), -1);
        st.ilvl = ToInt(AttrValue(Child(num, "ilvl"), "val"), -1);
      }
      const std::string id = AttrValue(s, "styleId");
      const std::string lid = AsciiLower(id);
      st.code = lid.find("code") != std::string::npos || st.name.find("code") != std::string::npos ||
                st.name.find("preformatted") != std::string::npos || lid == "macro" || lid == "plaintext";
      styles_[id] = std::move(st);
    }
    return Status::Ok();
  }

  Status LoadNumbering() {
    const std::string part = PartOfType("numbering");
    if (part.empty() || !c_.zip.Has(part)) return Status::Ok();
    Result<XmlDocumentPtr> doc = c_.Xml(part);
    if (!doc.ok()) return doc.status();
    xml_node root = Child(**doc, "numbering");
    for (xml_node n : root.children()) {
      if (IsElement(n, "abstractNum")) {
        auto& levels = numbering_.abstract_levels[AttrValue(n, "abstractNumId")];
        for (xml_node l : n.children()) {
          if (!IsElement(l, "lvl")) continue;
          Level lv;
          const std::string fmt = AttrValue(Child(l, "numFmt"), "val");
          lv.ordered = !fmt.empty() && fmt != "bullet" && fmt != "none";
          lv.start = ToInt(AttrValue(Child(l, "start"), "val"), 1);
          levels[ToInt(AttrValue(l, "ilvl"), 0)] = lv;
        }
      } else if (IsElement(n, "num")) {
        const int id = ToInt(AttrValue(n, "numId"), -1);
        numbering_.abstract_of_num[id] = AttrValue(Child(n, "abstractNumId"), "val");
        for (xml_node o : n.children()) {
          if (!IsElement(o, "lvlOverride")) continue;
          if (xml_node so = Child(o, "startOverride"))
            numbering_.start_overrides[id][ToInt(AttrValue(o, "ilvl"), 0)] = ToInt(AttrValue(so, "val"), 1);
        }
      }
    }
    return Status::Ok();
  }

  Status LoadNotes(const char* rel_type, const char* element, std::map<std::string, std::string>* out) {
    const std::string part = PartOfType(rel_type);
    if (part.empty() || !c_.zip.Has(part)) return Status::Ok();
    Result<XmlDocumentPtr> doc = c_.Xml(part);
    if (!doc.ok()) return doc.status();
    for (xml_node n : (*doc)->first_child().children()) {
      if (!IsElement(n, element)) continue;
      const std::string type = AttrValue(n, "type");
      if (type == "separator" || type == "continuationSeparator" || type == "continuationNotice") continue;
      (*out)[AttrValue(n, "id")] = PlainText(n);
    }
    return Status::Ok();
  }

  Status LoadComments() {
    const std::string part = PartOfType("comments");
    if (part.empty() || !c_.zip.Has(part)) return Status::Ok();
    Result<XmlDocumentPtr> doc = c_.Xml(part);
    if (!doc.ok()) return doc.status();
    for (xml_node n : Child(**doc, "comments").children()) {
      if (!IsElement(n, "comment")) continue;
      const std::string author = AttrValue(n, "author");
      const std::string text = PlainText(n);
      if (text.empty()) continue;
      comments_[AttrValue(n, "id")] = author.empty() ? "Comment: " + text : "Comment (" + author + "): " + text;
    }
    return Status::Ok();
  }

  // The paragraphs of a note or comment as one line of text.
  std::string PlainText(const xml_node& container) {
    std::string out;
    for (pugi::xpath_node x : container.select_nodes(".//*[local-name()='p']")) {
      Inline in;
      Runs(x.node(), in, nullptr);
      std::string t = CollapseSpace(in.text);
      if (t.empty()) continue;
      if (!out.empty()) out += ' ';
      out += t;
    }
    return out;
  }

  // ---- blocks ----------------------------------------------------------------

  void Blocks(const xml_node& parent) {
    for (xml_node n = parent.first_child(); n && c_.out.status().ok(); n = n.next_sibling()) {
      const char* local = LocalName(n);
      if (IsElement(n, "p")) {
        Paragraph(n);
      } else if (IsElement(n, "tbl")) {
        FlushCode();
        Table(n);
      } else if (IsElement(n, "sdt")) {
        Blocks(Child(n, "sdtContent"));
      } else if (IsElement(n, "customXml") || IsElement(n, "ins") || IsElement(n, "moveTo")) {
        Blocks(n);
      } else if (IsElement(n, "AlternateContent")) {
        Blocks(Child(n, "Choice"));
      } else {
        (void)local;  // bookmarks, sectPr, del, moveFrom, permissions: no text
      }
    }
  }

  // A style property, following basedOn (bounded: style cycles exist).
  template <typename F>
  auto StyleLookup(const std::string& style_id, F get) const -> decltype(get(Style{})) {
    std::string id = style_id;
    for (int depth = 0; depth < 20 && !id.empty(); ++depth) {
      auto it = styles_.find(id);
      if (it == styles_.end()) break;
      auto v = get(it->second);
      if (v) return v;
      id = it->second.based_on;
    }
    return decltype(get(Style{})){};
  }

  int HeadingLevel(const xml_node& ppr, const std::string& style_id) const {
    if (xml_node ol = Child(ppr, "outlineLvl")) {
      const int v = ToInt(AttrValue(ol, "val"), 9);
      if (v >= 0 && v < 9) return v + 1;
      if (v == 9) return 0;
    }
    auto it = styles_.find(style_id);
    if (it != styles_.end()) {
      const std::string& n = it->second.name;
      if (n == "title") return 1;
      if (n.rfind("heading ", 0) == 0) return std::clamp(ToInt(n.substr(8), 1), 1, 9);
    }
    std::optional<int> level = StyleLookup(style_id, [](const Style& s) -> std::optional<int> {
      if (s.outline_level >= 0 && s.outline_level < 9) return s.outline_level + 1;
      return std::nullopt;
    });
    return level.value_or(0);
  }

  bool IsCodeStyle(const std::string& style_id) const {
    return StyleLookup(style_id, [](const Style& s) { return s.code; });
  }

  bool IsTocStyle(const std::string& style_id) const {
    auto it = styles_.find(style_id);
    const std::string n = it == styles_.end() ? AsciiLower(style_id) : it->second.name;
    return n.rfind("toc ", 0) == 0 || (n.rfind("toc", 0) == 0 && n.size() <= 4);
  }

  void BeforeBlock() {
    if (!pending_break_) return;
    pending_break_ = false;
    FlushCode();
    FlushNotes(&page_notes_);
    c_.out.BreakPage();
  }

  void Paragraph(const xml_node& p) {
    xml_node ppr = Child(p, "pPr");
    const std::string style = AttrValue(Child(ppr, "pStyle"), "val");
    if (OnOff(Child(ppr, "pageBreakBefore"))) pending_break_ = true;
    in_code_paragraph_ = IsCodeStyle(style);
    Inline in;
    Runs(p, in, nullptr);
    in_code_paragraph_ = false;
    if (in.break_before) pending_break_ = true;
    // A section break in the paragraph's properties ends a page unless it is continuous.
    if (xml_node sect = Child(ppr, "sectPr")) {
      const std::string t = AttrValue(Child(sect, "type"), "val");
      if (t != "continuous") in.break_after = true;
    }
    const std::string text = CollapseSpace(in.text);
    if (IsTocStyle(style)) {
      if (in.break_after) pending_break_ = true;
      return;
    }
    if (IsCodeStyle(style) && in.images.empty()) {
      BeforeBlock();
      code_ += in.text + "\n";
      if (in.break_after) pending_break_ = true;
      return;
    }
    FlushCode();
    if (!text.empty() || !in.images.empty() || !in.text_boxes.empty()) BeforeBlock();
    const int level = HeadingLevel(ppr, style);
    xml_node num = Child(ppr, "numPr");
    int num_id = ToInt(AttrValue(Child(num, "numId"), "val"), -1);
    int ilvl = ToInt(AttrValue(Child(num, "ilvl"), "val"), -1);
    if (num_id < 0 && level == 0) {
      num_id = StyleLookup(style, [](const Style& s) { return s.num_id > 0 ? s.num_id : 0; });
      if (num_id == 0) num_id = -1;
      if (ilvl < 0) ilvl = StyleLookup(style, [](const Style& s) { return s.ilvl > 0 ? s.ilvl : 0; });
    }
    if (!text.empty()) {
      if (level > 0) {
        c_.out.Heading(level, text);
      } else if (num_id > 0) {
        ilvl = std::clamp(ilvl, 0, 8);
        const Level lv = numbering_.LevelOf(num_id, ilvl);
        int number = 0;
        if (lv.ordered) {
          auto& counters = counters_[num_id];
          auto it = counters.find(ilvl);
          number = it == counters.end() ? lv.start : it->second + 1;
          counters[ilvl] = number;
          for (auto deeper = counters.upper_bound(ilvl); deeper != counters.end();) deeper = counters.erase(deeper);
        } else {
          auto& counters = counters_[num_id];
          for (auto deeper = counters.upper_bound(ilvl); deeper != counters.end();) deeper = counters.erase(deeper);
        }
        c_.out.ListItem(ilvl, number, text);
      } else {
        c_.out.Paragraph(text);
      }
    }
    for (const std::string& tb : in.text_boxes) c_.out.Paragraph(tb);
    for (const std::string& alt : in.images) c_.out.Paragraph(ImageText(alt));
    for (const std::string& cm : in.comments) c_.out.Paragraph(cm);
    if (in.break_after) pending_break_ = true;
  }

  void FlushCode() {
    if (code_.empty()) return;
    std::string code;
    code.swap(code_);
    c_.out.Code(code);
  }

  void FlushNotes(std::vector<std::string>* notes) {
    for (const std::string& n : *notes) c_.out.Paragraph(n);
    notes->clear();
  }

  // ---- inline content ----------------------------------------------------------

  void Runs(const xml_node& parent, Inline& in, std::vector<Field>* fields) {
    std::vector<Field> local_fields;
    if (!fields) fields = &local_fields;
    for (xml_node n = parent.first_child(); n; n = n.next_sibling()) {
      if (n.type() != pugi::node_element) continue;
      const char* l = LocalName(n);
      if (!std::strcmp(l, "r")) {
        Run(n, in, *fields);
      } else if (!std::strcmp(l, "hyperlink")) {
        const size_t start = in.text.size();
        Runs(n, in, fields);
        auto it = rels_.find(RelId(n));
        if (it != rels_.end() && it->second.external) {
          std::string label = in.text.substr(start);
          in.text.resize(start);
          in.text += MarkdownLink(label, it->second.target);
        }
      } else if (!std::strcmp(l, "fldSimple")) {
        const size_t start = in.text.size();
        Runs(n, in, fields);
        WrapFieldLink(AttrValue(n, "instr"), start, in);
      } else if (!std::strcmp(l, "ins") || !std::strcmp(l, "moveTo") || !std::strcmp(l, "smartTag") ||
                 !std::strcmp(l, "customXml") || !std::strcmp(l, "bdo") || !std::strcmp(l, "dir")) {
        Runs(n, in, fields);  // tracked insertions are part of the accepted text
      } else if (!std::strcmp(l, "sdt")) {
        Runs(Child(n, "sdtContent"), in, fields);
      } else if (!std::strcmp(l, "AlternateContent")) {
        Runs(Child(n, "Choice"), in, fields);
      } else if (!std::strcmp(l, "oMath") || !std::strcmp(l, "oMathPara")) {
        for (pugi::xpath_node t : n.select_nodes(".//*[local-name()='t']")) in.text += t.node().text().get();
      }
      // del / moveFrom: deleted by a tracked change, not in the accepted text.
    }
  }

  static std::string HyperlinkTarget(const std::string& instruction) {
    // HYPERLINK "url" \o "tip"  /  HYPERLINK \l "anchor"
    size_t pos = instruction.find("HYPERLINK");
    if (pos == std::string::npos) return "";
    std::string rest = instruction.substr(pos + 9);
    if (rest.find("\\l") != std::string::npos && rest.find("\\l") < rest.find('"')) return "";
    size_t q1 = rest.find('"');
    if (q1 == std::string::npos) return "";
    size_t q2 = rest.find('"', q1 + 1);
    return q2 == std::string::npos ? "" : rest.substr(q1 + 1, q2 - q1 - 1);
  }

  void WrapFieldLink(const std::string& instruction, size_t start, Inline& in) {
    const std::string url = HyperlinkTarget(instruction);
    if (url.empty() || start > in.text.size()) return;
    std::string label = in.text.substr(start);
    in.text.resize(start);
    in.text += MarkdownLink(label, url);
  }

  void Run(const xml_node& r, Inline& in, std::vector<Field>& fields) {
    xml_node rpr = Child(r, "rPr");
    const std::string rstyle = AsciiLower(AttrValue(Child(rpr, "rStyle"), "val"));
    const bool code = rstyle.find("verbatim") != std::string::npos || rstyle.find("code") != std::string::npos;
    if (OnOff(Child(rpr, "vanish")) || OnOff(Child(rpr, "webHidden"))) return;  // hidden text
    std::string text;
    auto add_text = [&](const char* t) {
      if (!fields.empty() && fields.back().result_start == std::string::npos) return;  // field code
      text += t;
    };
    for (xml_node n = r.first_child(); n; n = n.next_sibling()) {
      if (n.type() != pugi::node_element) continue;
      const char* l = LocalName(n);
      if (!std::strcmp(l, "t")) {
        add_text(n.text().get());
      } else if (!std::strcmp(l, "tab") || !std::strcmp(l, "cr") || !std::strcmp(l, "ptab")) {
        add_text(" ");
      } else if (!std::strcmp(l, "br")) {
        if (AttrValue(n, "type") == "page") {
          if (CollapseSpace(in.text + text).empty()) in.break_before = true;
          else in.break_after = true;
        } else {
          add_text(" ");
        }
      } else if (!std::strcmp(l, "lastRenderedPageBreak")) {
        if (CollapseSpace(in.text + text).empty()) in.break_before = true;
        else in.break_after = true;
      } else if (!std::strcmp(l, "noBreakHyphen")) {
        add_text("-");
      } else if (!std::strcmp(l, "sym")) {
        // A symbol font glyph: no reliable Unicode mapping.
      } else if (!std::strcmp(l, "footnoteReference") || !std::strcmp(l, "endnoteReference")) {
        const bool foot = l[0] == 'f';
        const auto& notes = foot ? footnotes_ : endnotes_;
        auto it = notes.find(AttrValue(n, "id"));
        if (it != notes.end()) {
          const std::string mark = foot ? fmt::format("{}", ++footnote_count_) : fmt::format("e{}", ++endnote_count_);
          text += "[^" + mark + "]";
          (foot ? page_notes_ : end_notes_).push_back("[^" + mark + "]: " + it->second);
        }
      } else if (!std::strcmp(l, "commentReference")) {
        auto it = comments_.find(AttrValue(n, "id"));
        if (it != comments_.end()) in.comments.push_back(it->second);
      } else if (!std::strcmp(l, "fldChar")) {
        const std::string type = AttrValue(n, "fldCharType");
        if (type == "begin") {
          fields.push_back({});
        } else if (type == "separate" && !fields.empty()) {
          in.text += text;
          text.clear();
          fields.back().result_start = in.text.size();
        } else if (type == "end" && !fields.empty()) {
          in.text += text;
          text.clear();
          if (fields.back().result_start != std::string::npos)
            WrapFieldLink(fields.back().instruction, fields.back().result_start, in);
          fields.pop_back();
        }
      } else if (!std::strcmp(l, "instrText")) {
        if (!fields.empty()) fields.back().instruction += n.text().get();
      } else if (!std::strcmp(l, "drawing") || !std::strcmp(l, "pict") || !std::strcmp(l, "object") ||
                 !std::strcmp(l, "AlternateContent")) {
        Drawing(IsElement(n, "AlternateContent") ? Child(n, "Choice") : n, in);
      }
    }
    if (text.empty()) return;
    if (code && !in_code_paragraph_ && text.find('`') == std::string::npos && !CollapseSpace(text).empty()) {
      in.text += "`" + text + "`";
    } else {
      in.text += text;
    }
  }

  void Drawing(const xml_node& n, Inline& in) {
    // Alt text: wp:docPr descr (or title); VML shapes carry alt=.
    std::string alt;
    for (pugi::xpath_node x : n.select_nodes(".//*[local-name()='docPr' or local-name()='cNvPr']")) {
      alt = AttrValue(x.node(), "descr");
      if (alt.empty()) alt = AttrValue(x.node(), "title");
      if (!alt.empty()) break;
    }
    if (alt.empty()) {
      for (pugi::xpath_node x : n.select_nodes(".//*[local-name()='shape' or local-name()='imagedata']")) {
        alt = AttrValue(x.node(), "alt");
        if (alt.empty()) alt = AttrValue(x.node(), "title");
        if (!alt.empty()) break;
      }
    }
    if (!alt.empty()) in.images.push_back(alt);
    // Text boxes hold paragraphs of their own.
    for (pugi::xpath_node tb : n.select_nodes(".//*[local-name()='txbxContent']")) {
      std::string t = PlainText(tb.node());
      if (!t.empty()) in.text_boxes.push_back(t);
    }
  }

  // ---- tables --------------------------------------------------------------------

  std::string CellText(const xml_node& tc) {
    std::string out;
    for (xml_node n = tc.first_child(); n; n = n.next_sibling()) {
      std::string t;
      if (IsElement(n, "p")) {
        Inline in;
        Runs(n, in, nullptr);
        t = CollapseSpace(in.text);
        for (const std::string& alt : in.images) AppendDocxWords(t, ImageText(alt));
      } else if (IsElement(n, "tbl") || IsElement(n, "sdt") || IsElement(n, "customXml")) {
        // Nested content flattened into the cell.
        for (pugi::xpath_node p : n.select_nodes(".//*[local-name()='p']")) {
          Inline in;
          Runs(p.node(), in, nullptr);
          std::string s = CollapseSpace(in.text);
          AppendDocxWords(t, s);
        }
      }
      AppendDocxWords(out, t);
    }
    return out;
  }

  void Table(const xml_node& tbl) {
    // Grid positions: gridSpan widens a cell, vMerge="continue" repeats the
    // cell above (so every row reads on its own).
    std::vector<TableRow> rows;
    std::vector<std::string> above;  // text per grid column of the previous row
    for (xml_node tr = tbl.first_child(); tr; tr = tr.next_sibling()) {
      if (!IsElement(tr, "tr")) continue;
      TableRow row;
      xml_node trpr = Child(tr, "trPr");
      const int before = ToInt(AttrValue(Child(trpr, "gridBefore"), "val"), 0);
      for (int i = 0; i < std::min(before, 64); ++i) row.emplace_back();
      std::vector<xml_node> cells;
      for (xml_node n = tr.first_child(); n; n = n.next_sibling()) {
        if (IsElement(n, "tc")) cells.push_back(n);
        else if (IsElement(n, "sdt"))
          for (xml_node c : Child(n, "sdtContent").children())
            if (IsElement(c, "tc")) cells.push_back(c);
      }
      for (const xml_node& tc : cells) {
        xml_node tcpr = Child(tc, "tcPr");
        const int span = std::clamp(ToInt(AttrValue(Child(tcpr, "gridSpan"), "val"), 1), 1, 64);
        xml_node vm = Child(tcpr, "vMerge");
        const bool cont = vm && AttrValue(vm, "val") != "restart";
        std::string text;
        if (!cont) text = CellText(tc);
        else if (row.size() < above.size()) text = above[row.size()];
        for (int s = 0; s < span; ++s) row.push_back(text);
      }
      above = row;
      rows.push_back(std::move(row));
      if (rows.size() % 256 == 0 && !c_.out.status().ok()) return;
    }
    if (rows.empty()) return;
    size_t cols = 0;
    for (const TableRow& r : rows) cols = std::max(cols, r.size());
    BeforeBlock();
    if (cols == 1) {
      // A one-column table is a layout box: its cells read as paragraphs.
      for (const TableRow& r : rows)
        if (!r.empty()) c_.out.Paragraph(r[0]);
      return;
    }
    c_.out.Table(rows);
  }

  ZipReadContext& c_;
  std::string main_part_;
  Relationships rels_;
  std::map<std::string, Style> styles_;
  Numbering numbering_;
  std::map<int, std::map<int, int>> counters_;  // numId -> ilvl -> last number
  std::map<std::string, std::string> footnotes_, endnotes_, comments_;
  std::vector<std::string> page_notes_, end_notes_;
  int footnote_count_ = 0, endnote_count_ = 0;
  bool pending_break_ = false;
  bool in_code_paragraph_ = false;
  std::string code_;
};

}  // namespace

Status ReadDocx(ZipReadContext& c, const std::string& main_part) {
  c.summary.format = "docx";
  DocxReader reader(c);
  return reader.Read(main_part);
}

}  // namespace docpipe
