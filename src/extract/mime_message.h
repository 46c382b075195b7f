#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

// An e-mail message as a plain tree: what the e-mail extractor reads of it.
// GMime parses it in a module of its own, docpipe-mime.so (GMime, GLib, GIO
// and GPGME are some 15 libraries that every command would otherwise load at
// start-up; docs/architecture.md, "Start-up"), loaded by the first e-mail read.
namespace docpipe {

struct MimePart {
  enum class Kind { kLeaf, kMultipart, kMessage, kOther };
  Kind kind = Kind::kOther;
  std::string type;  // lower case ("text/plain"); "text/plain" when the part names none
  std::string charset;  // the charset parameter; "" when none
  bool has_charset = false;
  std::string disposition;  // "attachment", "inline"; "" when none
  std::string file_name;
  bool has_file_name = false;
  // kLeaf: the content, transfer encoding undone (no charset conversion).
  // kMessage: the attached message as written out again.
  std::string bytes;
  bool has_inner_message = false;  // kMessage: GMime could read the attached message
  std::string inner_subject;       // kMessage: its subject, decoded
  std::vector<MimePart> children;  // kMultipart
};

struct MimeMessage {
  std::string subject;  // decoded (RFC 2047); "" when none
  std::string from, to, cc;  // address lists as GMime writes them
  std::string date;  // ISO 8601; "" when none or unreadable
  std::string message_id;
  bool has_message_id = false;
  bool has_body = false;
  MimePart body;
};

//! Parses `data` as an RFC 5322 / MIME message. InvalidInput when no header
//! block can be parsed; Unavailable when the module cannot be loaded.
Result<MimeMessage> ParseMimeMessage(std::string_view data);

// What the module exports under kMimeModuleSymbol (C linkage, so the loader
// finds it by name).
struct MimeModule {
  Result<MimeMessage> (*parse)(std::string_view data);
};
inline constexpr const char* kMimeModuleSymbol = "docpipe_mime_module";
inline constexpr const char* kMimeModuleFile = "docpipe-mime.so";

}  // namespace docpipe
