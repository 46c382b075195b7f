// XLSX: one page per sheet (workbook order), the used range as a table with
// its first row as header, shared and inline strings, values formatted as
// the cell's number format displays them, merged ranges repeated.
#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "extract/number_format.h"
#include "extract/sheet_writer.h"
#include "extract/xml_part.h"
#include "extract/zip_formats.h"

namespace docpipe {
namespace {

using pugi::xml_node;

// "AB12" -> column 27 (0-based), row 11 (0-based); false when malformed.
bool ParseCellRef(const char* ref, int* col, int* row) {
  int c = 0, r = 0, letters = 0, digits = 0;
  const char* p = ref;
  while (*p && std::isalpha(static_cast<unsigned char>(*p))) {
    c = c * 26 + (std::toupper(static_cast<unsigned char>(*p)) - 'A' + 1);
    if (++letters > 3) return false;
    ++p;
  }
  while (*p && std::isdigit(static_cast<unsigned char>(*p))) {
    r = r * 10 + (*p - '0');
    if (++digits > 7) return false;
    ++p;
  }
  if (*p || letters == 0 || digits == 0 || r == 0) return false;
  *col = c - 1;
  *row = r - 1;
  return true;
}

// The text of a shared or inline string (<t>, or rich runs <r><t>), without phonetic runs.
std::string StringItem(const xml_node& si) {
  std::string out;
  for (xml_node n = si.first_child(); n; n = n.next_sibling()) {
    if (IsElement(n, "t")) out += n.text().get();
    else if (IsElement(n, "r")) out += Child(n, "t").text().get();
  }
  return out;
}

class XlsxReader {
 public:
  explicit XlsxReader(ZipReadContext& c) : c_(c) {}

  Status Read(const std::string& main_part) {
    Result<Relationships> rels = ReadRelationships(c_, main_part);
    if (!rels.ok()) return rels.status();
    Result<XmlDocumentPtr> wb = c_.Xml(main_part);
    if (!wb.ok()) return wb.status();
    xml_node workbook = Child(**wb, "workbook");
    date1904_ = Attr(Child(workbook, "workbookPr"), "date1904").as_bool();
    for (const auto& [id, r] : *rels) {
      if (r.external || !c_.zip.Has(r.target)) continue;
      if (r.type == "sharedStrings") DOCPIPE_RETURN_IF_ERROR(LoadSharedStrings(r.target));
      if (r.type == "styles") DOCPIPE_RETURN_IF_ERROR(LoadStyles(r.target));
    }
    int index = 0;
    for (xml_node s : Child(workbook, "sheets").children()) {
      if (!IsElement(s, "sheet")) continue;
      if (index++ > 0) DOCPIPE_RETURN_IF_ERROR(c_.out.BreakPage(/*force=*/true));
      const std::string state = AttrValue(s, "state");
      if (state == "hidden" || state == "veryHidden") continue;  // the page stays, empty
      auto it = rels->find(RelId(s));
      if (it == rels->end() || it->second.external || !c_.zip.Has(it->second.target)) continue;  // chart sheets
      DOCPIPE_RETURN_IF_ERROR(Sheet(AttrValue(s, "name"), it->second.target));
    }
    return c_.out.status();
  }

 private:
  Status LoadSharedStrings(const std::string& part) {
    Result<XmlDocumentPtr> doc = c_.Xml(part);
    if (!doc.ok()) return doc.status();
    for (xml_node si : Child(**doc, "sst").children())
      if (IsElement(si, "si")) strings_.push_back(StringItem(si));
    return Status::Ok();
  }

  Status LoadStyles(const std::string& part) {
    Result<XmlDocumentPtr> doc = c_.Xml(part);
    if (!doc.ok()) return doc.status();
    xml_node ss = Child(**doc, "styleSheet");
    std::map<int, std::string> custom;
    for (xml_node f : Child(ss, "numFmts").children())
      if (IsElement(f, "numFmt")) custom[Attr(f, "numFmtId").as_int()] = AttrValue(f, "formatCode");
    for (xml_node xf : Child(ss, "cellXfs").children()) {
      if (!IsElement(xf, "xf")) continue;
      const int id = Attr(xf, "numFmtId").as_int();
      auto it = custom.find(id);
      formats_.push_back(it != custom.end() ? it->second : BuiltinNumberFormat(id));
    }
    return Status::Ok();
  }

  std::string CellValue(const xml_node& cell) {
    const std::string type = AttrValue(cell, "t");
    const char* v = Child(cell, "v").text().get();
    if (type == "s") {
      const long i = std::strtol(v, nullptr, 10);
      return i >= 0 && static_cast<size_t>(i) < strings_.size() ? strings_[static_cast<size_t>(i)] : "";
    }
    if (type == "inlineStr") return StringItem(Child(cell, "is"));
    if (type == "str" || type == "e" || type == "d") return v;
    if (type == "b") return std::strcmp(v, "1") == 0 ? "TRUE" : "FALSE";
    if (!*v) return "";
    char* end = nullptr;
    const double value = std::strtod(v, &end);
    if (end == v) return v;
    const long style = Attr(cell, "s").as_int();
    const std::string& code =
        style >= 0 && static_cast<size_t>(style) < formats_.size() ? formats_[static_cast<size_t>(style)] : kGeneral;
    return FormatNumber(value, code, date1904_);
  }

  Status Sheet(const std::string& sheet_name, const std::string& part) {
    Result<XmlDocumentPtr> doc = c_.Xml(part);
    if (!doc.ok()) return doc.status();
    xml_node ws = Child(**doc, "worksheet");
    // Cells by row, sparse: huge used ranges with few cells stay small.
    std::map<int, std::map<int, std::string>> cells;
    int64_t count = 0;
    bool dropped = false;
    int next_row = 0;
    for (xml_node row : Child(ws, "sheetData").children()) {
      if (!IsElement(row, "row")) continue;
      int r = Attr(row, "r").as_int(next_row + 1) - 1;
      if (r < 0 || r > 1'048'575) r = next_row;
      next_row = r + 1;
      int next_col = 0;
      for (xml_node cell : row.children()) {
        if (!IsElement(cell, "c")) continue;
        int col = next_col, rr = r;
        if (const char* ref = Attr(cell, "r").value(); *ref && !ParseCellRef(ref, &col, &rr)) col = next_col;
        next_col = col + 1;
        std::string value = CellValue(cell);
        if (value.empty()) continue;
        if (++count > c_.options.sheet_max_cells || col > 16'383) {
          dropped = true;
          break;
        }
        cells[r][col] = std::move(value);
      }
      if (dropped) break;
    }
    if (dropped)
      c_.Warn(fmt::format("sheet {}: more than {} cells; the rest was dropped", sheet_name, c_.options.sheet_max_cells));
    // Merged ranges show their top-left value in every covered cell.
    for (xml_node m : Child(ws, "mergeCells").children()) {
      const std::string ref = AttrValue(m, "ref");
      const size_t colon = ref.find(':');
      int c0, r0, c1, r1;
      if (colon == std::string::npos || !ParseCellRef(ref.substr(0, colon).c_str(), &c0, &r0) ||
          !ParseCellRef(ref.substr(colon + 1).c_str(), &c1, &r1))
        continue;
      auto row_it = cells.find(r0);
      if (row_it == cells.end() || !row_it->second.count(c0)) continue;
      const std::string value = row_it->second[c0];
      if (static_cast<int64_t>(r1 - r0 + 1) * (c1 - c0 + 1) > 10'000) continue;  // a pathological merge
      for (int r = r0; r <= r1; ++r)
        for (int c = c0; c <= c1; ++c) cells[r][c] = value;
    }
    c_.out.Heading(1, sheet_name);
    if (cells.empty()) return c_.out.status();
    int min_col = INT32_MAX, max_col = 0;
    for (const auto& [r, row] : cells) {
      min_col = std::min(min_col, row.begin()->first);
      max_col = std::max(max_col, row.rbegin()->first);
    }
    std::vector<TableRow> rows;
    int prev = cells.begin()->first;
    for (auto& [r, row] : cells) {
      // Keep at most one empty row for a gap: it reads as a separator without inflating the table.
      if (r > prev + 1) rows.emplace_back(static_cast<size_t>(max_col - min_col + 1));
      prev = r;
      TableRow out(static_cast<size_t>(max_col - min_col + 1));
      for (auto& [c, v] : row) out[static_cast<size_t>(c - min_col)] = std::move(v);
      rows.push_back(std::move(out));
    }
    cells.clear();
    WriteSheetTables(std::move(rows), c_.options.sheet_rows_per_table, c_.out);
    return c_.out.status();
  }

  inline static const std::string kGeneral = "General";
  ZipReadContext& c_;
  std::vector<std::string> strings_;
  std::vector<std::string> formats_;
  bool date1904_ = false;
};

}  // namespace

Status ReadXlsx(ZipReadContext& c, const std::string& main_part) {
  c.summary.format = "xlsx";
  XlsxReader reader(c);
  return reader.Read(main_part);
}

}  // namespace docpipe
