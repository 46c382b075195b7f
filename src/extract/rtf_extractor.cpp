// RTF: paragraphs, tables (\trowd ... \cell ... \row), headings from
// \outlinelevel or "heading N" styles, lists (\listtext / \pntext markers
// and pandoc's "\bullet\tab" items), hyperlink fields, footnotes, code from
// monospaced fonts, \page as a page break. Headers, footers, pictures,
// objects and other non-text destinations are skipped. Text in \'hh form
// is decoded from the document's code page (\ansicpg, default 1252).
#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "common/strings.h"
#include "extract/extractor.h"
#include "extract/format_options.h"
#include "extract/markdown_writer.h"
#include "extract/text_decode.h"

namespace docpipe {
namespace {

constexpr int kMaxDepth = 512;  // group nesting; deeper is refused (stack safety)

void AppendCodePoint(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

enum class Dest { kText, kSkip, kFontTable, kStyleSheet, kFieldInstruction, kFieldResult, kFootnote, kListText, kTitle };

struct State {
  Dest dest = Dest::kText;
  int uc = 1;  // bytes to skip after \uN
  int font = 0;
  bool field_group = false;
  size_t field_start = 0;       // where the field result starts in the paragraph
  std::string* instruction = nullptr;
};

class RtfParser {
 public:
  RtfParser(std::string_view rtf, PageWriter& out, ExtractSummary& summary) : in_(rtf), out_(out), summary_(summary) {}

  Status Parse(const std::string& name) {
    std::vector<State> stack(1);
    size_t skip_bytes = 0;  // \uN fallback characters still to skip
    while (pos_ < in_.size() && out_.status().ok()) {
      const char c = in_[pos_];
      State& st = stack.back();
      if (c == '{') {
        if (stack.size() >= kMaxDepth) return Status::InvalidInput(name + ": RTF groups nested deeper than 512");
        stack.push_back(stack.back());
        stack.back().field_group = false;
        ++pos_;
        if (pos_ + 1 < in_.size() && in_[pos_] == '\\' && in_[pos_ + 1] == '*') {
          pos_ += 2;
          // An ignorable destination: skipped unless it is one we read.
          std::string word = PeekWord();
          if (word == "fldinst") stack.back().dest = Dest::kFieldInstruction;
          else if (word == "footnote") stack.back().dest = Dest::kFootnote;
          else stack.back().dest = Dest::kSkip;
          if (stack.back().dest == Dest::kFootnote) BeginFootnote();
        }
        continue;
      }
      if (c == '}') {
        const State closing = stack.back();
        if (stack.size() > 1) stack.pop_back();
        EndGroup(closing, stack.back());
        ++pos_;
        continue;
      }
      if (c == '\\') {
        ++pos_;
        if (pos_ >= in_.size()) break;
        const char n = in_[pos_];
        if (!std::isalpha(static_cast<unsigned char>(n))) {
          ++pos_;
          if (n == '\'') {
            auto hex = [](char h) {
              return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
            };
            if (pos_ + 2 <= in_.size() && hex(in_[pos_]) >= 0 && hex(in_[pos_ + 1]) >= 0) {
              const int byte = hex(in_[pos_]) * 16 + hex(in_[pos_ + 1]);
              pos_ += 2;
              if (skip_bytes > 0) {
                --skip_bytes;
                continue;
              }
              Byte(st, static_cast<unsigned char>(byte));
            }
          } else if (n == '~') {
            Text(st, "\xC2\xA0");
          } else if (n == '_') {
            Text(st, "-");
          } else if (n == '\\' || n == '{' || n == '}') {
            if (skip_bytes > 0) --skip_bytes;
            else Text(st, std::string(1, n));
          } else if (n == '\n' || n == '\r') {
            Control(stack, "par", false, 0);
          }
          continue;
        }
        size_t start = pos_;
        while (pos_ < in_.size() && std::isalpha(static_cast<unsigned char>(in_[pos_]))) ++pos_;
        std::string word(in_.substr(start, pos_ - start));
        bool has_arg = false;
        long arg = 0;
        if (pos_ < in_.size() && (in_[pos_] == '-' || std::isdigit(static_cast<unsigned char>(in_[pos_])))) {
          size_t num = pos_;
          if (in_[pos_] == '-') ++pos_;
          while (pos_ < in_.size() && std::isdigit(static_cast<unsigned char>(in_[pos_])) && pos_ - num < 10) ++pos_;
          arg = std::strtol(std::string(in_.substr(num, pos_ - num)).c_str(), nullptr, 10);
          has_arg = true;
        }
        if (pos_ < in_.size() && in_[pos_] == ' ') ++pos_;
        if (word == "u" && has_arg) {
          if (st.dest != Dest::kSkip) {
            long cp = arg < 0 ? arg + 65536 : arg;
            Unicode(st, static_cast<uint32_t>(cp));
          }
          skip_bytes = static_cast<size_t>(std::max(0, st.uc));
          continue;
        }
        if (skip_bytes > 0) {
          --skip_bytes;  // a control word stands for one fallback character
          continue;
        }
        Control(stack, word, has_arg, arg);
        continue;
      }
      if (c == '\r' || c == '\n') {
        ++pos_;
        continue;
      }
      // A run of plain text.
      size_t start = pos_;
      while (pos_ < in_.size() && in_[pos_] != '\\' && in_[pos_] != '{' && in_[pos_] != '}' && in_[pos_] != '\r' &&
             in_[pos_] != '\n')
        ++pos_;
      std::string_view run = in_.substr(start, pos_ - start);
      while (skip_bytes > 0 && !run.empty()) {
        run.remove_prefix(1);
        --skip_bytes;
      }
      for (unsigned char b : run) Byte(st, b);
    }
    EndParagraph();
    FlushTable();
    FlushCode();
    for (const std::string& n : notes_) out_.Paragraph(n);
    return out_.status();
  }

 private:
  std::string PeekWord() {
    if (pos_ >= in_.size() || in_[pos_] != '\\') return "";
    size_t p = pos_ + 1, s = p;
    while (p < in_.size() && std::isalpha(static_cast<unsigned char>(in_[p]))) ++p;
    return std::string(in_.substr(s, p - s));
  }

  void Byte(State& st, unsigned char b) {
    if (b < 0x80) {
      Text(st, std::string(1, static_cast<char>(b)));
      return;
    }
    std::string one(1, static_cast<char>(b));
    Result<std::string> u = ConvertToUtf8(one, codepage_.c_str());
    Text(st, u.ok() ? *u : "\xEF\xBF\xBD");
  }

  void Unicode(State& st, uint32_t cp) {
    std::string s;
    AppendCodePoint(s, cp);
    Text(st, s);
  }

  void Text(State& st, const std::string& t) {
    switch (st.dest) {
      case Dest::kText:
      case Dest::kFieldResult:
        para_ += t;
        if (!t.empty() && t != " ") {
          any_text_ = true;
          if (mono_fonts_.count(st.font) == 0) all_mono_ = false;
        }
        break;
      case Dest::kFootnote:
        note_ += t;
        break;
      case Dest::kFontTable:
        font_name_ += t;
        break;
      case Dest::kStyleSheet:
        style_name_ += t;
        break;
      case Dest::kFieldInstruction:
        if (st.instruction) *st.instruction += t;
        break;
      case Dest::kListText:
        list_marker_ += t;
        break;
      case Dest::kTitle:
        title_ += t;
        break;
      case Dest::kSkip:
        break;
    }
  }

  void BeginFootnote() { note_.clear(); }

  void EndGroup(const State& closing, State& parent) {
    if (closing.dest == Dest::kFootnote && parent.dest != Dest::kFootnote) {
      const std::string mark = fmt::format("{}", ++footnotes_);
      para_ += "[^" + mark + "]";
      notes_.push_back("[^" + mark + "]: " + CollapseSpace(note_));
    }
    if (closing.dest == Dest::kFontTable && parent.dest == Dest::kFontTable) EndFont();
    if (closing.dest == Dest::kStyleSheet && parent.dest == Dest::kStyleSheet) EndStyle();
    if (closing.dest == Dest::kTitle && parent.dest != Dest::kTitle) summary_.title = CollapseSpace(title_);
    if (closing.field_group) {
      // {\field{\*\fldinst HYPERLINK "url"}{\fldrslt text}}
      const std::string url = HyperlinkTarget(field_instruction_);
      if (!url.empty() && closing.field_start <= para_.size()) {
        std::string label = para_.substr(closing.field_start);
        para_.resize(closing.field_start);
        para_ += MarkdownLink(label, url);
      }
    }
  }

  static std::string HyperlinkTarget(const std::string& instr) {
    const size_t at = instr.find("HYPERLINK");
    if (at == std::string::npos) return "";
    const size_t q1 = instr.find('"', at);
    if (q1 == std::string::npos) return "";
    const size_t q2 = instr.find('"', q1 + 1);
    return q2 == std::string::npos ? "" : instr.substr(q1 + 1, q2 - q1 - 1);
  }

  void EndFont() {
    std::string lower;
    for (char ch : font_name_) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (font_modern_ || lower.find("courier") != std::string::npos || lower.find("mono") != std::string::npos ||
        lower.find("consolas") != std::string::npos)
      mono_fonts_[font_index_] = true;
    font_name_.clear();
    font_modern_ = false;
  }

  void EndStyle() {
    std::string name = CollapseSpace(style_name_);
    if (!name.empty() && name.back() == ';') name.pop_back();
    std::string lower;
    for (char ch : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower.rfind("heading ", 0) == 0) heading_styles_[style_index_] = std::clamp(std::atoi(lower.c_str() + 8), 1, 6);
    if (lower == "title") heading_styles_[style_index_] = 1;
    style_name_.clear();
  }

  void Control(std::vector<State>& stack, const std::string& w, bool has_arg, long arg) {
    State& st = stack.back();
    // Destinations.
    static const char* kSkipped[] = {"fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "header",
                                     "headerl", "headerr", "headerf", "footer", "footerl", "footerr", "footerf",
                                     "listtable", "listoverridetable", "revtbl", "rsidtbl", "xmlnstbl", "themedata",
                                     "colorschememapping", "latentstyles", "datastore", "generator", "pgdsctbl",
                                     "filetbl", "annotation", "atnid", "atnauthor", "bkmkstart", "bkmkend", "nonshppict",
                                     "shppict", "private", "userprops", "docvar", "mmathPr", "fldtype", "pnseclvl",
                                     "background", "shpinst", "sp", "sn", "sv"};
    if (w == "fonttbl") {
      st.dest = Dest::kFontTable;
      return;
    }
    if (w == "stylesheet") {
      st.dest = Dest::kStyleSheet;
      return;
    }
    if (w == "title" && (stack.size() >= 2 && stack[stack.size() - 2].dest == Dest::kSkip)) {
      st.dest = Dest::kTitle;
      title_.clear();
      return;
    }
    for (const char* s : kSkipped) {
      if (w == s) {
        if (st.dest == Dest::kText || st.dest == Dest::kFieldResult || st.dest == Dest::kFootnote) st.dest = Dest::kSkip;
        else if (w == "info") st.dest = Dest::kSkip;
        return;
      }
    }
    if (st.dest == Dest::kFontTable) {
      if (w == "f" && has_arg) font_index_ = static_cast<int>(arg);
      if (w == "fmodern") font_modern_ = true;
      return;
    }
    if (st.dest == Dest::kStyleSheet) {
      if (w == "s" && has_arg) style_index_ = static_cast<int>(arg);
      return;
    }
    if (w == "field") {
      st.field_group = true;
      st.field_start = para_.size();
      field_instruction_.clear();
      return;
    }
    if (w == "fldinst") {
      st.dest = Dest::kFieldInstruction;
      st.instruction = &field_instruction_;
      return;
    }
    if (w == "fldrslt") {
      st.dest = Dest::kFieldResult;
      return;
    }
    if (w == "listtext" || w == "pntext") {
      st.dest = Dest::kListText;
      list_marker_.clear();
      in_list_item_ = true;
      return;
    }
    if (w == "footnote") {
      st.dest = Dest::kFootnote;
      BeginFootnote();
      return;
    }
    if (st.dest == Dest::kFootnote) {
      if (w == "par" || w == "line" || w == "tab") note_ += ' ';
      return;
    }
    if (w == "ansicpg" && has_arg) {
      codepage_ = fmt::format("CP{}", arg);
      return;
    }
    if (w == "uc" && has_arg) {
      st.uc = static_cast<int>(std::clamp<long>(arg, 0, 8));
      return;
    }
    if (w == "f" && has_arg) {
      st.font = static_cast<int>(arg);
      return;
    }
    if (st.dest == Dest::kSkip) return;
    if (w == "par") {
      EndParagraph();
    } else if (w == "line" || w == "tab") {
      if (w == "tab" && (st.dest == Dest::kText) && !pandoc_marker_checked_) CheckInlineMarker();
      Text(st, " ");
    } else if (w == "page") {
      EndParagraph();
      FlushTable();
      FlushCode();
      for (const std::string& n : notes_) out_.Paragraph(n);
      notes_.clear();
      out_.BreakPage();
    } else if (w == "pard") {
      outline_level_ = -1;
      in_table_ = false;
      left_indent_ = 0;
      style_ = -1;
      list_level_ = -1;
    } else if (w == "outlinelevel" && has_arg) {
      outline_level_ = static_cast<int>(arg);
    } else if (w == "s" && has_arg) {
      style_ = static_cast<int>(arg);
    } else if (w == "li" && has_arg) {
      left_indent_ = arg;
    } else if (w == "ilvl" && has_arg) {
      list_level_ = static_cast<int>(arg);
    } else if (w == "intbl") {
      in_table_ = true;
    } else if (w == "cell" || w == "nestcell") {
      row_.push_back(CollapseSpace(cell_ + " " + para_));
      cell_.clear();
      para_.clear();
      ResetParagraph();
    } else if (w == "row" || w == "nestrow") {
      if (!row_.empty()) rows_.push_back(std::move(row_));
      row_.clear();
    } else if (w == "bullet") {
      Text(st, "\xE2\x80\xA2");
    } else if (w == "endash") {
      Text(st, "\xE2\x80\x93");
    } else if (w == "emdash") {
      Text(st, "\xE2\x80\x94");
    } else if (w == "lquote") {
      Text(st, "\xE2\x80\x98");
    } else if (w == "rquote") {
      Text(st, "\xE2\x80\x99");
    } else if (w == "ldblquote") {
      Text(st, "\xE2\x80\x9C");
    } else if (w == "rdblquote") {
      Text(st, "\xE2\x80\x9D");
    } else if (w == "emspace" || w == "enspace" || w == "qmspace") {
      Text(st, " ");
    }
  }

  // pandoc-style items: "\bullet\tab text" or "1.\tab text" at the start of a paragraph.
  void CheckInlineMarker() {
    pandoc_marker_checked_ = true;
    std::string m = CollapseSpace(para_);
    if (m == "\xE2\x80\xA2" || m == "\xE2\x80\x93" || m == "\xE2\x97\xA6" || m == "-" || m == "*" ||
        (!m.empty() && std::isdigit(static_cast<unsigned char>(m[0])) && (m.back() == '.' || m.back() == ')') &&
         m.size() <= 4)) {
      list_marker_ = m;
      in_list_item_ = true;
      para_.clear();
      any_text_ = false;
      all_mono_ = true;
    }
  }

  void ResetParagraph() {
    any_text_ = false;
    all_mono_ = true;
    in_list_item_ = false;
    list_marker_.clear();
    pandoc_marker_checked_ = false;
  }

  void EndParagraph() {
    if (in_table_) {
      cell_ += " " + para_;
      para_.clear();
      ResetParagraph();
      return;
    }
    FlushTable();
    std::string text = CollapseSpace(para_);
    const bool code = any_text_ && all_mono_ && !in_list_item_;
    para_.clear();
    if (code) {
      code_ += text + "\n";
      ResetParagraph();
      return;
    }
    FlushCode();
    if (!text.empty()) {
      int level = outline_level_ >= 0 && outline_level_ < 9 ? outline_level_ + 1 : 0;
      if (level == 0 && heading_styles_.count(style_)) level = heading_styles_[style_];
      if (level > 0) {
        out_.Heading(level, text);
      } else if (in_list_item_) {
        const std::string m = CollapseSpace(list_marker_);
        const bool ordered = !m.empty() && std::isdigit(static_cast<unsigned char>(m[0]));
        int depth = list_level_ >= 0 ? list_level_ : static_cast<int>(std::max<long>(0, left_indent_ / 360 - 1));
        out_.ListItem(std::min(depth, 8), ordered ? std::max(1, std::atoi(m.c_str())) : 0, text);
      } else {
        out_.Paragraph(text);
      }
    }
    ResetParagraph();
  }

  void FlushCode() {
    if (code_.empty()) return;
    out_.Code(code_);
    code_.clear();
  }

  void FlushTable() {
    if (!row_.empty()) {
      rows_.push_back(std::move(row_));
      row_.clear();
    }
    if (rows_.empty()) return;
    FlushCode();
    size_t cols = 0;
    for (const TableRow& r : rows_) cols = std::max(cols, r.size());
    if (cols == 1) {
      for (const TableRow& r : rows_) out_.Paragraph(r[0]);
    } else {
      out_.Table(rows_);
    }
    rows_.clear();
  }

  std::string_view in_;
  size_t pos_ = 0;
  PageWriter& out_;
  ExtractSummary& summary_;
  std::string codepage_ = "CP1252";
  std::string para_, cell_, code_, note_, font_name_, style_name_, title_, list_marker_, field_instruction_;
  std::vector<TableRow> rows_;
  TableRow row_;
  std::vector<std::string> notes_;
  std::map<int, bool> mono_fonts_;
  std::map<int, int> heading_styles_;
  int font_index_ = 0, style_index_ = 0, footnotes_ = 0;
  bool font_modern_ = false;
  int outline_level_ = -1, style_ = -1, list_level_ = -1;
  long left_indent_ = 0;
  bool in_table_ = false, any_text_ = false, all_mono_ = true, in_list_item_ = false, pandoc_marker_checked_ = false;
};

class RtfExtractor final : public Extractor {
 public:
  explicit RtfExtractor(FormatOptions options) : options_(options) {}
  std::string Format() const override { return "rtf"; }
  bool CanHandle(const std::string& key, std::string_view head) const override {
    return head.rfind("{\\rtf", 0) == 0 || HasSuffixIgnoringCase(key, ".rtf");
  }
  Result<ExtractSummary> Extract(const std::string& path, const std::string& name, const ExtractOptions& options,
                                 const PageSink& sink) override {
    Result<std::string> data = ReadInputFile(path, name, options_.limits.max_input_bytes);
    if (!data.ok()) return data.status();
    if (data->rfind("{\\rtf", 0) != 0) {
      std::string shown;
      for (unsigned char ch : data->substr(0, 8)) shown += (ch >= 0x20 && ch < 0x7F) ? static_cast<char>(ch) : '.';
      return Status::InvalidInput(fmt::format("{}: not RTF (file starts with \"{}\", not {{\\rtf)", name, shown));
    }
    ExtractSummary summary;
    summary.format = "rtf";
    PageWriter out(name, options, sink, &summary);
    RtfParser parser(*data, out, summary);
    DOCPIPE_RETURN_IF_ERROR(parser.Parse(name));
    DOCPIPE_RETURN_IF_ERROR(out.Finish());
    return summary;
  }

 private:
  FormatOptions options_;
};

}  // namespace

ExtractorPtr NewRtfExtractor(const FormatOptions& options) { return std::make_unique<RtfExtractor>(options); }

}  // namespace docpipe
