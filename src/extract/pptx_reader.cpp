// PPTX: one page per slide in presentation order, the title as a heading,
// shapes in reading order (top to bottom, then left to right), tables,
// picture alt text, speaker notes (configurable); hidden slides keep their
// page number but no text.
#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "extract/drawingml_text.h"
#include "extract/xml_part.h"
#include "extract/zip_formats.h"

namespace docpipe {
namespace {

using pugi::xml_node;

bool IsMono(const char* face) {
  std::string f = face;
  std::transform(f.begin(), f.end(), f.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return f.find("courier") != std::string::npos || f.find("mono") != std::string::npos ||
         f.find("consolas") != std::string::npos || f.find("menlo") != std::string::npos;
}

// Position of a shape: its own a:xfrm, else its placeholder's on the layout.
struct Position {
  bool known = false;
  long long x = 0, y = 0, cx = 0;
};

Position XfrmPosition(const xml_node& shape) {
  Position p;
  for (const char* props : {"spPr", "grpSpPr", "xfrm"}) {
    xml_node n = std::strcmp(props, "xfrm") == 0 ? Child(shape, "xfrm") : Child(Child(shape, props), "xfrm");
    if (xml_node off = Child(n, "off")) {
      p.known = true;
      p.x = std::atoll(AttrValue(off, "x").c_str());
      p.y = std::atoll(AttrValue(off, "y").c_str());
      p.cx = std::atoll(AttrValue(Child(n, "ext"), "cx").c_str());
      return p;
    }
  }
  return p;
}

xml_node NonVisualProps(const xml_node& shape) {
  for (xml_node c = shape.first_child(); c; c = c.next_sibling()) {
    const char* l = LocalName(c);
    if (std::strncmp(l, "nv", 2) == 0) return c;
  }
  return {};
}

xml_node Placeholder(const xml_node& shape) { return Child(Child(NonVisualProps(shape), "nvPr"), "ph"); }

std::string PlaceholderKey(const xml_node& ph) {
  const std::string type = AttrValue(ph, "type");
  const std::string idx = AttrValue(ph, "idx");
  return (type.empty() ? "body" : type) + "#" + idx;
}

class PptxReader {
 public:
  explicit PptxReader(ZipReadContext& c) : c_(c) {}

  Status Read(const std::string& main_part) {
    Result<Relationships> rels = ReadRelationships(c_, main_part);
    if (!rels.ok()) return rels.status();
    Result<XmlDocumentPtr> pres = c_.Xml(main_part);
    if (!pres.ok()) return pres.status();
    std::vector<std::string> slides;
    for (xml_node id : Child(Child(**pres, "presentation"), "sldIdLst").children()) {
      if (!IsElement(id, "sldId")) continue;
      auto it = rels->find(RelId(id));
      if (it != rels->end() && !it->second.external) slides.push_back(it->second.target);
    }
    for (size_t i = 0; i < slides.size(); ++i) {
      if (i > 0) DOCPIPE_RETURN_IF_ERROR(c_.out.BreakPage(/*force=*/true));
      DOCPIPE_RETURN_IF_ERROR(Slide(slides[i], static_cast<int>(i) + 1));
    }
    return c_.out.status();
  }

 private:
  struct Item {
    Position pos;
    size_t order = 0;
    bool title = false;
    long long column_x = 0;
    xml_node node;
  };

  Status Slide(const std::string& part, int number) {
    if (!c_.zip.Has(part)) {
      c_.Warn(fmt::format("slide {}: part {} is missing", number, part));
      return Status::Ok();
    }
    Result<XmlDocumentPtr> doc = c_.Xml(part);
    if (!doc.ok()) return doc.status();
    xml_node sld = Child(**doc, "sld");
    const std::string show = AttrValue(sld, "show");
    if (show == "0" || show == "false") return Status::Ok();  // hidden: the page stays, empty
    Result<Relationships> rels = ReadRelationships(c_, part);
    if (!rels.ok()) return rels.status();
    std::map<std::string, Position> layout_positions = LayoutPositions(*rels);

    std::vector<Item> items;
    CollectShapes(Child(Child(sld, "cSld"), "spTree"), layout_positions, &items);
    // Reading order: the title; then columns (shapes whose horizontal
    // extents overlap, chained) left to right, each top to bottom; shapes
    // without a known position last, in document order.
    std::vector<int> column(items.size());
    for (size_t i = 0; i < items.size(); ++i) column[i] = static_cast<int>(i);
    auto find = [&](int i) {
      while (column[static_cast<size_t>(i)] != i) i = column[static_cast<size_t>(i)];
      return i;
    };
    for (size_t i = 0; i < items.size(); ++i) {
      for (size_t j = i + 1; j < items.size(); ++j) {
        const Position& a = items[i].pos;
        const Position& b = items[j].pos;
        if (!a.known || !b.known || items[i].title || items[j].title) continue;
        if (a.x < b.x + std::max(b.cx, 1ll) && b.x < a.x + std::max(a.cx, 1ll)) column[static_cast<size_t>(find(static_cast<int>(j)))] = find(static_cast<int>(i));
      }
    }
    std::map<int, long long> column_x;
    for (size_t i = 0; i < items.size(); ++i) {
      const int c = find(static_cast<int>(i));
      auto [it, fresh] = column_x.emplace(c, items[i].pos.x);
      if (!fresh) it->second = std::min(it->second, items[i].pos.x);
    }
    for (size_t i = 0; i < items.size(); ++i) items[i].column_x = column_x[find(static_cast<int>(i))];
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      if (a.title != b.title) return a.title;
      if (a.pos.known != b.pos.known) return a.pos.known;
      if (!a.pos.known) return a.order < b.order;
      if (a.column_x != b.column_x) return a.column_x < b.column_x;
      if (a.pos.y != b.pos.y) return a.pos.y < b.pos.y;
      if (a.pos.x != b.pos.x) return a.pos.x < b.pos.x;
      return a.order < b.order;
    });
    for (const Item& item : items) Shape(item, *rels);
    if (c_.options.pptx_speaker_notes) DOCPIPE_RETURN_IF_ERROR(Notes(*rels));
    return c_.out.status();
  }

  std::map<std::string, Position> LayoutPositions(const Relationships& slide_rels) {
    std::map<std::string, Position> out;
    for (const auto& [id, r] : slide_rels) {
      if (r.type != "slideLayout" || r.external || !c_.zip.Has(r.target)) continue;
      Result<XmlDocumentPtr> doc = c_.Xml(r.target);
      if (!doc.ok()) return out;
      AddPlaceholderPositions(**doc, &out);
      // Placeholders the layout leaves unplaced take the master's position.
      Result<Relationships> layout_rels = ReadRelationships(c_, r.target);
      if (layout_rels.ok()) {
        for (const auto& [mid, m] : *layout_rels) {
          if (m.type != "slideMaster" || m.external || !c_.zip.Has(m.target)) continue;
          Result<XmlDocumentPtr> master = c_.Xml(m.target);
          if (master.ok()) AddPlaceholderPositions(**master, &out);
        }
      }
      break;
    }
    return out;
  }

  static void AddPlaceholderPositions(const pugi::xml_document& doc, std::map<std::string, Position>* out) {
    for (pugi::xpath_node x : doc.select_nodes("//*[local-name()='sp']")) {
      xml_node ph = Placeholder(x.node());
      if (!ph) continue;
      Position p = XfrmPosition(x.node());
      if (!p.known) continue;
      out->emplace(PlaceholderKey(ph), p);
      out->emplace(AttrValue(ph, "type").empty() ? "body#" : AttrValue(ph, "type") + "#", p);
      std::string idx_key = "#";
      idx_key += AttrValue(ph, "idx");
      out->emplace(std::move(idx_key), p);
    }
  }

  void CollectShapes(const xml_node& tree, const std::map<std::string, Position>& layout, std::vector<Item>* items) {
    for (xml_node n = tree.first_child(); n; n = n.next_sibling()) {
      if (n.type() != pugi::node_element) continue;
      if (IsElement(n, "grpSp")) {
        // A group reads as its members, placed where the group is.
        std::vector<Item> members;
        CollectShapes(n, layout, &members);
        Position group = XfrmPosition(n);
        for (Item& m : members) {
          if (group.known) m.pos = group;
          m.order = items->size();
          items->push_back(m);
        }
        continue;
      }
      if (IsElement(n, "AlternateContent")) {
        CollectShapes(Child(n, "Choice"), layout, items);
        continue;
      }
      if (!IsElement(n, "sp") && !IsElement(n, "graphicFrame") && !IsElement(n, "pic") && !IsElement(n, "cxnSp"))
        continue;
      Item item;
      item.node = n;
      item.order = items->size();
      item.pos = XfrmPosition(n);
      if (xml_node ph = Placeholder(n)) {
        const std::string type = AttrValue(ph, "type");
        item.title = type == "title" || type == "ctrTitle";
        if (!item.pos.known) {
          auto it = layout.find(PlaceholderKey(ph));
          std::string idx_key = "#";
          idx_key += AttrValue(ph, "idx");
          if (it == layout.end()) it = layout.find(idx_key);
          if (it == layout.end()) it = layout.find((type.empty() ? "body" : type) + "#");
          if (it != layout.end()) item.pos = it->second;
        }
      }
      items->push_back(item);
    }
  }

  void Shape(const Item& item, const Relationships& rels) {
    const xml_node& n = item.node;
    if (IsElement(n, "pic")) {
      xml_node nv = Child(NonVisualProps(n), "cNvPr");
      std::string alt = AttrValue(nv, "descr");
      if (alt.empty()) alt = AttrValue(nv, "title");
      // pandoc writes "fig:" and the file name when there is no caption.
      if (alt.rfind("fig:", 0) == 0) alt = CollapseSpace(alt.substr(4));
      c_.out.Paragraph(ImageText(alt));
      return;
    }
    if (IsElement(n, "graphicFrame")) {
      for (pugi::xpath_node t : n.select_nodes(".//*[local-name()='tbl']")) {
        std::vector<TableRow> rows = ReadDrawingTable(t.node(), rels);
        size_t cols = 0;
        for (const TableRow& r : rows) cols = std::max(cols, r.size());
        if (cols == 1) {
          for (const TableRow& r : rows) c_.out.Paragraph(r.empty() ? "" : r[0]);
        } else {
          c_.out.Table(rows);
        }
      }
      return;
    }
    xml_node body = Child(n, "txBody");
    if (!body) return;
    xml_node ph = Placeholder(n);
    const std::string type = AttrValue(ph, "type");
    if (type == "sldNum" || type == "dt" || type == "ftr" || type == "hdr") return;  // slide furniture
    if (item.title) {
      std::string title;
      for (const DrawingParagraph& p : ReadTextBody(body, rels, false)) {
        if (!title.empty() && !p.text.empty()) title += ' ';
        title += p.text;
      }
      c_.out.Heading(1, title);
      return;
    }
    // Body and object placeholders show the master's bullets; text boxes do not.
    const bool bulleted = ph && (type.empty() || type == "body" || type == "obj");
    WriteParagraphs(ReadTextBody(body, rels, bulleted), c_.out);
  }

  Status Notes(const Relationships& slide_rels) {
    for (const auto& [id, r] : slide_rels) {
      if (r.type != "notesSlide" || r.external || !c_.zip.Has(r.target)) continue;
      Result<XmlDocumentPtr> doc = c_.Xml(r.target);
      if (!doc.ok()) return doc.status();
      Relationships none;
      std::vector<DrawingParagraph> paragraphs;
      for (pugi::xpath_node x : (*doc)->select_nodes("//*[local-name()='sp']")) {
        xml_node ph = Placeholder(x.node());
        if (!ph || AttrValue(ph, "type") != "body") continue;
        for (DrawingParagraph& p : ReadTextBody(Child(x.node(), "txBody"), none, false))
          if (!p.text.empty()) paragraphs.push_back(std::move(p));
      }
      if (paragraphs.empty()) return Status::Ok();
      paragraphs.front().text = "Notes: " + paragraphs.front().text;
      WriteParagraphs(paragraphs, c_.out);
    }
    return Status::Ok();
  }

  ZipReadContext& c_;
};

}  // namespace

std::vector<DrawingParagraph> ReadTextBody(const pugi::xml_node& tx_body, const Relationships& rels,
                                           bool bulleted_by_default) {
  std::vector<DrawingParagraph> out;
  for (xml_node p = tx_body.first_child(); p; p = p.next_sibling()) {
    if (!IsElement(p, "p")) continue;
    DrawingParagraph para;
    xml_node ppr = Child(p, "pPr");
    para.level = std::clamp(std::atoi(AttrValue(ppr, "lvl").c_str()), 0, 8);
    const bool none = static_cast<bool>(Child(ppr, "buNone"));
    para.numbered = static_cast<bool>(Child(ppr, "buAutoNum"));
    para.bullet = !none && (para.numbered || Child(ppr, "buChar") || Child(ppr, "buBlip") || bulleted_by_default);
    bool all_mono = true, any_text = false;
    for (xml_node r = p.first_child(); r; r = r.next_sibling()) {
      if (IsElement(r, "br")) {
        para.text += ' ';
        continue;
      }
      if (!IsElement(r, "r") && !IsElement(r, "fld")) continue;
      std::string t = Child(r, "t").text().get();
      if (t.empty()) continue;
      xml_node rpr = Child(r, "rPr");
      const char* face = Attr(Child(rpr, "latin"), "typeface").value();
      all_mono = all_mono && IsMono(face);
      any_text = true;
      xml_node link = Child(rpr, "hlinkClick");
      auto it = link ? rels.find(RelId(link)) : rels.end();
      if (it != rels.end() && it->second.external) para.text += MarkdownLink(t, it->second.target);
      else para.text += t;
    }
    para.mono = any_text && all_mono;
    out.push_back(std::move(para));
  }
  return out;
}

void WriteParagraphs(const std::vector<DrawingParagraph>& paragraphs, PageWriter& out) {
  std::map<int, int> counters;
  std::string code;
  for (const DrawingParagraph& p : paragraphs) {
    if (p.mono) {
      code += p.text + "\n";
      continue;
    }
    if (!code.empty()) {
      out.Code(code);
      code.clear();
    }
    if (CollapseSpace(p.text).empty()) continue;
    if (p.bullet) {
      int number = 0;
      if (p.numbered) number = ++counters[p.level];
      for (auto deeper = counters.upper_bound(p.level); deeper != counters.end();) deeper = counters.erase(deeper);
      out.ListItem(p.level, number, p.text);
    } else {
      counters.clear();
      out.Paragraph(p.text);
    }
  }
  if (!code.empty()) out.Code(code);
}

std::vector<TableRow> ReadDrawingTable(const pugi::xml_node& tbl, const Relationships& rels) {
  std::vector<TableRow> rows;
  std::map<size_t, std::pair<int, std::string>> row_spans;  // column -> rows left, text
  for (xml_node tr = tbl.first_child(); tr; tr = tr.next_sibling()) {
    if (!IsElement(tr, "tr")) continue;
    TableRow row;
    std::string left_text;
    for (xml_node tc = tr.first_child(); tc; tc = tc.next_sibling()) {
      if (!IsElement(tc, "tc")) continue;
      const size_t col = row.size();
      std::string text;
      auto span = row_spans.find(col);
      if (AttrValue(tc, "vMerge") == "1" && span != row_spans.end()) {
        text = span->second.second;
      } else if (AttrValue(tc, "hMerge") == "1") {
        text = left_text;
      } else {
        for (const DrawingParagraph& p : ReadTextBody(Child(tc, "txBody"), rels, false)) {
          std::string t = CollapseSpace(p.text);
          if (t.empty()) continue;
          if (!text.empty()) text += ' ';
          text += t;
        }
        const int rspan = std::atoi(AttrValue(tc, "rowSpan").c_str());
        if (rspan > 1) row_spans[col] = {rspan, text};
      }
      const int gspan = std::clamp(std::atoi(AttrValue(tc, "gridSpan").c_str()), 1, 64);
      left_text = text;
      row.push_back(text);
      // Cells covered by a gridSpan are present as hMerge cells in a:tbl.
      (void)gspan;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Status ReadPptx(ZipReadContext& c, const std::string& main_part) {
  c.summary.format = "pptx";
  PptxReader reader(c);
  return reader.Read(main_part);
}

}  // namespace docpipe
