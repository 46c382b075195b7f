#pragma once

#include <span>
#include <string_view>

namespace docpipe {

// One file of the dashboard, compiled into the binary (web/build.mjs writes
// the table at build time from web/src; nothing is read from disk at run time).
struct WebAsset {
  std::string_view path;          // "/index.html", "/login.html", "/assets/app-<hash>.js", ...
  std::string_view content_type;  // "text/javascript; charset=utf-8", ...
  std::string_view data;
  bool public_asset;  // served before login: the login page and what it loads
  bool immutable;     // named by its content hash: cacheable for good
};

std::span<const WebAsset> WebAssets();

//! The asset at `path`, or nullptr.
inline const WebAsset* FindWebAsset(std::string_view path) {
  for (const WebAsset& a : WebAssets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

}  // namespace docpipe
