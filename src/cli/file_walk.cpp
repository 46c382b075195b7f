#include "cli/file_walk.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sys/stat.h>

#include <fmt/format.h>

#include "extract/html_markdown.h"

namespace docpipe {
namespace fs = std::filesystem;
namespace {

bool HasSupportedSuffix(const std::string& name, const std::vector<std::string>& suffixes) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const std::string& s : suffixes) {
    if (lower.size() > s.size() && lower.compare(lower.size() - s.size(), s.size(), s) == 0) return true;
  }
  return false;
}

// An HTML page whose head only sends the browser elsewhere (Texinfo writes
// one per anchor: 2,356 of the 2,863 files of Octave's HTML manual). Named
// on the command line it is registered and fails saying so.
bool IsHtmlRedirect(const fs::path& path, const std::string& name) {
  if (!HasSupportedSuffix(name, {".html", ".htm", ".xhtml", ".xht"})) return false;
  std::ifstream in(path, std::ios::binary);
  std::string head(8192, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return !HtmlRedirectTarget(head).empty();
}

// Canonical folder name for keys: never empty, never "." or "..".
std::string FolderName(const std::string& path) {
  fs::path p = fs::weakly_canonical(fs::absolute(path));
  std::string name = p.filename().string();
  if (name.empty() || name == "." || name == "..") name = "root";
  return name;
}

void Walk(const fs::path& dir, const std::string& key_prefix, const std::vector<std::string>& suffixes,
          std::set<std::pair<dev_t, ino_t>>& visited, WalkResult& out) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return;
  if (!visited.insert({st.st_dev, st.st_ino}).second) return;  // symlink loop or repeat
  std::vector<fs::path> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
       it.increment(ec)) {
    entries.push_back(it->path());
  }
  std::sort(entries.begin(), entries.end());
  for (const fs::path& e : entries) {
    std::string name = e.filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code sec;
    fs::file_status s = fs::status(e, sec);  // follows symlinks
    if (sec) {
      // Dangling symlink or unreadable entry: let registration record the failure.
      if (HasSupportedSuffix(name, suffixes)) out.files.push_back({e.string(), key_prefix + name});
      continue;
    }
    if (fs::is_directory(s)) {
      Walk(e, key_prefix + name + "/", suffixes, visited, out);
    } else if (HasSupportedSuffix(name, suffixes)) {
      if (IsHtmlRedirect(e, name)) out.redirects.push_back(e.string());
      else out.files.push_back({e.string(), key_prefix + name});
    } else {
      out.skipped.push_back(e.string());
    }
  }
}

}  // namespace

Result<WalkResult> CollectInputs(const std::vector<std::string>& paths,
                                 const std::vector<std::string>& supported_suffixes) {
  WalkResult out;
  std::set<std::pair<dev_t, ino_t>> visited;
  for (const std::string& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      struct stat link {};
      if (::lstat(p.c_str(), &link) != 0) {
        return Status::InvalidInput(fmt::format("{}: {}", p, std::strerror(errno)));
      }
      // The entry exists but cannot be followed (dangling symlink): register
      // it so it is recorded as a failed document, like any unreadable file.
      out.files.push_back({p, "input/" + fs::path(p).filename().string()});
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      Walk(p, "input/" + FolderName(p) + "/", supported_suffixes, visited, out);
    } else {
      // An explicitly named file is always registered; an unsupported type
      // then fails with a clear error instead of being silently ignored.
      out.files.push_back({p, "input/" + fs::path(p).filename().string()});
    }
  }
  return out;
}

}  // namespace docpipe
