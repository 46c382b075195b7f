#include "extract/zip_archive.h"

#include <zip.h>

#include <fmt/format.h>

namespace docpipe {
namespace {

constexpr int64_t kRatioCheckBytes = 1 << 20;

std::string ZipErrorText(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

}  // namespace

Status MemoryBudget::ExceededError(const std::string& name) const {
  return Status::InvalidInput(
      fmt::format("{}: needs more than the extractor's memory cap of {} MB", name, cap_ >> 20));
}

ZipArchive::ZipArchive(zip* archive, std::string name, ExtractLimits limits)
    : archive_(archive), name_(std::move(name)), limits_(limits) {}

ZipArchive::~ZipArchive() { zip_discard(archive_); }

Result<std::unique_ptr<ZipArchive>> ZipArchive::Open(const std::string& path, const std::string& name,
                                                     const ExtractLimits& limits) {
  int code = 0;
  // ZIP_CHECKCONS compares the central directory with the local headers, so
  // a cut-off or spliced archive is refused here rather than half-read.
  zip* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (z == nullptr) {
    const char* why = code == ZIP_ER_NOZIP  ? "not a zip archive (no central directory: truncated or not a zip)"
                      : code == ZIP_ER_INCONS ? "damaged or truncated zip archive"
                                              : nullptr;
    return Status::InvalidInput(
        fmt::format("{}: {}", name, why ? std::string(why) : "cannot open zip archive: " + ZipErrorText(code)));
  }
  std::unique_ptr<ZipArchive> out(new ZipArchive(z, name, limits));
  const zip_int64_t n = zip_get_num_entries(z, 0);
  if (n > limits.max_zip_entries) {
    return Status::InvalidInput(
        fmt::format("{}: zip archive has {} entries (limit {}): refused as a possible zip bomb", name, n,
                    limits.max_zip_entries));
  }
  out->names_.reserve(static_cast<size_t>(n));
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* entry = zip_get_name(z, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
    out->names_.emplace_back(entry ? entry : "");
  }
  return out;
}

bool ZipArchive::Has(const std::string& member) const {
  return zip_name_locate(archive_, member.c_str(), 0) >= 0;
}

Result<std::string> ZipArchive::Read(const std::string& member) {
  const zip_int64_t index = zip_name_locate(archive_, member.c_str(), 0);
  if (index < 0) return Status::NotFound(fmt::format("{}: no member {}", name_, member));
  zip_stat_t st;
  if (zip_stat_index(archive_, static_cast<zip_uint64_t>(index), 0, &st) != 0)
    return Status::InvalidInput(fmt::format("{}: member {}: {}", name_, member, zip_strerror(archive_)));
  if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
    return Status::InvalidInput(fmt::format("{}: member {} is encrypted", name_, member));
  const int64_t declared = (st.valid & ZIP_STAT_SIZE) ? static_cast<int64_t>(st.size) : -1;
  const int64_t packed = (st.valid & ZIP_STAT_COMP_SIZE) ? static_cast<int64_t>(st.comp_size) : -1;
  auto too_big = [&](int64_t size) -> Status {
    if (size > limits_.max_entry_bytes)
      return Status::InvalidInput(fmt::format("{}: member {} unpacks to more than {} MB (limit): refused",
                                              name_, member, limits_.max_entry_bytes >> 20));
    if (unpacked_total_ + size > limits_.max_total_unpacked_bytes)
      return Status::InvalidInput(fmt::format("{}: archive unpacks to more than {} MB (limit): refused as a "
                                              "possible zip bomb",
                                              name_, limits_.max_total_unpacked_bytes >> 20));
    if (size > kRatioCheckBytes && packed >= 0 &&
        static_cast<double>(size) > limits_.max_compression_ratio * static_cast<double>(std::max<int64_t>(packed, 1)))
      return Status::InvalidInput(fmt::format("{}: member {} has compression ratio above {:.0f}:1 ({} bytes from "
                                              "{}): refused as a possible zip bomb",
                                              name_, member, limits_.max_compression_ratio, size, packed));
    return Status::Ok();
  };
  if (declared >= 0) DOCPIPE_RETURN_IF_ERROR(too_big(declared));
  std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen_index(archive_, static_cast<zip_uint64_t>(index), 0));
  if (!file) {
    return Status::InvalidInput(fmt::format("{}: cannot read member {}: {}", name_, member, zip_strerror(archive_)));
  }
  std::string out;
  out.reserve(static_cast<size_t>(std::max<int64_t>(declared, 0)));
  char buf[65536];
  for (;;) {
    const zip_int64_t got = zip_fread(file.get(), buf, sizeof buf);
    if (got < 0) {
      return Status::InvalidInput(fmt::format("{}: member {} is corrupt: {}", name_, member,
                                              zip_error_strerror(zip_file_get_error(file.get()))));
    }
    if (got == 0) break;
    out.append(buf, static_cast<size_t>(got));
    // The declared size may lie: the limits apply to what actually comes out.
    if (static_cast<int64_t>(out.size()) > declared && declared >= 0)
      return Status::InvalidInput(fmt::format("{}: member {} unpacks to more than its declared {} bytes", name_,
                                              member, declared));
    DOCPIPE_RETURN_IF_ERROR(too_big(static_cast<int64_t>(out.size())));
  }
  unpacked_total_ += static_cast<int64_t>(out.size());
  return out;
}

std::string ResolvePartPath(const std::string& source_part, const std::string& target) {
  if (!target.empty() && target[0] == '/') return target.substr(1);
  std::vector<std::string> parts;
  const size_t slash = source_part.rfind('/');
  std::string joined = (slash == std::string::npos ? "" : source_part.substr(0, slash + 1)) + target;
  size_t pos = 0;
  while (pos <= joined.size()) {
    size_t end = joined.find('/', pos);
    if (end == std::string::npos) end = joined.size();
    std::string seg = joined.substr(pos, end - pos);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    pos = end + 1;
  }
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

}  // namespace docpipe
