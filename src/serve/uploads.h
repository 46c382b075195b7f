#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "object_store/object_store.h"
#include "pipeline/registrar.h"

namespace docpipe {

// The dashboard's uploads into input/. A file name becomes "input/<name>":
// one path segment, no control characters, a supported suffix.
//! InvalidInput naming the problem otherwise.
Result<std::string> UploadKey(const std::string& name);

// Embedded shape: the server receives the bytes, writes them to a file in
// `scratch_dir`, and registers it (copied into the store, fingerprinted by
// SHA-256, so the same bytes again are a duplicate). The file is removed
// afterwards. Errors of the tables or store come back as they are.
Result<Registration> RegisterUpload(Registrar& registrar, const std::string& scratch_dir, const std::string& name,
                                    std::string_view bytes);

// AWS shape: a presigned PUT the browser sends straight to S3; the bucket's
// ObjectCreated event (the Lambda) registers it. The answer names the key
// and the document id the key will get, so the page can follow it.
//! InvalidInput for a bad name or size; Unavailable when the store takes no
//! presigned uploads.
Result<nlohmann::json> PresignUpload(ObjectStore& store, const std::string& name, int64_t size,
                                     const std::string& content_type, int64_t max_bytes, int64_t expires_seconds);

}  // namespace docpipe
