#include <chrono>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>

#include "common/utf8.h"
#include "extract/extractor.h"
#include "extract/markdown_writer.h"
#include "extract/text_decode.h"

namespace docpipe {
namespace {

// Without form feeds, a page ends at the first blank line after this many
// lines, so that huge text files still yield citeable, bounded pages.
constexpr int kLinesPerPage = 500;
// Converted text with more control characters than this share is binary.
constexpr double kMaxControlShare = 0.01;

// The time of ExtractOptions::deadline_ms.
int64_t NowMs(const ExtractOptions& options) {
  if (options.clock != nullptr) return options.clock->NowMs();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool HasSuffix(const std::string& key, std::string_view suffix) {
  return key.size() >= suffix.size() &&
         strcasecmp(key.c_str() + key.size() - suffix.size(), std::string(suffix).c_str()) == 0;
}

bool IsMarkdownKey(const std::string& key) { return HasSuffix(key, ".md") || HasSuffix(key, ".markdown"); }

// Share of code points that are control characters other than layout ones.
double ControlShare(std::string_view utf8) {
  size_t controls = 0, total = 0;
  for (size_t i = 0; i < utf8.size(); ++i) {
    unsigned char c = utf8[i];
    if ((c & 0xC0) == 0x80) continue;
    ++total;
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') ++controls;
    if (c == 0xC2 && i + 1 < utf8.size() && static_cast<unsigned char>(utf8[i + 1]) < 0xA0) ++controls;  // C1
  }
  return total ? static_cast<double>(controls) / total : 0;
}

// Any input to UTF-8: BOMs decide first, then validation, then detection.
Result<std::string> DecodeText(std::string data, const std::string& name, std::vector<std::string>* notes) {
  auto starts = [&](std::string_view p) { return data.compare(0, p.size(), p) == 0; };
  if (starts("\xEF\xBB\xBF")) data.erase(0, 3);
  const char* utf16 = starts("\xFF\xFE") ? "UTF-16LE" : starts("\xFE\xFF") ? "UTF-16BE" : nullptr;
  if (utf16) {
    Result<std::string> converted = ConvertToUtf8(std::string_view(data).substr(2), utf16);
    if (!converted.ok()) return converted.status().Annotate(name);
    return converted;
  }
  if (size_t nul = data.find('\0'); nul != std::string::npos)
    return Status::InvalidInput(name + ": binary data (NUL byte at offset " + std::to_string(nul) + ")");
  size_t bad = FirstInvalidUtf8(data);
  if (bad == std::string::npos) return data;
  const std::string charset = DetectCharset(data);
  if (!charset.empty() && charset != "ASCII" && charset != "UTF-8") {
    Result<std::string> converted = ConvertToUtf8(data, charset.c_str());
    if (converted.ok() && ControlShare(*converted) <= kMaxControlShare) {
      notes->push_back("converted from " + charset);
      return converted;
    }
  }
  return Status::InvalidInput(name + ": not valid UTF-8 at byte " + std::to_string(bad) +
                              " and encoding could not be detected");
}

bool IsBlank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

// Plain text to Markdown: paragraphs are runs of non-blank lines, re-joined
// with spaces (hard-wrapped prose); a leading '#' is escaped so it is not
// read as a heading.
std::string TextToMarkdown(std::string_view text) {
  std::string out, para;
  auto flush = [&] {
    if (para.empty()) return;
    if (!out.empty()) out += "\n\n";
    if (para[0] == '#') out += '\\';
    out += para;
    para.clear();
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (IsBlank(line)) {
      flush();
    } else {
      size_t b = line.find_first_not_of(" \t");
      size_t e = line.find_last_not_of(" \t");
      if (!para.empty()) para += ' ';
      para.append(line.substr(b, e - b + 1));
    }
    pos = end + 1;
  }
  flush();
  return out;
}

std::string TrimBlankLines(std::string_view text) {
  std::string out(text);
  size_t i = 0;
  while (i < out.size() && (out[i] == '\n' || out[i] == '\r')) ++i;
  out.erase(0, i);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  return out;
}

// Splits at form feeds, and at the first blank line (outside ``` fences)
// after kLinesPerPage lines.
std::vector<std::string_view> SplitPages(std::string_view text) {
  std::vector<std::string_view> pages;
  size_t page_start = 0, pos = 0;
  int lines = 0;
  bool in_fence = false;
  while (pos < text.size()) {
    size_t end = text.find_first_of("\n\f", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.rfind("```", 0) == 0) in_fence = !in_fence;
    ++lines;
    const bool form_feed = end < text.size() && text[end] == '\f';
    const bool long_page = lines >= kLinesPerPage && IsBlank(line) && !in_fence;
    if (form_feed || long_page) {
      pages.push_back(text.substr(page_start, end - page_start));
      page_start = end + 1;
      lines = 0;
    }
    pos = end + 1;
  }
  if (page_start < text.size() || pages.empty()) pages.push_back(text.substr(std::min(page_start, text.size())));
  return pages;
}

// ATX headings outside code fences, for the outline.
void CollectHeadings(std::string_view md, int page, bool* in_fence, std::vector<HeadingEntry>* out) {
  size_t pos = 0;
  while (pos < md.size()) {
    size_t end = md.find('\n', pos);
    if (end == std::string_view::npos) end = md.size();
    std::string_view line = md.substr(pos, end - pos);
    if (line.rfind("```", 0) == 0 || line.rfind("~~~", 0) == 0) *in_fence = !*in_fence;
    size_t level = 0;
    while (level < line.size() && line[level] == '#') ++level;
    if (!*in_fence && level >= 1 && level <= 6 && level < line.size() && line[level] == ' ') {
      std::string text(line.substr(level + 1));
      while (!text.empty() && (text.back() == '#' || text.back() == ' ' || text.back() == '\r')) text.pop_back();
      if (!text.empty()) out->push_back({static_cast<int>(level), text, page});
    }
    pos = end + 1;
  }
}


class TextExtractor final : public Extractor {
 public:
  std::string Format() const override { return "text"; }

  bool CanHandle(const std::string& key, std::string_view) const override {
    return IsMarkdownKey(key) || HasSuffix(key, ".txt") || HasSuffix(key, ".text");
  }

  Result<ExtractSummary> Extract(const std::string& path, const std::string& name,
                                 const ExtractOptions& options, const PageSink& sink) override {
    Result<std::string> raw = ReadInputFile(path, name, std::numeric_limits<int64_t>::max());
    if (!raw.ok()) return raw.status();
    ExtractSummary summary;
    Result<std::string> text = DecodeText(std::move(*raw), name, &summary.warnings);
    if (!text.ok()) return text.status();
    summary.warning_count = static_cast<int>(summary.warnings.size());
    const bool markdown = IsMarkdownKey(name) || IsMarkdownKey(path);
    summary.format = markdown ? "markdown" : "text";
    std::vector<std::string_view> pages = SplitPages(*text);
    summary.page_count = static_cast<int>(pages.size());
    bool in_fence = false;
    for (size_t i = 0; i < pages.size(); ++i) {
      if (options.cancel && options.cancel->load())
        return Status::Cancelled(name + ": cancelled after " + std::to_string(i) + " pages");
      if (options.deadline_ms > 0 && NowMs(options) >= options.deadline_ms)
        return Status::Timeout(name + ": deadline passed after " + std::to_string(i) + " pages");
      ExtractedPage page;
      page.number = static_cast<int>(i) + 1;
      page.markdown = markdown ? TrimBlankLines(pages[i]) : TextToMarkdown(pages[i]);
      page.truncated = TruncateCodePoints(page.markdown, options.max_page_chars);
      page.chars = static_cast<int64_t>(CountCodePoints(page.markdown));
      page.has_text_layer = page.chars > 0;
      if (markdown) CollectHeadings(page.markdown, page.number, &in_fence, &summary.outline);
      DOCPIPE_RETURN_IF_ERROR(sink(std::move(page)));
    }
    if (markdown) {
      for (const HeadingEntry& h : summary.outline) {
        if (h.level == 1) {
          summary.title = h.text;
          break;
        }
      }
    }
    return summary;
  }
};

}  // namespace

ExtractorPtr NewTextExtractor() { return std::make_unique<TextExtractor>(); }

}  // namespace docpipe
