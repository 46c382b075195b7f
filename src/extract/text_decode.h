#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace docpipe {

// Offset of the first byte that breaks UTF-8, or npos when all is valid.
size_t FirstInvalidUtf8(std::string_view s);

// `in` converted from the iconv encoding `from` to UTF-8; InvalidInput
// naming the encoding and the byte offset when it is not valid in it.
Result<std::string> ConvertToUtf8(std::string_view in, const char* from);

// uchardet's guess at the encoding of `data` ("" when it has none).
std::string DetectCharset(std::string_view data);


}  // namespace docpipe

namespace docpipe {

// The size of the local file at `path`, which must be a non-empty regular
// file; errors name `name` (NotFound when absent, InvalidInput otherwise).
Result<int64_t> InputFileSize(const std::string& path, const std::string& name);

// The whole of a local file, refusing one larger than `max_bytes`; errors
// name `name` (NotFound when absent, InvalidInput otherwise).
Result<std::string> ReadInputFile(const std::string& path, const std::string& name, int64_t max_bytes);

}  // namespace docpipe
