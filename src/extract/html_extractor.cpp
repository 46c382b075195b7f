// HTML and XHTML files, recognised by their markup or suffix.
#include <cstring>

#include "common/strings.h"
#include "extract/extractor.h"
#include "extract/format_options.h"
#include "extract/html_markdown.h"
#include "extract/text_decode.h"

namespace docpipe {
namespace {

class HtmlExtractor final : public Extractor {
 public:
  explicit HtmlExtractor(FormatOptions options) : options_(options) {}
  std::string Format() const override { return "html"; }

  bool CanHandle(const std::string& key, std::string_view head) const override {
    if (LooksLikeHtml(head)) return true;
    return HasSuffixIgnoringCase(key, ".html") || HasSuffixIgnoringCase(key, ".htm") ||
           HasSuffixIgnoringCase(key, ".xhtml") || HasSuffixIgnoringCase(key, ".xht");
  }

  //! Markup at the start: a doctype, <html>, or an XML declaration followed by <html.
  static bool LooksLikeHtml(std::string_view head) {
    std::string h;
    for (char c : head.substr(0, 1024)) h += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t i = h.rfind("\xef\xbb\xbf", 0) == 0 ? 3 : 0;
    while (i < h.size() && std::isspace(static_cast<unsigned char>(h[i]))) ++i;
    std::string_view s = std::string_view(h).substr(i);
    if (s.rfind("<!doctype html", 0) == 0 || s.rfind("<html", 0) == 0) return true;
    if (s.rfind("<?xml", 0) == 0 || s.rfind("<!--", 0) == 0) return s.find("<html") != std::string_view::npos;
    return false;
  }

  Result<ExtractSummary> Extract(const std::string& path, const std::string& name, const ExtractOptions& options,
                                 const PageSink& sink) override {
    Result<std::string> bytes = ReadInputFile(path, name, options_.limits.max_input_bytes);
    if (!bytes.ok()) return bytes.status();
    if (const std::string target = HtmlRedirectTarget(*bytes); !target.empty())
      return Status::InvalidInput(name + ": an HTML redirect page (it sends the browser to " +
                                  TerminalSafe(target.substr(0, 200)) +
                                  " at once) has no text of its own to index; in folders such pages are skipped");
    Result<std::string> html = DecodeHtml(std::move(*bytes), name);
    if (!html.ok()) return html.status();
    ExtractSummary summary;
    summary.format = "html";
    PageWriter out(name, options, sink, &summary);
    MemoryBudget budget(options_.limits.max_memory_bytes);
    HtmlFacts facts;
    DOCPIPE_RETURN_IF_ERROR(HtmlToMarkdown(*html, name, budget, out, &facts));
    DOCPIPE_RETURN_IF_ERROR(out.Finish());
    if (!facts.title.empty()) summary.title = facts.title;
    return summary;
  }

 private:
  FormatOptions options_;
};

}  // namespace

ExtractorPtr NewHtmlExtractor(const FormatOptions& options) { return std::make_unique<HtmlExtractor>(options); }

}  // namespace docpipe
