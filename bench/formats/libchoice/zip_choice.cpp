// Zip reader choice for OOXML/ODF/EPUB containers: libzip against minizip
// (zlib's contrib) and libarchive, on one archive. Usage:
//   zip_choice libzip|minizip|libarchive FILE [REPEAT] [MEMBER]
// Reads every member whole (what the office readers do with the parts they
// need), then MEMBER alone by name (random access: OOXML readers jump from
// [Content_Types].xml to the relationships to the parts). Prints the best
// wall time of REPEAT runs, or the library's error; peak RSS is measured
// outside (/usr/bin/time).
#include <archive.h>
#include <archive_entry.h>
#include <minizip/unzip.h>
#include <zip.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Outcome {
  long members = 0;
  long long bytes = 0;
  long long member_bytes = -1;  // MEMBER by name
  std::string error;
};

Outcome WithLibzip(const char* path, const char* member) {
  Outcome o;
  int err = 0;
  zip_t* z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!z) {
    zip_error_t e;
    zip_error_init_with_code(&e, err);
    o.error = zip_error_strerror(&e);
    zip_error_fini(&e);
    return o;
  }
  std::vector<char> buf(1 << 16);
  auto read_all = [&](zip_int64_t i) -> long long {
    zip_file_t* f = zip_fopen_index(z, static_cast<zip_uint64_t>(i), 0);
    if (!f) {
      o.error = zip_strerror(z);
      return -1;
    }
    long long n = 0;
    zip_int64_t r;
    while ((r = zip_fread(f, buf.data(), buf.size())) > 0) n += r;
    if (r < 0) o.error = zip_file_strerror(f);
    zip_fclose(f);
    return r < 0 ? -1 : n;
  };
  const zip_int64_t count = zip_get_num_entries(z, 0);
  for (zip_int64_t i = 0; i < count && o.error.empty(); ++i) {
    long long n = read_all(i);
    if (n >= 0) o.bytes += n, ++o.members;
  }
  if (member && o.error.empty()) {
    zip_int64_t i = zip_name_locate(z, member, 0);
    o.member_bytes = i < 0 ? -2 : read_all(i);
  }
  zip_discard(z);
  return o;
}

Outcome WithMinizip(const char* path, const char* member) {
  Outcome o;
  unzFile z = unzOpen64(path);
  if (!z) {
    o.error = "unzOpen64 failed (not a zip, or no central directory)";
    return o;
  }
  std::vector<char> buf(1 << 16);
  auto read_current = [&]() -> long long {
    int r = unzOpenCurrentFile(z);
    if (r != UNZ_OK) {
      o.error = "unzOpenCurrentFile: " + std::to_string(r);
      return -1;
    }
    long long n = 0;
    while ((r = unzReadCurrentFile(z, buf.data(), static_cast<unsigned>(buf.size()))) > 0) n += r;
    int c = unzCloseCurrentFile(z);  // UNZ_CRCERROR when the data does not match its CRC
    if (r < 0 || c != UNZ_OK) {
      o.error = "read: " + std::to_string(r) + ", close: " + std::to_string(c);
      return -1;
    }
    return n;
  };
  for (int r = unzGoToFirstFile(z); r == UNZ_OK && o.error.empty(); r = unzGoToNextFile(z)) {
    long long n = read_current();
    if (n >= 0) o.bytes += n, ++o.members;
  }
  if (member && o.error.empty()) {
    o.member_bytes = unzLocateFile(z, member, 1) == UNZ_OK ? read_current() : -2;
  }
  unzClose(z);
  return o;
}

// libarchive reads forwards only: finding a member by name means scanning the
// archive again from the start.
Outcome WithLibarchive(const char* path, const char* member) {
  Outcome o;
  std::vector<char> buf(1 << 16);
  auto pass = [&](const char* want) -> long long {
    archive* a = archive_read_new();
    archive_read_support_format_zip_seekable(a);
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
      o.error = archive_error_string(a) ? archive_error_string(a) : "open failed";
      archive_read_free(a);
      return -1;
    }
    archive_entry* e;
    long long found = -2;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
      const bool wanted = want && std::strcmp(archive_entry_pathname(e), want) == 0;
      if (want && !wanted) continue;
      long long n = 0;
      la_ssize_t k;
      while ((k = archive_read_data(a, buf.data(), buf.size())) > 0) n += k;
      if (k < 0) {
        o.error = archive_error_string(a) ? archive_error_string(a) : "read failed";
        break;
      }
      if (wanted) {
        found = n;
        break;
      }
      o.bytes += n, ++o.members;
    }
    if (r != ARCHIVE_OK && r != ARCHIVE_EOF && o.error.empty())
      o.error = archive_error_string(a) ? archive_error_string(a) : "header failed";
    archive_read_free(a);
    return found;
  };
  pass(nullptr);
  if (member && o.error.empty()) o.member_bytes = pass(member);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: zip_choice libzip|minizip|libarchive FILE [REPEAT] [MEMBER]\n");
    return 2;
  }
  const std::string lib = argv[1];
  const int repeat = argc > 3 ? std::atoi(argv[3]) : 3;
  const char* member = argc > 4 ? argv[4] : nullptr;
  double best = 1e9;
  Outcome o;
  for (int i = 0; i < repeat; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    o = lib == "libzip" ? WithLibzip(argv[2], member) : lib == "minizip" ? WithMinizip(argv[2], member)
                                                                         : WithLibarchive(argv[2], member);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
    if (!o.error.empty()) break;
  }
  if (!o.error.empty()) {
    std::printf("%s %s: ERROR %s (after %ld members)\n", lib.c_str(), argv[2], o.error.c_str(), o.members);
    return 1;
  }
  std::printf("%s %s: %ld members, %.1f MB unpacked in %.3f s (%.0f MB/s)", lib.c_str(), argv[2], o.members,
              o.bytes / 1e6, best, o.bytes / 1e6 / best);
  if (member) std::printf(", %s: %lld bytes", member, o.member_bytes);
  std::printf("\n");
  return 0;
}
