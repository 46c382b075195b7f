#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "common/status.h"

namespace docpipe {

// `docpipe health`: a container health check without curl. Either asks the
// head's /healthz (healthy: HTTP 200 within the timeout) or checks that a
// worker's heartbeat file (`worker --health-file`) is recent.
struct HealthOptions {
  std::string url = "http://127.0.0.1:8265/healthz";
  std::string file;              // set: check this file instead of the URL
  int64_t max_age_seconds = 60;  // for `file`
  int64_t timeout_seconds = 3;   // for `url`
};

//! 0 when healthy, 1 when not (the reason on `err`).
int RunHealth(const HealthOptions& options, std::ostream& err);

//! Creates `path` or sets its modification time to now.
Status TouchHealthFile(const std::string& path);

}  // namespace docpipe
