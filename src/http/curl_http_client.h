#pragma once

#include "http/http_client.h"

namespace docpipe {

// libcurl transport; idle connections are kept for reuse.
HttpClientPtr NewCurlHttpClient();

}  // namespace docpipe
