#pragma once

#include "http/http_client.h"

namespace docpipe {

// The library the client loads when the first one is made (dlopen; see
// deploy/on-demand-libraries.txt).
inline constexpr const char* kCurlLibrary = "libcurl.so.4";

// libcurl transport; idle connections are kept for reuse. When libcurl cannot
// be loaded, every request fails with Unavailable saying why.
HttpClientPtr NewCurlHttpClient();

}  // namespace docpipe
