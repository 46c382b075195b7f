#include "extract/text_decode.h"

#include <iconv.h>
#include <uchardet/uchardet.h>

#include <cerrno>
#include <memory>
#include <type_traits>

namespace docpipe {
namespace {

struct IconvCloser {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const unsigned char c = s[i];
  const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  if (len == 2 && c < 0xC2) return 0;  // overlong
  return len;
}

}  // namespace

size_t FirstInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

Result<std::string> ConvertToUtf8(std::string_view in, const char* from) {
  iconv_t raw = iconv_open("UTF-8", from);
  if (raw == reinterpret_cast<iconv_t>(-1)) return Status::InvalidInput(std::string("unknown encoding ") + from);
  std::unique_ptr<void, IconvCloser> cd(raw);
  std::string out(in.size() * 2 + 16, '\0');
  char* src = const_cast<char*>(in.data());
  size_t src_left = in.size();
  size_t done = 0;
  while (src_left > 0) {
    char* dst = out.data() + done;
    size_t dst_left = out.size() - done;
    size_t rc = iconv(raw, &src, &src_left, &dst, &dst_left);
    done = out.size() - dst_left;
    if (rc == static_cast<size_t>(-1)) {
      if (errno == E2BIG) {
        out.resize(out.size() * 2);
        continue;
      }
      return Status::InvalidInput(std::string("not valid ") + from + " at byte " +
                                  std::to_string(in.size() - src_left));
    }
  }
  out.resize(done);
  return out;
}

std::string DetectCharset(std::string_view data) {
  std::unique_ptr<std::remove_pointer_t<uchardet_t>, void (*)(uchardet_t)> ud(uchardet_new(), uchardet_delete);
  if (!ud || uchardet_handle_data(ud.get(), data.data(), data.size()) != 0) return "";
  uchardet_data_end(ud.get());
  const char* cs = uchardet_get_charset(ud.get());
  return cs ? cs : "";
}

}  // namespace docpipe

#include <sys/stat.h>

#include <cstring>
#include <fstream>

#include <fmt/format.h>

namespace docpipe {

Result<int64_t> InputFileSize(const std::string& path, const std::string& name) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound(name + ": no such file");
    return Status::InvalidInput(name + ": cannot read file: " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return Status::InvalidInput(name + ": is a directory, not a file");
  if (st.st_size == 0) return Status::InvalidInput(name + ": empty file (0 bytes)");
  return static_cast<int64_t>(st.st_size);
}

Result<std::string> ReadInputFile(const std::string& path, const std::string& name, int64_t max_bytes) {
  Result<int64_t> size = InputFileSize(path, name);
  if (!size.ok()) return size.status();
  if (*size > max_bytes)
    return Status::InvalidInput(fmt::format("{}: {} MB is more than the {} MB this format is read up to", name,
                                            *size >> 20, max_bytes >> 20));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidInput(name + ": cannot read file: " + std::strerror(errno));
  std::string data(static_cast<size_t>(*size), '\0');
  in.read(data.data(), *size);
  if (in.gcount() != *size) return Status::InvalidInput(name + ": cannot read file: short read");
  return data;
}

}  // namespace docpipe
