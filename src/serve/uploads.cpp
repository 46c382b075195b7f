#include "serve/uploads.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/hash.h"
#include "extract/extractor_registry.h"
#include "pipeline/document_id.h"

namespace docpipe {

Result<std::string> UploadKey(const std::string& name) {
  if (name.empty()) return Status::InvalidInput("the upload has no file name (?name=)");
  if (name.size() > 255) return Status::InvalidInput("the file name is longer than 255 bytes");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return Status::InvalidInput("the file name holds control characters");
    if (c == '/' || c == '\\') return Status::InvalidInput("the file name must not hold '/' or '\\\\'");
  }
  if (name == "." || name == ".." || name.front() == '.') {
    return Status::InvalidInput(fmt::format("'{}': hidden or relative names are not taken", name));
  }
  if (name.rfind(".docpipe-tmp-", 0) == 0) return Status::InvalidInput("that name prefix is reserved");
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  bool supported = false;
  std::string list;
  for (const std::string& s : SupportedSuffixes()) {
    supported = supported || (lower.size() > s.size() && lower.compare(lower.size() - s.size(), s.size(), s) == 0);
    list += (list.empty() ? "" : " ") + s;
  }
  if (!supported) return Status::InvalidInput(fmt::format("'{}': unsupported file type (supported: {})", name, list));
  return "input/" + name;
}

Result<Registration> RegisterUpload(Registrar& registrar, const std::string& scratch_dir, const std::string& name,
                                    std::string_view bytes) {
  Result<std::string> key = UploadKey(name);
  if (!key.ok()) return key.status();
  std::error_code ec;
  std::filesystem::create_directories(scratch_dir, ec);
  if (ec) return Status::Unavailable(fmt::format("cannot create {}: {}", scratch_dir, ec.message()));
  const std::string path = fmt::format("{}/upload-{}", scratch_dir, Base64UrlEncode(RandomBytes(12)));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return Status::Unavailable(fmt::format("cannot write the upload {}: {}", name, std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  Result<Registration> reg = registrar.RegisterLocalFile(path, *key);
  ::unlink(path.c_str());
  return reg;
}

Result<nlohmann::json> PresignUpload(ObjectStore& store, const std::string& name, int64_t size,
                                     const std::string& content_type, int64_t max_bytes, int64_t expires_seconds) {
  Result<std::string> key = UploadKey(name);
  if (!key.ok()) return key.status();
  if (size < 0) return Status::InvalidInput("size must not be negative");
  if (size > max_bytes) {
    return Status::InvalidInput(fmt::format("{} is {} bytes, over the {} byte upload limit", name, size, max_bytes));
  }
  for (unsigned char c : content_type) {
    if (c < 0x20 || c >= 0x7f) return Status::InvalidInput("content_type must be printable ASCII");
  }
  Result<PresignedUpload> up = store.PresignPut(*key, content_type, expires_seconds);
  if (!up.ok()) return up.status();
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [n, v] : up->headers) headers[n] = v;
  return nlohmann::json{{"method", up->method},
                        {"url", up->url},
                        {"headers", headers},
                        {"source_key", *key},
                        {"document_id", DocumentIdForKey(*key)},
                        {"expires_in", expires_seconds}};
}

}  // namespace docpipe
