// The fuzz build links GMime's parser (src/extract/gmime_parser.cpp) into the
// target, instrumented, instead of loading docpipe-mime.so: ParseMimeMessage
// calls it directly.
#include "extract/mime_message.h"

extern "C" const docpipe::MimeModule* docpipe_mime_module();

namespace docpipe {

Result<MimeMessage> ParseMimeMessage(std::string_view data) { return docpipe_mime_module()->parse(data); }

}  // namespace docpipe
