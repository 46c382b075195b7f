#include "extract/zip_archive.h"

#include <dlfcn.h>
#include <zip.h>

#include <string>

#include <fmt/format.h>

namespace docpipe {
namespace {

constexpr int64_t kRatioCheckBytes = 1 << 20;

// The libzip functions docpipe calls, resolved from the shared library:
// libzip (with libcrypto, bzip2 and zlib) is loaded by the first container
// opened, not by every command at start-up (docs/architecture.md, "Start-up").
struct ZipApi {
  void (*error_init_with_code)(zip_error_t*, int);
  const char* (*error_strerror)(zip_error_t*);
  void (*error_fini)(zip_error_t*);
  int (*fclose)(zip_file_t*);
  void (*discard)(zip_t*);
  zip_t* (*open)(const char*, int, int*);
  zip_int64_t (*get_num_entries)(zip_t*, zip_flags_t);
  const char* (*get_name)(zip_t*, zip_uint64_t, zip_flags_t);
  zip_int64_t (*name_locate)(zip_t*, const char*, zip_flags_t);
  int (*stat_index)(zip_t*, zip_uint64_t, zip_flags_t, zip_stat_t*);
  const char* (*strerror)(zip_t*);
  zip_file_t* (*fopen_index)(zip_t*, zip_uint64_t, zip_flags_t);
  zip_int64_t (*fread)(zip_file_t*, void*, zip_uint64_t);
  zip_error_t* (*file_get_error)(zip_file_t*);
};

// libzip as loaded: the functions, or why it could not be loaded.
struct LoadedZip {
  ZipApi api{};
  std::string error;  // "" when loaded
};

LoadedZip Load() {
  LoadedZip out;
  void* lib = ::dlopen(kZipLibrary, RTLD_NOW | RTLD_LOCAL);  // never closed: it lives as long as the process
  if (lib == nullptr) {
    const char* why = ::dlerror();
    out.error = fmt::format("cannot load {} (Debian: apt-get install libzip4): {}", kZipLibrary,
                            why != nullptr ? why : "unknown error");
    return out;
  }
  auto bind = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
    if (fn == nullptr) out.error += (out.error.empty() ? kZipLibrary + std::string(" lacks ") : ", ") + name;
  };
  ZipApi& api = out.api;
  bind(api.error_init_with_code, "zip_error_init_with_code");
  bind(api.error_strerror, "zip_error_strerror");
  bind(api.error_fini, "zip_error_fini");
  bind(api.fclose, "zip_fclose");
  bind(api.discard, "zip_discard");
  bind(api.open, "zip_open");
  bind(api.get_num_entries, "zip_get_num_entries");
  bind(api.get_name, "zip_get_name");
  bind(api.name_locate, "zip_name_locate");
  bind(api.stat_index, "zip_stat_index");
  bind(api.strerror, "zip_strerror");
  bind(api.fopen_index, "zip_fopen_index");
  bind(api.fread, "zip_fread");
  bind(api.file_get_error, "zip_file_get_error");
  return out;
}

// Loads libzip once per process; nullptr and `*error` when it cannot be loaded.
const ZipApi* LoadZip(std::string* error) {
  static const LoadedZip loaded = Load();
  if (!loaded.error.empty()) {
    *error = loaded.error;
    return nullptr;
  }
  return &loaded.api;
}

const ZipApi& Zip() {  // only once an archive is open
  std::string unused;
  return *LoadZip(&unused);
}

std::string ZipErrorText(int code) {
  zip_error_t error;
  Zip().error_init_with_code(&error, code);
  std::string text = Zip().error_strerror(&error);
  Zip().error_fini(&error);
  return text;
}

struct ZipFileCloser {
  void operator()(zip_file_t* f) const { Zip().fclose(f); }
};

}  // namespace

Status MemoryBudget::ExceededError(const std::string& name) const {
  return Status::InvalidInput(
      fmt::format("{}: needs more than the extractor's memory cap of {} MB", name, cap_ >> 20));
}

ZipArchive::ZipArchive(zip* archive, std::string name, ExtractLimits limits)
    : archive_(archive), name_(std::move(name)), limits_(limits) {}

ZipArchive::~ZipArchive() { Zip().discard(archive_); }

Result<std::unique_ptr<ZipArchive>> ZipArchive::Open(const std::string& path, const std::string& name,
                                                     const ExtractLimits& limits) {
  std::string load_error;
  if (LoadZip(&load_error) == nullptr) return Status::Unavailable(fmt::format("{}: {}", name, load_error));
  int code = 0;
  // ZIP_CHECKCONS compares the central directory with the local headers, so
  // a cut-off or spliced archive is refused here rather than half-read.
  zip* z = Zip().open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (z == nullptr) {
    const char* why = code == ZIP_ER_NOZIP  ? "not a zip archive (no central directory: truncated or not a zip)"
                      : code == ZIP_ER_INCONS ? "damaged or truncated zip archive"
                                              : nullptr;
    return Status::InvalidInput(
        fmt::format("{}: {}", name, why ? std::string(why) : "cannot open zip archive: " + ZipErrorText(code)));
  }
  std::unique_ptr<ZipArchive> out(new ZipArchive(z, name, limits));
  const zip_int64_t n = Zip().get_num_entries(z, 0);
  if (n > limits.max_zip_entries) {
    return Status::InvalidInput(
        fmt::format("{}: zip archive has {} entries (limit {}): refused as a possible zip bomb", name, n,
                    limits.max_zip_entries));
  }
  out->names_.reserve(static_cast<size_t>(n));
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* entry = Zip().get_name(z, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
    out->names_.emplace_back(entry ? entry : "");
  }
  return out;
}

bool ZipArchive::Has(const std::string& member) const {
  return Zip().name_locate(archive_, member.c_str(), 0) >= 0;
}

Result<std::string> ZipArchive::Read(const std::string& member) {
  const zip_int64_t index = Zip().name_locate(archive_, member.c_str(), 0);
  if (index < 0) return Status::NotFound(fmt::format("{}: no member {}", name_, member));
  zip_stat_t st;
  if (Zip().stat_index(archive_, static_cast<zip_uint64_t>(index), 0, &st) != 0)
    return Status::InvalidInput(fmt::format("{}: member {}: {}", name_, member, Zip().strerror(archive_)));
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
  std::unique_ptr<zip_file_t, ZipFileCloser> file(Zip().fopen_index(archive_, static_cast<zip_uint64_t>(index), 0));
  if (!file) {
    return Status::InvalidInput(fmt::format("{}: cannot read member {}: {}", name_, member, Zip().strerror(archive_)));
  }
  std::string out;
  out.reserve(static_cast<size_t>(std::max<int64_t>(declared, 0)));
  char buf[65536];
  for (;;) {
    const zip_int64_t got = Zip().fread(file.get(), buf, sizeof buf);
    if (got < 0) {
      return Status::InvalidInput(fmt::format("{}: member {} is corrupt: {}", name_, member,
                                              Zip().error_strerror(Zip().file_get_error(file.get()))));
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
