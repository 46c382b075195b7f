// E-mail (RFC 5322 / MIME, .eml) through GMime: subject, from, to, cc, date
// and message id as properties; the subject as heading and the sender,
// recipients and date as the first lines, then the body (text/plain
// preferred in multipart/alternative, text/html through the HTML path when it
// is the only body); attachments (and attached messages) are handed to the
// embedded-document sink to become documents of their own.
#include <gmime/gmime.h>

#include <cstring>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "extract/extractor.h"
#include "extract/format_options.h"
#include "extract/html_markdown.h"
#include "extract/markdown_writer.h"
#include "extract/text_decode.h"
#include "common/utf8.h"

namespace docpipe {
namespace {

bool HasSuffix(const std::string& key, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return key.size() >= n && strcasecmp(key.c_str() + key.size() - n, suffix) == 0;
}

template <typename T>
struct GObjectUnref {
  void operator()(T* p) const {
    if (p) g_object_unref(p);
  }
};
template <typename T>
using GPtr = std::unique_ptr<T, GObjectUnref<T>>;

struct GFreeDeleter {
  void operator()(char* p) const { g_free(p); }
};
using GString_ = std::unique_ptr<char, GFreeDeleter>;

void InitGMime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

std::string Addresses(InternetAddressList* list) {
  if (!list || internet_address_list_length(list) == 0) return "";
  GString_ s(internet_address_list_to_string(list, nullptr, FALSE));
  return s ? CollapseSpace(s.get()) : "";
}

// The decoded bytes of a leaf part (transfer encoding undone, no charset conversion).
std::string PartBytes(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (!content) return "";
  GPtr<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, mem.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::string TypeOf(GMimeObject* o) {
  GMimeContentType* ct = g_mime_object_get_content_type(o);
  if (!ct) return "text/plain";
  GString_ mt(g_mime_content_type_get_mime_type(ct));
  std::string s = mt ? mt.get() : "application/octet-stream";
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

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
    return HasSuffix(key, ".eml") || LooksLikeEmail(head);
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
    InitGMime();
    Result<std::string> data = ReadInputFile(path, name, options_.limits.max_input_bytes);
    if (!data.ok()) return data.status();
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(data->data(), data->size()));
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
    if (!message) return Status::InvalidInput(name + ": not a MIME e-mail message (no header block could be parsed)");
    ExtractSummary summary;
    summary.format = "email";
    const char* subject = g_mime_message_get_subject(message.get());
    const std::string subj = subject ? CollapseSpace(subject) : "";
    const std::string from = Addresses(g_mime_message_get_from(message.get()));
    const std::string to = Addresses(g_mime_message_get_to(message.get()));
    const std::string cc = Addresses(g_mime_message_get_cc(message.get()));
    std::string date;
    if (GDateTime* dt = g_mime_message_get_date(message.get())) {
      GString_ iso(g_date_time_format_iso8601(dt));
      if (iso) date = iso.get();
    }
    const char* id = g_mime_message_get_message_id(message.get());
    if (from.empty() && subj.empty() && to.empty() && date.empty())
      return Status::InvalidInput(name + ": not an e-mail message (no From, To, Subject or Date header)");
    summary.title = subj;
    summary.properties["subject"] = subj;
    summary.properties["from"] = from;
    summary.properties["to"] = to;
    if (!cc.empty()) summary.properties["cc"] = cc;
    summary.properties["date"] = date;
    if (id) summary.properties["message_id"] = id;

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
    DOCPIPE_RETURN_IF_ERROR(Body(g_mime_message_get_mime_part(message.get()), walk, /*top=*/true));
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

  Status Text(GMimeObject* part, const std::string& type, Walk& w) {
    const char* charset = g_mime_object_get_content_type_parameter(part, "charset");
    std::string bytes = PartBytes(GMIME_PART(part));
    if (type == "text/html") {
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

  Status Attachment(GMimeObject* part, const std::string& type, Walk& w) {
    std::string file_name;
    EmbeddedDocument doc;
    doc.content_type = type;
    if (GMIME_IS_MESSAGE_PART(part)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
      if (!inner) return Status::Ok();
      GPtr<GMimeStream> mem(g_mime_stream_mem_new());
      g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.get());
      GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
      doc.data.assign(reinterpret_cast<const char*>(bytes->data), bytes->len);
      const char* s = g_mime_message_get_subject(inner);
      file_name = (s && *s ? CollapseSpace(s) : std::string("message")) + ".eml";
    } else if (GMIME_IS_PART(part)) {
      const char* fn = g_mime_part_get_filename(GMIME_PART(part));
      file_name = fn ? fn : "";
      doc.data = PartBytes(GMIME_PART(part));
    } else {
      return Status::Ok();
    }
    doc.file_name = file_name;
    w.attachments.push_back(file_name.empty() ? type : file_name);
    if (w.options.embedded) return (*w.options.embedded)(std::move(doc));
    return Status::Ok();
  }

  Status Body(GMimeObject* part, Walk& w, bool top) {
    if (!part) return Status::Ok();
    const std::string type = TypeOf(part);
    if (GMIME_IS_MULTIPART(part)) {
      GMimeMultipart* mp = GMIME_MULTIPART(part);
      const int n = g_mime_multipart_get_count(mp);
      if (type == "multipart/alternative") {
        // One body: plain text when offered, else HTML, else the first part.
        GMimeObject* best = nullptr;
        for (const char* want : {"text/plain", "text/html"}) {
          for (int i = 0; i < n && !best; ++i)
            if (TypeOf(g_mime_multipart_get_part(mp, i)) == want) best = g_mime_multipart_get_part(mp, i);
          if (best) break;
        }
        if (!best && n > 0) best = g_mime_multipart_get_part(mp, 0);
        return Body(best, w, top);
      }
      for (int i = 0; i < n; ++i) DOCPIPE_RETURN_IF_ERROR(Body(g_mime_multipart_get_part(mp, i), w, top && i == 0));
      return Status::Ok();
    }
    if (GMIME_IS_MESSAGE_PART(part)) return Attachment(part, type, w);
    const char* disposition = g_mime_object_get_disposition(part);
    const bool attached = disposition && strcasecmp(disposition, "attachment") == 0;
    const bool text = type == "text/plain" || type == "text/html";
    if (text && !attached && (!w.body_written || !g_mime_part_get_filename(GMIME_PART(part)))) {
      w.body_written = true;
      return Text(part, type, w);
    }
    if (type.rfind("multipart/", 0) == 0 || type == "application/pgp-signature" ||
        type == "application/pkcs7-signature" || type == "application/x-pkcs7-signature")
      return Status::Ok();
    return Attachment(part, type, w);
  }

  FormatOptions options_;
};

}  // namespace

ExtractorPtr NewEmailExtractor(const FormatOptions& options) { return std::make_unique<EmailExtractor>(options); }

}  // namespace docpipe
