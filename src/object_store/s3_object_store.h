#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "aws/aws_client.h"
#include "common/status.h"
#include "object_store/object_store.h"

namespace docpipe {

struct S3Options {
  std::string bucket;
  // Addressing. By default virtual-host style (scheme://bucket.host/key) on
  // AWS endpoints, and path style (scheme://host/bucket/key) for a custom
  // endpoint (moto, MinIO, LocalStack) or a bucket name that is not a DNS
  // label set (dots break the wildcard TLS certificate). Either flag forces a
  // style; setting both is InvalidInput.
  bool force_path_style = false;
  bool force_virtual_host = false;  // custom endpoints that serve bucket.host
  // Objects of at least this size go up as a multipart upload.
  int64_t multipart_threshold = 8 << 20;
  // Multipart part size (S3: at least 5 MiB except the last part; grown when
  // an object would need more than 10,000 parts). Also the range size Fetch
  // downloads in, so neither direction holds more than one part in memory.
  int64_t part_size = 8 << 20;
  // Where Fetch puts its temporary files.
  std::string temp_dir = "/tmp";
  // ListObjectsV2 page size (1..1000); smaller only to exercise paging in tests.
  int max_keys = 1000;
};

// The ObjectStore port on an S3 bucket, through `client` (signing name "s3";
// it must outlive the store). Keys are validated as for the local store, so a
// key that works on one works on the other. Thread-safe.
class S3ObjectStore final : public ObjectStore {
 public:
  S3ObjectStore(AwsClient& client, S3Options options, bool path_style);

  Status Put(const std::string& key, std::string_view data) override;
  Status PutFile(const std::string& key, const std::string& path) override;
  Result<std::string> Get(const std::string& key) override;
  Result<std::string> GetRange(const std::string& key, int64_t offset, int64_t length) override;
  Result<ObjectInfo> Head(const std::string& key) override;
  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override;
  Status Delete(const std::string& key) override;
  Result<LocalFile> Fetch(const std::string& key) override;
  Result<PresignedUpload> PresignPut(const std::string& key, const std::string& content_type,
                                     int64_t expires_seconds) override;

  //! Removes `keys` with DeleteObjects, up to 1000 per request; absent keys
  //! are fine. InvalidInput (before deleting anything) for a malformed key.
  //! When S3 refuses some keys the Status names them with their error codes;
  //! the others are deleted all the same.
  Status DeleteMany(const std::vector<std::string>& keys);

  bool path_style() const { return path_style_; }
  //! The URL of `key` in the bucket ("" for the bucket itself).
  std::string Url(const std::string& key, const std::string& query = "") const;

 private:
  // Reads `length` bytes at `offset` of the content being uploaded.
  using ReadFn = std::function<Result<std::string>(int64_t offset, int64_t length)>;

  // CallRest, with a 404 for a missing bucket turned into InvalidInput: a
  // misconfigured store must not look like an absent object to callers.
  Result<HttpResponse> Call(std::string_view operation, HttpRequest request, bool idempotent, const std::string& what,
                            bool accept_416 = false);
  HttpRequest Request(const std::string& method, const std::string& key, const std::string& query = "") const;
  Status Upload(const std::string& key, int64_t size, const ReadFn& read);
  Status MultipartUpload(const std::string& key, int64_t size, const ReadFn& read);
  // One DeleteObjects request; refused keys are appended to `failures`.
  Status DeleteBatch(const std::vector<std::string>& keys, std::vector<std::string>& failures, Status& first_error);
  // Writes the object to `fd` range by range; Conflict when it changed meanwhile.
  Status Download(const std::string& key, int fd);

  std::unique_ptr<AwsClient> bound_;  // the caller's client bound to S3ObjectStoreOperations()
  AwsClient& client_;
  const S3Options options_;
  const bool path_style_;
};

//! The operations the store calls (PutObject, the multipart upload, GetObject
//! with ranges, HeadObject, ListObjectsV2, DeleteObject(s)) and their IAM actions.
const AwsOperationSet& S3ObjectStoreOperations();
//! Those of ProvisionS3Bucket (HeadBucket, CreateBucket).
const AwsOperationSet& S3ProvisionOperations();

//! An S3 store after checking `options` (bucket name, sizes, addressing).
Result<ObjectStorePtr> NewS3ObjectStore(AwsClient& client, S3Options options);

//! Whether requests to `options.bucket` at `endpoint` use path style (see S3Options).
bool S3UsesPathStyle(const std::string& endpoint, const S3Options& options);

//! The URL of `key` ("" for the bucket) in `bucket` at `endpoint`, the key
//! percent-encoded with '/' kept; `query` (already encoded) is appended after '?'.
std::string S3ObjectUrl(const std::string& endpoint, const std::string& bucket, bool path_style,
                        const std::string& key, const std::string& query = "");

// One page of a ListObjectsV2 answer.
struct S3ListPage {
  std::vector<ObjectInfo> objects;  // keys decoded, etags without quotes
  bool truncated = false;
  std::string next_continuation_token;
};

//! Parses a ListObjectsV2 response body: XML entities are resolved, and keys
//! are URL-decoded when the answer says <EncodingType>url</EncodingType>.
//! InvalidInput when the body is not a ListBucketResult.
Result<S3ListPage> ParseListObjectsV2(const std::string& xml);

//! Makes sure `bucket` exists: HeadBucket, and CreateBucket (with a
//! LocationConstraint unless `region` is us-east-1) when it is missing.
//! Idempotent, and fine when a concurrent call created it first. Addressing
//! as for a store with default options plus `force_path_style`.
Status ProvisionS3Bucket(AwsClient& client, const std::string& bucket, const std::string& region,
                         bool force_path_style = false);

}  // namespace docpipe
