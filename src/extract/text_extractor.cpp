#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "common/strings.h"
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

bool IsMarkdownKey(const std::string& key) {
  return HasSuffixIgnoringCase(key, ".md") || HasSuffixIgnoringCase(key, ".markdown");
}

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


// Files up to this size that are not UTF-8 are read whole to detect and
// convert their encoding; larger ones must be UTF-8 (or start with a BOM
// saying so): they are streamed.
constexpr int64_t kMaxConvertedBytes = 64ll << 20;
// Streaming reads this much at a time, and cuts a line longer than
// kMaxLineBytes (a file without line breaks) so a page stays bounded.
constexpr size_t kReadBlockBytes = 1 << 20;
constexpr size_t kMaxLineBytes = 4 << 20;
// ...and ends a page at the first line end past this size.
constexpr size_t kMaxPageBytes = 8 << 20;

// Reads a file in blocks; Next() false at the end or on an error (error()).
class BlockReader {
 public:
  BlockReader(const std::string& path, const std::string& name) : in_(path, std::ios::binary), name_(name) {
    if (!in_) error_ = Status::InvalidInput(name + ": cannot read file: " + std::strerror(errno));
  }
  bool Next(std::string* block) {
    if (!error_.ok() || in_.eof()) return false;
    block->resize(kReadBlockBytes);
    in_.read(block->data(), static_cast<std::streamsize>(block->size()));
    block->resize(static_cast<size_t>(in_.gcount()));
    if (in_.bad()) {
      error_ = Status::InvalidInput(name_ + ": cannot read file: " + std::strerror(errno));
      return false;
    }
    return !block->empty() || !in_.eof();
  }
  const Status& error() const { return error_; }

 private:
  std::ifstream in_;
  std::string name_;
  Status error_;
};

// Whether the file is UTF-8 (a BOM allowed) without NUL bytes, in one
// streaming pass. `problem` gets why not, for the binary case.
enum class TextKind { kUtf8, kNeedsDecoding, kBinary };
Result<TextKind> ClassifyText(const std::string& path, const std::string& name, std::string* problem) {
  BlockReader reader(path, name);
  std::string block, pending;
  int64_t offset = 0;
  bool first = true;
  while (reader.Next(&block)) {
    if (first) {
      first = false;
      if (block.rfind("\xFF\xFE", 0) == 0 || block.rfind("\xFE\xFF", 0) == 0) return TextKind::kNeedsDecoding;
    }
    if (size_t nul = block.find('\0'); nul != std::string::npos) {
      *problem = name + ": binary data (NUL byte at offset " + std::to_string(offset + static_cast<int64_t>(nul)) + ")";
      return TextKind::kBinary;
    }
    offset += static_cast<int64_t>(block.size());
    pending += block;
    size_t bad = FirstInvalidUtf8(pending);
    if (bad == std::string::npos) {
      pending.clear();
    } else if (pending.size() - bad < 4) {
      pending.erase(0, bad);  // a sequence cut by the block end: judged with the next block
    } else {
      return TextKind::kNeedsDecoding;
    }
  }
  DOCPIPE_RETURN_IF_ERROR(reader.error());
  return pending.empty() ? TextKind::kUtf8 : TextKind::kNeedsDecoding;
}

class TextExtractor final : public Extractor {
 public:
  std::string Format() const override { return "text"; }

  bool CanHandle(const std::string& key, std::string_view) const override {
    return IsMarkdownKey(key) || HasSuffixIgnoringCase(key, ".txt") || HasSuffixIgnoringCase(key, ".text");
  }

  Result<ExtractSummary> Extract(const std::string& path, const std::string& name,
                                 const ExtractOptions& options, const PageSink& sink) override {
    Result<int64_t> size = InputFileSize(path, name);
    if (!size.ok()) return size.status();
    std::string problem;
    Result<TextKind> kind = ClassifyText(path, name, &problem);
    if (!kind.ok()) return kind.status();
    if (*kind == TextKind::kBinary) return Status::InvalidInput(problem);

    ExtractSummary summary;
    const bool markdown = IsMarkdownKey(name) || IsMarkdownKey(path);
    summary.format = markdown ? "markdown" : "text";
    Pager pager(name, markdown, options, sink, &summary);
    if (*kind == TextKind::kUtf8) {
      // Streamed: memory holds a block and a page, whatever the file's size.
      BlockReader reader(path, name);
      std::string block;
      bool first = true;
      while (reader.Next(&block)) {
        std::string_view view(block);
        if (first && view.substr(0, 3) == "\xEF\xBB\xBF") view.remove_prefix(3);
        first = false;
        DOCPIPE_RETURN_IF_ERROR(pager.Feed(view));
      }
      DOCPIPE_RETURN_IF_ERROR(reader.error());
    } else {
      if (*size > kMaxConvertedBytes) {
        return Status::InvalidInput(fmt::format(
            "{}: not UTF-8, and at {} MB too large to convert in memory (up to {} MB): convert it to UTF-8 first",
            name, *size >> 20, kMaxConvertedBytes >> 20));
      }
      Result<std::string> raw = ReadInputFile(path, name, kMaxConvertedBytes);
      if (!raw.ok()) return raw.status();
      Result<std::string> text = DecodeText(std::move(*raw), name, &summary.warnings);
      if (!text.ok()) return text.status();
      DOCPIPE_RETURN_IF_ERROR(pager.Feed(*text));
    }
    DOCPIPE_RETURN_IF_ERROR(pager.Finish());
    summary.warning_count = static_cast<int>(summary.warnings.size());
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

 private:
  // Cuts text fed in pieces into pages (at form feeds, at the first blank
  // line outside a ``` fence after kLinesPerPage lines, and at the first
  // line end past kMaxPageBytes) and hands each to the sink as it ends.
  class Pager {
   public:
    Pager(const std::string& name, bool markdown, const ExtractOptions& options, const PageSink& sink,
          ExtractSummary* summary)
        : name_(name), markdown_(markdown), options_(options), sink_(sink), summary_(summary) {}

    Status Feed(std::string_view text) {
      size_t pos = 0;
      while (pos < text.size()) {
        size_t end = text.find_first_of("\n\f", pos);
        if (end == std::string_view::npos) {
          line_.append(text.substr(pos));
          if (line_.size() > kMaxLineBytes) {
            // No line break for megabytes: cut at a character boundary.
            const size_t cut = Utf8Floor(line_, kMaxLineBytes);
            std::string rest = line_.substr(cut);
            line_.resize(cut);
            DOCPIPE_RETURN_IF_ERROR(EndLine('\n'));
            line_ = std::move(rest);
          }
          return Status::Ok();
        }
        line_.append(text.substr(pos, end - pos));
        DOCPIPE_RETURN_IF_ERROR(EndLine(text[end]));
        pos = end + 1;
      }
      return Status::Ok();
    }

    Status Finish() {
      if (!line_.empty()) {
        page_ += line_;
        line_.clear();
      }
      if (!page_.empty() || pages_ == 0) return Emit();
      return Status::Ok();
    }

   private:
    Status EndLine(char terminator) {
      if (line_.rfind("```", 0) == 0) in_fence_ = !in_fence_;
      ++lines_;
      const bool long_page = lines_ >= kLinesPerPage && IsBlank(line_) && !in_fence_;
      page_ += line_;
      line_.clear();
      if (terminator == '\f' || long_page || page_.size() >= kMaxPageBytes) {
        lines_ = 0;
        return Emit();
      }
      page_ += terminator;
      return Status::Ok();
    }

    Status Emit() {
      if (options_.cancel && options_.cancel->load())
        return Status::Cancelled(name_ + ": cancelled after " + std::to_string(pages_) + " pages");
      if (options_.deadline_ms > 0 && ExtractNowMs(options_) >= options_.deadline_ms)
        return Status::Timeout(name_ + ": deadline passed after " + std::to_string(pages_) + " pages");
      ExtractedPage page;
      page.number = ++pages_;
      page.markdown = markdown_ ? TrimBlankLines(page_) : TextToMarkdown(page_);
      page_.clear();
      page.truncated = TruncateCodePoints(page.markdown, options_.max_page_chars);
      page.chars = static_cast<int64_t>(CountCodePoints(page.markdown));
      page.has_text_layer = page.chars > 0;
      if (markdown_) CollectHeadings(page.markdown, page.number, &heading_fence_, &summary_->outline);
      summary_->page_count = pages_;
      return sink_(std::move(page));
    }

    const std::string& name_;
    const bool markdown_;
    const ExtractOptions& options_;
    const PageSink& sink_;
    ExtractSummary* summary_;
    std::string line_, page_;
    int lines_ = 0;
    int pages_ = 0;
    bool in_fence_ = false;
    bool heading_fence_ = false;
  };
};

}  // namespace

ExtractorPtr NewTextExtractor() { return std::make_unique<TextExtractor>(); }

}  // namespace docpipe
