#pragma once

#include <string>

#include "aws/credentials.h"
#include "common/clock.h"
#include "http/http_client.h"

namespace docpipe {

struct SigV4Params {
  std::string region;   // "us-east-1"
  std::string service;  // signing name: "s3", "dynamodb", "sqs", "monitoring", ...
  TimeMs time = 0;      // request time (X-Amz-Date)
  // S3 signs the payload hash into x-amz-content-sha256; other services only
  // hash it into the canonical request.
  bool s3_content_sha256_header = false;
};

// Signs `request` in place with AWS Signature Version 4 (header auth): adds
// X-Amz-Date (or, as botocore does, rewrites an existing Date header to the
// signing time instead), X-Amz-Security-Token (when the credentials have a session
// token), x-amz-content-sha256 (S3) and Authorization. Host is signed, taken
// from the URL when the request has no Host header.
void SignSigV4(HttpRequest& request, const AwsCredentials& credentials, const SigV4Params& params);

// Presigns `request` with query-string authentication (SigV4 "presigned
// URL", as botocore's SigV4QueryAuth / S3SigV4QueryAuth and
// generate_presigned_url): returns its URL with X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
// X-Amz-Security-Token (session credentials) and X-Amz-Signature appended to
// the query. Host and the request's headers are signed, so a client must send
// those headers with the same values; the body is not (S3: UNSIGNED-PAYLOAD).
// `expires_seconds` is how long the URL stays valid (S3 allows 1..604800).
std::string PresignSigV4(const HttpRequest& request, const AwsCredentials& credentials, const SigV4Params& params,
                         int64_t expires_seconds);

// The canonical request and string to sign SignSigV4 would use (tests, debugging).
std::string SigV4CanonicalRequest(const HttpRequest& request, const SigV4Params& params);
std::string SigV4StringToSign(const HttpRequest& request, const SigV4Params& params);

}  // namespace docpipe
