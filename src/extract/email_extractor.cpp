// E-mail (RFC 5322 / MIME, .eml), parsed by GMime (extract/mime_message.h): subject, from, to, cc, date
// and message id as properties; the subject as heading and the sender,
// recipients and date as the first lines, then the body (text/plain
// preferred in multipart/alternative, text/html through the HTML path when it
// is the only body); attachments (and attached messages) are handed to the
// embedded-document sink to become documents of their own.
#include <strings.h>

#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "common/strings.h"
#include "extract/extractor.h"
#include "extract/format_options.h"
#include "extract/html_markdown.h"
#include "extract/markdown_writer.h"
#include "extract/mime_message.h"
#include "extract/text_decode.h"
#include "common/utf8.h"

namespace docpipe {
namespace {

// Plain text to Markdown: blank-line separated paragraphs with lines joined;
// "- " / "* " / "1. " lines as list items; quoted ("> ") lines as paragraphs.
void PlainTextToMarkdown(std::string_view text, PageWriter& out) {
  std::string para;
  auto flush = [&] {
    out.Paragraph(para);
    para.clear();
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string trimmed = CollapseSpace(line);
    size_t digits = 0;
    while (digits < trimmed.size() && std::isdigit(static_cast<unsigned char>(trimmed[digits]))) ++digits;
    const bool bullet = trimmed.rfind("- ", 0) == 0 || trimmed.rfind("* ", 0) == 0 || trimmed.rfind("• ", 0) == 0;
    const bool numbered = digits > 0 && digits < 4 && trimmed.size() > digits + 1 && trimmed[digits] == '.' &&
                          trimmed[digits + 1] == ' ';
    if (trimmed.empty()) {
      flush();
    } else if (bullet || numbered) {
      flush();
      const size_t indent = line.find_first_not_of(" \t");
      const int depth = static_cast<int>(std::min<size_t>(indent == std::string_view::npos ? 0 : indent / 2, 4));
      if (bullet) out.ListItem(depth, 0, trimmed.substr(trimmed.find(' ') + 1));
      else out.ListItem(depth, std::atoi(trimmed.c_str()), trimmed.substr(digits + 2));
    } else {
      if (!para.empty()) para += ' ';
      para += trimmed;
    }
    pos = end + 1;
  }
  flush();
}

class EmailExtractor final : public Extractor {
 public:
  explicit EmailExtractor(FormatOptions options) : options_(options) {}
  std::string Format() const override { return "email"; }

  bool CanHandle(const std::string& key, std::string_view head) const override {
    return HasSuffixIgnoringCase(key, ".eml") || LooksLikeEmail(head);
  }

  //! Starts with header fields ("Name: value" lines) including at least two
  //! that every mail has (From, Date, Subject, Message-ID, MIME-Version,
  //! Received, Return-Path, To).
  static bool LooksLikeEmail(std::string_view head) {
    size_t pos = 0;
    int known = 0, lines = 0;
    while (pos < head.size() && lines < 40) {
      size_t end = head.find('\n', pos);
      if (end == std::string_view::npos) break;
      std::string_view line = head.substr(pos, end - pos);
      pos = end + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) break;
      ++lines;
      if (line[0] == ' ' || line[0] == '\t') continue;  // folded continuation
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) return false;
      for (char c : line.substr(0, colon))
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
      std::string field(line.substr(0, colon));
      for (char& c : field) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      for (const char* k : {"from", "date", "subject", "message-id", "mime-version", "received", "return-path", "to"})
        known += field == k;
    }
    return known >= 2;
  }

  Result<ExtractSummary> Extract(const std::string& path, const std::string& name, const ExtractOptions& options,
                                 const PageSink& sink) override {
    Result<std::string> data = ReadInputFile(path, name, options_.limits.max_input_bytes);
    if (!data.ok()) return data.status();
    Result<MimeMessage> message = ParseMimeMessage(*data);
    if (!message.ok()) return message.status().Annotate(name);
    data = std::string();  // the tree holds what is read from here on
    ExtractSummary summary;
    summary.format = "email";
    const std::string subj = CollapseSpace(message->subject);
    const std::string from = CollapseSpace(message->from);
    const std::string to = CollapseSpace(message->to);
    const std::string cc = CollapseSpace(message->cc);
    const std::string& date = message->date;
    if (from.empty() && subj.empty() && to.empty() && date.empty())
      return Status::InvalidInput(name + ": not an e-mail message (no From, To, Subject or Date header)");
    summary.title = subj;
    summary.properties["subject"] = subj;
    summary.properties["from"] = from;
    summary.properties["to"] = to;
    if (!cc.empty()) summary.properties["cc"] = cc;
    summary.properties["date"] = date;
    if (message->has_message_id) summary.properties["message_id"] = message->message_id;

    PageWriter out(name, options, sink, &summary);
    out.Heading(1, subj.empty() ? "(no subject)" : subj);
    std::vector<std::string> header_lines;
    if (!from.empty()) out.Paragraph("From: " + from);
    if (!to.empty()) out.Paragraph("To: " + to);
    if (!cc.empty()) out.Paragraph("Cc: " + cc);
    if (!date.empty()) out.Paragraph("Date: " + date);

    Walk walk{name, options, out, summary, {}};
    MemoryBudget budget(options_.limits.max_memory_bytes);
    walk.budget = &budget;
    if (message->has_body) DOCPIPE_RETURN_IF_ERROR(Body(message->body, walk, /*top=*/true));
    if (!walk.attachments.empty()) {
      std::string list;
      for (const std::string& a : walk.attachments) list += (list.empty() ? "" : ", ") + a;
      summary.properties["attachments"] = list;
      out.Paragraph("Attachments: " + list);
    }
    DOCPIPE_RETURN_IF_ERROR(out.Finish());
    return summary;
  }

 private:
  struct Walk {
    const std::string& name;
    const ExtractOptions& options;
    PageWriter& out;
    ExtractSummary& summary;
    std::vector<std::string> attachments;
    MemoryBudget* budget = nullptr;
    bool body_written = false;
  };

  Status Text(MimePart& part, Walk& w) {
    const char* charset = part.has_charset ? part.charset.c_str() : nullptr;
    std::string bytes = std::move(part.bytes);
    if (part.type == "text/html") {
      Result<std::string> html = DecodeHtml(std::move(bytes), w.name, charset ? charset : "");
      if (!html.ok()) return html.status();
      HtmlFacts facts;
      return HtmlToMarkdown(*html, w.name, *w.budget, w.out, &facts);
    }
    std::string text;
    if (charset && strcasecmp(charset, "utf-8") != 0 && strcasecmp(charset, "us-ascii") != 0) {
      Result<std::string> u = ConvertToUtf8(bytes, charset);
      text = u.ok() ? *u : RepairUtf8(bytes);
    } else {
      text = FirstInvalidUtf8(bytes) == std::string::npos ? bytes : RepairUtf8(bytes);
    }
    PlainTextToMarkdown(text, w.out);
    return w.out.status();
  }

  Status Attachment(MimePart& part, Walk& w) {
    std::string file_name;
    EmbeddedDocument doc;
    doc.content_type = part.type;
    if (part.kind == MimePart::Kind::kMessage) {
      if (!part.has_inner_message) return Status::Ok();
      doc.data = std::move(part.bytes);
      file_name = (!part.inner_subject.empty() ? CollapseSpace(part.inner_subject) : std::string("message")) + ".eml";
    } else if (part.kind == MimePart::Kind::kLeaf) {
      file_name = part.file_name;
      doc.data = std::move(part.bytes);
    } else {
      return Status::Ok();
    }
    doc.file_name = file_name;
    w.attachments.push_back(file_name.empty() ? part.type : file_name);
    if (w.options.embedded) return (*w.options.embedded)(std::move(doc));
    return Status::Ok();
  }

  Status Body(MimePart& part, Walk& w, bool top) {
    const std::string& type = part.type;
    if (part.kind == MimePart::Kind::kMultipart) {
      std::vector<MimePart>& parts = part.children;
      if (type == "multipart/alternative") {
        // One body: plain text when offered, else HTML, else the first part.
        MimePart* best = nullptr;
        for (const char* want : {"text/plain", "text/html"}) {
          for (size_t i = 0; i < parts.size() && !best; ++i)
            if (parts[i].type == want) best = &parts[i];
          if (best) break;
        }
        if (!best && !parts.empty()) best = &parts[0];
        return best ? Body(*best, w, top) : Status::Ok();
      }
      for (size_t i = 0; i < parts.size(); ++i) DOCPIPE_RETURN_IF_ERROR(Body(parts[i], w, top && i == 0));
      return Status::Ok();
    }
    if (part.kind == MimePart::Kind::kMessage) return Attachment(part, w);
    const bool attached = strcasecmp(part.disposition.c_str(), "attachment") == 0;
    const bool text = type == "text/plain" || type == "text/html";
    if (text && !attached && (!w.body_written || !part.has_file_name)) {
      w.body_written = true;
      return Text(part, w);
    }
    if (type.rfind("multipart/", 0) == 0 || type == "application/pgp-signature" ||
        type == "application/pkcs7-signature" || type == "application/x-pkcs7-signature")
      return Status::Ok();
    return Attachment(part, w);
  }

  FormatOptions options_;
};

}  // namespace

ExtractorPtr NewEmailExtractor(const FormatOptions& options) { return std::make_unique<EmailExtractor>(options); }

}  // namespace docpipe
