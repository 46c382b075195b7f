#include "cli/health_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/unique_fd.h"
#include "http/curl_http_client.h"
#include "http/http_client.h"

namespace docpipe {
namespace {

int CheckFile(const HealthOptions& o, std::ostream& err) {
  struct stat st {};
  if (stat(o.file.c_str(), &st) != 0) {
    err << "unhealthy: " << o.file << ": " << std::strerror(errno) << "\n";
    return kExitFailed;
  }
  struct timespec now {};
  clock_gettime(CLOCK_REALTIME, &now);
  const int64_t age = static_cast<int64_t>(now.tv_sec) - static_cast<int64_t>(st.st_mtim.tv_sec);
  if (age > o.max_age_seconds) {
    err << fmt::format("unhealthy: {} last touched {} s ago (limit {} s)\n", o.file, age, o.max_age_seconds);
    return kExitFailed;
  }
  return kExitOk;
}

int CheckUrl(const HealthOptions& o, std::ostream& err) {
  HttpClientPtr http = NewCurlHttpClient();
  HttpRequest req;
  req.url = o.url;
  req.timeout_ms = o.timeout_seconds * 1000;
  req.connect_timeout_ms = req.timeout_ms;
  Result<HttpResponse> got = http->Send(req);
  if (!got.ok()) {
    err << "unhealthy: " << o.url << ": " << got.status().message() << "\n";
    return kExitFailed;
  }
  if (got->status != 200) {
    err << "unhealthy: " << o.url << ": HTTP " << got->status << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

int RunHealth(const HealthOptions& options, std::ostream& err) {
  return options.file.empty() ? CheckUrl(options, err) : CheckFile(options, err);
}

Status TouchHealthFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) return Status::Unavailable(fmt::format("{}: {}", path, std::strerror(errno)));
  if (futimens(fd.get(), nullptr) != 0) return Status::Unavailable(fmt::format("{}: {}", path, std::strerror(errno)));
  return Status::Ok();
}

}  // namespace docpipe
