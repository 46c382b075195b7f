#include "extract/markdown_writer.h"

#include "common/utf8.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

namespace docpipe {
namespace {

std::string EscapeCell(std::string_view cell) {
  std::string flat = CollapseSpace(cell);
  std::string out;
  out.reserve(flat.size());
  for (char c : flat) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string ProtectBlockStart(std::string text) {
  if (text.empty()) return text;
  const char c = text[0];
  bool marker = c == '#' || c == '>' || c == '|' || text.rfind("```", 0) == 0 || text.rfind("~~~", 0) == 0;
  if ((c == '-' || c == '+' || c == '*') && text.size() > 1 && text[1] == ' ') marker = true;
  if (std::isdigit(static_cast<unsigned char>(c))) {
    size_t n = 0;
    while (n < text.size() && n < 10 && std::isdigit(static_cast<unsigned char>(text[n]))) ++n;
    if (n + 1 < text.size() && (text[n] == '.' || text[n] == ')') && text[n + 1] == ' ') {
      return text.substr(0, n) + "\\" + text.substr(n);
    }
  }
  return marker ? "\\" + text : text;
}

// Cuts `s` to at most `max` code points without splitting one.
bool TruncateCodePoints(std::string& s, int64_t max) {
  int64_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && n++ == max) {
      s.resize(i);
      return true;
    }
  }
  return false;
}

std::string CollapseSpace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = text[i];
    const bool nbsp = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xA0;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || nbsp) {
      space = true;
      if (nbsp) ++i;
      continue;
    }
    if (c < 0x20) continue;  // other control characters carry no text
    if (space && !out.empty()) out += ' ';
    space = false;
    out += static_cast<char>(c);
  }
  return out;
}

std::string MarkdownLink(std::string_view text, std::string_view url) {
  std::string u;
  for (char c : url) {
    if (c == ' ') u += "%20";
    else if (c == '(') u += "%28";
    else if (c == ')') u += "%29";
    else if (c != '\n' && c != '\r') u += c;
  }
  std::string t = CollapseSpace(text);
  if (t.empty()) t = u;
  return "[" + t + "](" + u + ")";
}

std::string ImageText(std::string_view alt) {
  std::string a = CollapseSpace(alt);
  return a.empty() ? std::string() : "Image: " + a;
}

int64_t ExtractNowMs(const ExtractOptions& options) {
  if (options.clock != nullptr) return options.clock->NowMs();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

PageWriter::PageWriter(std::string name, const ExtractOptions& options, const PageSink& sink,
                       ExtractSummary* summary)
    : name_(std::move(name)), options_(options), sink_(sink), summary_(summary) {}

void PageWriter::Append(std::string_view block, bool list_item) {
  if (!markdown_.empty()) markdown_ += (list_item && last_was_list_) ? "\n" : "\n\n";
  markdown_.append(block);
  last_was_list_ = list_item;
  if (!list_item) list_content_columns_.clear();
}

void PageWriter::Heading(int level, std::string_view text) {
  std::string t = CollapseSpace(text);
  if (t.empty()) return;
  level = std::clamp(level, 1, 6);
  Append(std::string(static_cast<size_t>(level), '#') + " " + t, false);
  summary_->outline.push_back({level, t, number_});
}

void PageWriter::Paragraph(std::string_view text) {
  std::string t = CollapseSpace(text);
  if (t.empty()) return;
  Append(ProtectBlockStart(std::move(t)), false);
}

void PageWriter::ListItem(int depth, int number, std::string_view text) {
  std::string t = CollapseSpace(text);
  if (t.empty()) return;
  if (!last_was_list_) list_content_columns_.clear();
  // A new top-level list of the other kind gets its own block.
  if (last_was_list_ && depth == 0 && (number > 0) != last_top_ordered_) {
    last_was_list_ = false;
    list_content_columns_.clear();
  }
  if (depth == 0 || list_content_columns_.empty()) last_top_ordered_ = number > 0;
  depth = std::max(0, std::min<int>(depth, static_cast<int>(list_content_columns_.size())));
  const size_t indent = depth == 0 ? 0 : list_content_columns_[static_cast<size_t>(depth) - 1];
  const std::string marker = number > 0 ? fmt::format("{}. ", number) : "- ";
  list_content_columns_.resize(static_cast<size_t>(depth) + 1);
  list_content_columns_[static_cast<size_t>(depth)] = indent + marker.size();
  Append(std::string(indent, ' ') + marker + ProtectBlockStart(std::move(t)), true);
}

void PageWriter::Table(const std::vector<TableRow>& rows) {
  size_t cols = 0;
  for (const TableRow& r : rows) cols = std::max(cols, r.size());
  if (rows.empty() || cols == 0) return;
  // A table whose cells are all empty says nothing.
  bool any = false;
  for (const TableRow& r : rows)
    for (const std::string& c : r) any = any || !CollapseSpace(c).empty();
  if (!any) return;
  std::string out;
  auto row = [&](const TableRow& r) {
    out += '|';
    for (size_t c = 0; c < cols; ++c) {
      std::string cell = c < r.size() ? EscapeCell(r[c]) : "";
      out += cell.empty() ? " |" : " " + cell + " |";
    }
    out += '\n';
  };
  row(rows[0]);
  out += '|';
  for (size_t c = 0; c < cols; ++c) out += " --- |";
  out += '\n';
  for (size_t r = 1; r < rows.size(); ++r) row(rows[r]);
  out.pop_back();
  Append(out, false);
}

void PageWriter::Code(std::string_view code, std::string_view language) {
  std::string body(code);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return;
  // A fence longer than any backtick run inside.
  size_t longest = 0, run = 0;
  for (char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<size_t>(3, longest + 1), '`');
  Append(fence + std::string(language) + "\n" + body + "\n" + fence, false);
}

Status PageWriter::Interrupted() const {
  if (options_.cancel && options_.cancel->load()) return Status::Cancelled(name_ + ": cancelled");
  if (options_.deadline_ms > 0 && ExtractNowMs(options_) >= options_.deadline_ms)
    return Status::Timeout(name_ + ": deadline passed");
  return Status::Ok();
}

Status PageWriter::Emit() {
  if (options_.cancel && options_.cancel->load())
    return Status::Cancelled(fmt::format("{}: cancelled after {} pages", name_, number_ - 1));
  if (options_.deadline_ms > 0 && ExtractNowMs(options_) >= options_.deadline_ms)
    return Status::Timeout(fmt::format("{}: deadline passed after {} pages", name_, number_ - 1));
  ExtractedPage page;
  page.number = number_;
  page.markdown = std::move(markdown_);
  markdown_.clear();
  page.truncated = TruncateCodePoints(page.markdown, options_.max_page_chars);
  page.chars = static_cast<int64_t>(CountCodePoints(page.markdown));
  page.has_text_layer = page.chars > 0;
  if (page.truncated) {
    ++summary_->warning_count;
    if (summary_->warnings.size() < 20)
      summary_->warnings.push_back(
          fmt::format("page {}: text truncated at {} characters", page.number, options_.max_page_chars));
  }
  summary_->page_count = number_;
  last_was_list_ = false;
  list_content_columns_.clear();
  return sink_(std::move(page));
}

Status PageWriter::BreakPage(bool force) {
  if (!status_.ok()) return status_;
  if (markdown_.empty() && !force) return Status::Ok();
  status_ = Emit();
  ++number_;
  return status_;
}

Status PageWriter::Finish(bool keep_empty) {
  if (!status_.ok()) return status_;
  if (!markdown_.empty() || summary_->page_count == 0 || keep_empty) status_ = Emit();
  if (status_.ok() && summary_->title.empty()) {
    for (const HeadingEntry& h : summary_->outline) {
      if (h.level == 1) {
        summary_->title = h.text;
        break;
      }
    }
  }
  return status_;
}

}  // namespace docpipe
