// ParseMimeMessage's implementation with GMime, built as the module
// docpipe-mime.so (src/libraries.cmake): it alone links GMime and GLib, and
// mime_parser_loader.cpp loads it on first use.
#include <gmime/gmime.h>

#include <cctype>
#include <memory>
#include <mutex>

#include "extract/mime_message.h"

namespace docpipe {
namespace {

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
  return s ? std::string(s.get()) : "";
}

std::string StreamBytes(GMimeStream* mem) {
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

// The decoded bytes of a leaf part (transfer encoding undone, no charset conversion).
std::string PartBytes(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (!content) return "";
  GPtr<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, mem.get());
  return StreamBytes(mem.get());
}

std::string TypeOf(GMimeObject* o) {
  GMimeContentType* ct = g_mime_object_get_content_type(o);
  if (!ct) return "text/plain";
  GString_ mt(g_mime_content_type_get_mime_type(ct));
  std::string s = mt ? mt.get() : "application/octet-stream";
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

MimePart PartOf(GMimeObject* object) {
  MimePart part;
  part.type = TypeOf(object);
  if (const char* charset = g_mime_object_get_content_type_parameter(object, "charset")) {
    part.charset = charset;
    part.has_charset = true;
  }
  if (const char* disposition = g_mime_object_get_disposition(object)) part.disposition = disposition;
  if (GMIME_IS_MULTIPART(object)) {
    part.kind = MimePart::Kind::kMultipart;
    GMimeMultipart* mp = GMIME_MULTIPART(object);
    const int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; ++i) {
      GMimeObject* child = g_mime_multipart_get_part(mp, i);
      if (child) part.children.push_back(PartOf(child));
    }
  } else if (GMIME_IS_MESSAGE_PART(object)) {
    part.kind = MimePart::Kind::kMessage;
    if (GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object))) {
      part.has_inner_message = true;
      GPtr<GMimeStream> mem(g_mime_stream_mem_new());
      g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.get());
      part.bytes = StreamBytes(mem.get());
      if (const char* s = g_mime_message_get_subject(inner)) part.inner_subject = s;
    }
  } else if (GMIME_IS_PART(object)) {
    part.kind = MimePart::Kind::kLeaf;
    if (const char* fn = g_mime_part_get_filename(GMIME_PART(object))) {
      part.file_name = fn;
      part.has_file_name = true;
    }
    part.bytes = PartBytes(GMIME_PART(object));
  }
  return part;
}

Result<MimeMessage> ParseWithGMime(std::string_view data) {
  InitGMime();
  GPtr<GMimeStream> stream(
      g_mime_stream_mem_new_with_buffer(reinterpret_cast<const char*>(data.data()), data.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!message) return Status::InvalidInput("not a MIME e-mail message (no header block could be parsed)");
  MimeMessage out;
  if (const char* subject = g_mime_message_get_subject(message.get())) out.subject = subject;
  out.from = Addresses(g_mime_message_get_from(message.get()));
  out.to = Addresses(g_mime_message_get_to(message.get()));
  out.cc = Addresses(g_mime_message_get_cc(message.get()));
  if (GDateTime* dt = g_mime_message_get_date(message.get())) {
    GString_ iso(g_date_time_format_iso8601(dt));
    if (iso) out.date = iso.get();
  }
  if (const char* id = g_mime_message_get_message_id(message.get())) {
    out.message_id = id;
    out.has_message_id = true;
  }
  if (GMimeObject* body = g_mime_message_get_mime_part(message.get())) {
    out.body = PartOf(body);
    out.has_body = true;
  }
  return out;
}

}  // namespace
}  // namespace docpipe

// The module's entry point (src/extract/mime_parser_loader.cpp loads it).
extern "C" __attribute__((visibility("default"))) const docpipe::MimeModule* docpipe_mime_module() {
  static const docpipe::MimeModule module{&docpipe::ParseWithGMime};
  return &module;
}
