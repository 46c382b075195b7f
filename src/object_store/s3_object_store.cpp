#include "object_store/s3_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "common/posix_error.h"
#include "common/unique_fd.h"
#include "common/xml_text.h"
#include "http/http_client.h"
#include "common/strings.h"

namespace docpipe {
namespace {

constexpr int64_t kMinPartSize = 5 << 20;                // S3's minimum for all parts but the last
constexpr int64_t kMaxPartSize = int64_t{5} << 30;       // and maximum for any part
constexpr int64_t kMaxParts = 10'000;
constexpr size_t kDeleteBatch = 1000;                     // DeleteObjects' limit
constexpr const char* kS3Xmlns = "http://s3.amazonaws.com/doc/2006-03-01/";

std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// ---- digests ----------------------------------------------------------------

std::string Base64Md5(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int n = EVP_EncodeBlock(b64, md, static_cast<int>(len));
  return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
}

// ---- addressing ---------------------------------------------------------------

struct EndpointParts {
  std::string scheme;     // "https://"
  std::string host;       // "s3.us-east-1.amazonaws.com" or "127.0.0.1:5000"
  std::string base_path;  // "" or "/prefix" of a proxy, no trailing '/'
};

EndpointParts SplitEndpoint(const std::string& endpoint) {
  EndpointParts p;
  size_t sep = endpoint.find("://");
  std::string rest = endpoint;
  p.scheme = "https://";
  if (sep != std::string::npos) {
    p.scheme = endpoint.substr(0, sep + 3);
    rest = endpoint.substr(sep + 3);
  }
  size_t slash = rest.find('/');
  p.host = rest.substr(0, slash);
  if (slash != std::string::npos) p.base_path = rest.substr(slash);
  while (!p.base_path.empty() && p.base_path.back() == '/') p.base_path.pop_back();
  return p;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool IsAwsEndpoint(const std::string& endpoint) {
  std::string host = SplitEndpoint(endpoint).host;
  host = host.substr(0, host.find(':'));
  return EndsWith(host, ".amazonaws.com") || EndsWith(host, ".amazonaws.com.cn");
}

// A bucket name usable as one DNS label under a wildcard certificate.
bool IsVirtualHostable(const std::string& bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(bucket.front()) || !alnum(bucket.back())) return false;
  return std::all_of(bucket.begin(), bucket.end(), [&](char c) { return alnum(c) || c == '-'; });
}

// Legacy (us-east-1) bucket names may also hold upper-case letters and '_'.
Status ValidateBucketName(const std::string& bucket) {
  bool ok = bucket.size() >= 3 && bucket.size() <= 255 && std::all_of(bucket.begin(), bucket.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                     c == '-' || c == '_';
            });
  return ok ? Status::Ok() : Status::InvalidInput(fmt::format("invalid S3 bucket name '{}'", bucket));
}

// The local store's rule for List prefixes, so a prefix means the same on
// both: relative, no NUL, no empty/"."/".." segment except a partial last one
// (which may be "" or ".", never "..").
Status ValidateListPrefix(const std::string& prefix) {
  if (prefix.find('\0') != std::string::npos) return Status::InvalidInput("list prefix contains NUL");
  if (!prefix.empty() && prefix[0] == '/') return Status::InvalidInput(fmt::format("list prefix '{}' is absolute", prefix));
  size_t start = 0;
  while (start <= prefix.size()) {
    size_t end = prefix.find('/', start);
    bool last = end == std::string::npos;
    std::string_view seg(prefix.data() + start, (last ? prefix.size() : end) - start);
    if ((seg.empty() && !last) || seg == ".." || (seg == "." && !last)) {
      return Status::InvalidInput(fmt::format("list prefix '{}' has an empty, '.' or '..' segment", prefix));
    }
    if (last) break;
    start = end + 1;
  }
  return Status::Ok();
}

// ---- local files ---------------------------------------------------------------

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// The key's extension (".pdf"), when it is short and plain, so that the
// temporary copy looks like the object to tools that go by file names.
std::string TempSuffix(const std::string& key) {
  size_t slash = key.rfind('/');
  size_t dot = key.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = key.substr(dot);
  if (ext.size() < 2 || ext.size() > 11) return "";
  bool plain = std::all_of(ext.begin() + 1, ext.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
  return plain ? ext : "";
}

int64_t ParseInt64(const std::string* s) {
  if (s == nullptr || s->empty()) return -1;
  char* end = nullptr;
  long long v = std::strtoll(s->c_str(), &end, 10);
  return (*end == '\0' && v >= 0) ? static_cast<int64_t>(v) : -1;
}

// The complete length from "bytes 0-99/12345"; -1 when absent or "*".
int64_t TotalFromContentRange(const std::string* content_range) {
  if (content_range == nullptr) return -1;
  size_t slash = content_range->rfind('/');
  if (slash == std::string::npos) return -1;
  std::string total = content_range->substr(slash + 1);
  return ParseInt64(&total);
}

// A 200 answer to CompleteMultipartUpload (or DeleteObjects) may still carry
// an <Error> document: S3 sends the status before it knows the outcome.
bool IsErrorDocument(const std::string& body, std::string_view expected_root) {
  return body.find(std::string("<") + std::string(expected_root)) == std::string::npos &&
         body.find("<Error>") != std::string::npos;
}

// `message` with the code of another Status (the first of several failures).
Status WithCode(Status::Code code, std::string message) {
  switch (code) {
    case Status::Code::kOk:
      return Status::Ok();
    case Status::Code::kNotFound:
      return Status::NotFound(std::move(message));
    case Status::Code::kConflict:
      return Status::Conflict(std::move(message));
    case Status::Code::kInvalidInput:
      return Status::InvalidInput(std::move(message));
    case Status::Code::kUnavailable:
      return Status::Unavailable(std::move(message));
    case Status::Code::kThrottled:
      return Status::Throttled(std::move(message));
    case Status::Code::kTimeout:
      return Status::Timeout(std::move(message));
    case Status::Code::kCancelled:
      return Status::Cancelled(std::move(message));
    case Status::Code::kInternal:
      break;
  }
  return Status::Internal(std::move(message));
}

}  // namespace

// ---- free functions -----------------------------------------------------------

bool S3UsesPathStyle(const std::string& endpoint, const S3Options& options) {
  if (options.force_path_style) return true;
  if (options.force_virtual_host) return false;
  return !IsAwsEndpoint(endpoint) || !IsVirtualHostable(options.bucket);
}

std::string S3ObjectUrl(const std::string& endpoint, const std::string& bucket, bool path_style,
                        const std::string& key, const std::string& query) {
  EndpointParts p = SplitEndpoint(endpoint);
  std::string url;
  if (path_style) {
    url = p.scheme + p.host + p.base_path + "/" + bucket;
    if (!key.empty()) url += "/" + UriEncode(key, /*keep_slash=*/true);
  } else {
    url = p.scheme + bucket + "." + p.host + p.base_path + "/" + UriEncode(key, /*keep_slash=*/true);
  }
  if (!query.empty()) url += "?" + query;
  return url;
}

Result<S3ListPage> ParseListObjectsV2(const std::string& xml) {
  if (xml.find("<ListBucketResult") == std::string::npos) {
    return Status::InvalidInput(fmt::format("ListObjectsV2 answer is not a ListBucketResult: {}", xml.substr(0, 200)));
  }
  S3ListPage page;
  // Searching the whole document for the top-level fields is safe: text never
  // holds a raw '<', and no child of Contents shares their names.
  std::string_view head(xml);
  const bool url_encoded = XmlUnescape(XmlFirst(head, "EncodingType").value_or("")) == "url";
  page.truncated = XmlFirst(head, "IsTruncated").value_or("") == "true";
  page.next_continuation_token = XmlUnescape(XmlFirst(head, "NextContinuationToken").value_or(""));
  for (std::string_view contents : XmlElements(xml, "Contents")) {
    ObjectInfo info;
    auto key = XmlFirst(contents, "Key");
    if (!key) return Status::InvalidInput("ListObjectsV2 answer has Contents without Key");
    info.key = XmlUnescape(*key);
    if (url_encoded) {
      // S3 encodes a space as '+' here (form encoding), as SDKs decode it.
      Result<std::string> decoded = UriDecode(info.key, /*plus_is_space=*/true);
      if (!decoded.ok()) return decoded.status().Annotate("ListObjectsV2 key");
      info.key = std::move(decoded).value();
    }
    std::string size = XmlUnescape(XmlFirst(contents, "Size").value_or(""));
    info.size = ParseInt64(&size);
    if (info.size < 0) return Status::InvalidInput(fmt::format("ListObjectsV2: bad Size '{}' for {}", size, info.key));
    info.etag = Unquote(XmlUnescape(XmlFirst(contents, "ETag").value_or("")));
    page.objects.push_back(std::move(info));
  }
  return page;
}

// ---- S3ObjectStore --------------------------------------------------------------

const AwsOperationSet& S3ObjectStoreOperations() {
  using K = AwsResourceKind;
  // Reads also need s3:ListBucket: without it S3 answers 403 instead of 404
  // for a missing key, and the store must tell "absent" from "forbidden".
  static const AwsOperationSet ops{
      "s3-object-store",
      "s3",
      {{"PutObject", {{"s3:PutObject", K::kObjects, ""}}},
       {"CreateMultipartUpload", {{"s3:PutObject", K::kObjects, ""}}},
       {"UploadPart", {{"s3:PutObject", K::kObjects, ""}}},
       {"CompleteMultipartUpload", {{"s3:PutObject", K::kObjects, ""}}},
       {"AbortMultipartUpload", {{"s3:AbortMultipartUpload", K::kObjects, ""}}},
       {"GetObject", {{"s3:GetObject", K::kObjects, ""}, {"s3:ListBucket", K::kBucket, ""}}},
       {"HeadObject", {{"s3:GetObject", K::kObjects, ""}, {"s3:ListBucket", K::kBucket, ""}}},
       {"ListObjectsV2", {{"s3:ListBucket", K::kBucket, ""}}},
       {"DeleteObject", {{"s3:DeleteObject", K::kObjects, ""}}},
       {"DeleteObjects", {{"s3:DeleteObject", K::kObjects, ""}}}}};
  return ops;
}

const AwsOperationSet& S3ProvisionOperations() {
  using K = AwsResourceKind;
  static const AwsOperationSet ops{"s3-provision",
                                   "s3",
                                   {{"HeadBucket", {{"s3:ListBucket", K::kBucket, ""}}},
                                    {"CreateBucket", {{"s3:CreateBucket", K::kBucket, ""}}}}};
  return ops;
}

S3ObjectStore::S3ObjectStore(AwsClient& client, S3Options options, bool path_style)
    : bound_(client.ForAdapter(S3ObjectStoreOperations())),
      client_(*bound_),
      options_(std::move(options)),
      path_style_(path_style) {}

std::string S3ObjectStore::Url(const std::string& key, const std::string& query) const {
  return S3ObjectUrl(client_.config().endpoint, options_.bucket, path_style_, key, query);
}

HttpRequest S3ObjectStore::Request(const std::string& method, const std::string& key,
                                   const std::string& query) const {
  HttpRequest req;
  req.method = method;
  req.url = Url(key, query);
  req.timeout_ms = client_.config().timeout_ms;
  return req;
}

Result<HttpResponse> S3ObjectStore::Call(std::string_view operation, HttpRequest request, bool idempotent,
                                         const std::string& what, bool accept_416) {
  Result<HttpResponse> r = accept_416 ? client_.CallRest(operation, std::move(request), idempotent, what, {404, 416})
                                      : client_.CallRest(operation, std::move(request), idempotent, what, {404});
  if (r.ok() && r->status == 404) {
    if (AwsErrorCode(*r) == "NoSuchBucket") {
      return Status::InvalidInput(fmt::format("{}: bucket '{}' does not exist", what, options_.bucket));
    }
    return AwsErrorStatus(what, *r);
  }
  return r;
}

Status S3ObjectStore::Put(const std::string& key, std::string_view data) {
  DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
  return Upload(key, static_cast<int64_t>(data.size()), [data](int64_t offset, int64_t length) -> Result<std::string> {
    return std::string(data.substr(static_cast<size_t>(offset), static_cast<size_t>(length)));
  });
}

Status S3ObjectStore::PutFile(const std::string& key, const std::string& path) {
  DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(errno, fmt::format("opening source {} for {}", path, key));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "stat " + path);
  if (!S_ISREG(st.st_mode)) return Status::InvalidInput(fmt::format("source {} for {} is not a regular file", path, key));
  // Read part by part with pread, so only one part is in memory at a time.
  return Upload(key, static_cast<int64_t>(st.st_size), [&](int64_t offset, int64_t length) -> Result<std::string> {
    std::string buf(static_cast<size_t>(length), '\0');
    int64_t done = 0;
    while (done < length) {
      ssize_t n = ::pread(fd.get(), buf.data() + done, static_cast<size_t>(length - done), offset + done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus(errno, fmt::format("reading source {} for {}", path, key));
      if (n == 0) {
        return Status::Unavailable(fmt::format("source {} for {} shrank while it was uploaded", path, key));
      }
      done += n;
    }
    return buf;
  });
}

Status S3ObjectStore::Upload(const std::string& key, int64_t size, const ReadFn& read) {
  if (size >= options_.multipart_threshold) return MultipartUpload(key, size, read);
  Result<std::string> body = read(0, size);
  if (!body.ok()) return body.status();
  HttpRequest req = Request("PUT", key);
  // Without it curl would label every object a form post.
  req.SetHeader("Content-Type", "application/octet-stream");
  req.body = std::move(body).value();
  // The signed x-amz-content-sha256 already makes S3 check the payload.
  return Call("PutObject", std::move(req), /*idempotent=*/true, "S3 PutObject " + key).status();
}

Status S3ObjectStore::MultipartUpload(const std::string& key, int64_t size, const ReadFn& read) {
  const int64_t part_size = std::max(options_.part_size, (size + kMaxParts - 1) / kMaxParts);
  if (part_size > kMaxPartSize) {
    return Status::InvalidInput(fmt::format("{}: {} bytes is more than S3 can store in one object", key, size));
  }
  // Creating an upload twice only leaves an empty one behind: safe to retry.
  HttpRequest create = Request("POST", key, "uploads");
  create.SetHeader("Content-Type", "application/octet-stream");
  Result<HttpResponse> created = Call("CreateMultipartUpload", std::move(create), /*idempotent=*/true, "S3 CreateMultipartUpload " + key);
  if (!created.ok()) return created.status();
  const std::string upload_id = XmlUnescape(XmlFirst(created->body, "UploadId").value_or(""));
  if (upload_id.empty()) return Status::Unavailable("S3 CreateMultipartUpload " + key + ": answer has no UploadId");
  const std::string upload_query = "uploadId=" + UriEncode(upload_id, false);

  auto upload_all = [&]() -> Status {
    std::string complete = fmt::format("<CompleteMultipartUpload xmlns=\"{}\">", kS3Xmlns);
    int part_number = 1;
    for (int64_t offset = 0; offset < size; offset += part_size, ++part_number) {
      Result<std::string> data = read(offset, std::min(part_size, size - offset));
      if (!data.ok()) return data.status();
      HttpRequest req = Request("PUT", key, fmt::format("partNumber={}&{}", part_number, upload_query));
      req.SetHeader("Content-Type", "application/octet-stream");
      req.body = std::move(data).value();
      // Re-sending a part number replaces that part: idempotent.
      std::string what = fmt::format("S3 UploadPart {} part {}", key, part_number);
      Result<HttpResponse> r = Call("UploadPart", std::move(req), /*idempotent=*/true, what);
      if (!r.ok()) return r.status();
      const std::string* etag = r->FindHeader("etag");
      if (etag == nullptr || etag->empty()) return Status::Unavailable(what + ": answer has no ETag");
      complete += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", part_number, XmlEscape(*etag));
    }
    complete += "</CompleteMultipartUpload>";
    HttpRequest req = Request("POST", key, upload_query);
    req.SetHeader("Content-Type", "application/xml");
    req.body = std::move(complete);
    const std::string what = "S3 CompleteMultipartUpload " + key;
    Result<HttpResponse> r = Call("CompleteMultipartUpload", std::move(req), /*idempotent=*/true, what);
    if (!r.ok()) return r.status();
    if (IsErrorDocument(r->body, "CompleteMultipartUploadResult")) return AwsErrorStatus(what, *r);
    return Status::Ok();
  };
  Status st = upload_all();
  if (st.ok()) return st;
  // Parts of an abandoned upload are stored (and billed) until aborted.
  HttpRequest abort = Request("DELETE", key, upload_query);
  Result<HttpResponse> aborted = Call("AbortMultipartUpload", std::move(abort), /*idempotent=*/true, "S3 AbortMultipartUpload " + key);
  if (!aborted.ok() && !aborted.status().IsNotFound()) {
    return st.Annotate(fmt::format("upload {} not aborted ({})", upload_id, aborted.status().ToString()));
  }
  return st;
}

Result<std::string> S3ObjectStore::Get(const std::string& key) {
  DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
  Result<HttpResponse> r = Call("GetObject", Request("GET", key), /*idempotent=*/true, "S3 GetObject " + key);
  if (!r.ok()) return r.status();
  return std::move(r->body);
}

Result<std::string> S3ObjectStore::GetRange(const std::string& key, int64_t offset, int64_t length) {
  DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
  if (offset < 0 || length < 0) {
    return Status::InvalidInput(fmt::format("bad range offset={} length={} for {}", offset, length, key));
  }
  if (length == 0) {
    // No byte range is empty; still answer NotFound for an absent object.
    Result<ObjectInfo> info = Head(key);
    if (!info.ok()) return info.status();
    return std::string();
  }
  const int64_t last = length > INT64_MAX - offset ? INT64_MAX - 1 : offset + length - 1;
  HttpRequest req = Request("GET", key);
  req.SetHeader("Range", fmt::format("bytes={}-{}", offset, last));
  Result<HttpResponse> r = Call("GetObject", std::move(req), /*idempotent=*/true, "S3 GetObject " + key, /*accept_416=*/true);
  if (!r.ok()) return r.status();
  // 416 InvalidRange: the object exists and the offset is at or past its end
  // (or it is empty); the local store answers "" there too.
  if (r->status == 416) return std::string();
  if (r->status == 206) return std::move(r->body);
  // A server that ignores Range sends the whole object.
  if (offset >= static_cast<int64_t>(r->body.size())) return std::string();
  return r->body.substr(static_cast<size_t>(offset), static_cast<size_t>(length));
}

Result<ObjectInfo> S3ObjectStore::Head(const std::string& key) {
  DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
  // A HEAD answer has no body, so a missing bucket reads as NotFound here.
  Result<HttpResponse> r = Call("HeadObject", Request("HEAD", key), /*idempotent=*/true, "S3 HeadObject " + key);
  if (!r.ok()) return r.status();
  ObjectInfo info;
  info.key = key;
  info.size = ParseInt64(r->FindHeader("content-length"));
  if (info.size < 0) return Status::Unavailable("S3 HeadObject " + key + ": answer has no Content-Length");
  const std::string* etag = r->FindHeader("etag");
  info.etag = etag ? Unquote(*etag) : "";
  return info;
}

Result<std::vector<ObjectInfo>> S3ObjectStore::List(const std::string& prefix) {
  DOCPIPE_RETURN_IF_ERROR(ValidateListPrefix(prefix));
  std::vector<ObjectInfo> out;
  std::string token;
  for (int page_number = 1;; ++page_number) {
    // Parameters in canonical (sorted) order; encoding-type=url lets keys
    // with characters XML cannot carry come back intact.
    std::string query;
    if (!token.empty()) query += "continuation-token=" + UriEncode(token, false) + "&";
    query += fmt::format("encoding-type=url&list-type=2&max-keys={}&prefix={}", options_.max_keys,
                         UriEncode(prefix, false));
    const std::string what = fmt::format("S3 ListObjectsV2 {} page {}", prefix, page_number);
    Result<HttpResponse> r = Call("ListObjectsV2", Request("GET", "", query), /*idempotent=*/true, what);
    if (!r.ok()) return r.status();
    Result<S3ListPage> page = ParseListObjectsV2(r->body);
    if (!page.ok()) return Status::Unavailable(page.status().Annotate(what).message());
    for (ObjectInfo& info : page->objects) out.push_back(std::move(info));
    if (!page->truncated) break;
    if (page->next_continuation_token.empty() || page->next_continuation_token == token) {
      return Status::Unavailable(what + ": truncated answer without a new continuation token");
    }
    token = page->next_continuation_token;
  }
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

Status S3ObjectStore::Delete(const std::string& key) {
  DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
  // S3 answers 204 whether or not the key existed.
  Result<HttpResponse> r = Call("DeleteObject", Request("DELETE", key), /*idempotent=*/true, "S3 DeleteObject " + key);
  if (!r.ok()) return r.status();
  return Status::Ok();
}

Status S3ObjectStore::DeleteMany(const std::vector<std::string>& keys) {
  for (const std::string& key : keys) DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());

  std::vector<std::string> failures;
  Status first_error;
  std::vector<std::string> batch;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    Status st = DeleteBatch(batch, failures, first_error);
    batch.clear();
    return st;
  };
  for (const std::string& key : sorted) {
    if (!XmlCanCarry(key)) {
      Status st = Delete(key);
      if (!st.ok()) {
        failures.push_back(fmt::format("{} ({})", key, st.message()));
        if (first_error.ok()) first_error = st;
      }
      continue;
    }
    batch.push_back(key);
    if (batch.size() == kDeleteBatch) DOCPIPE_RETURN_IF_ERROR(flush());
  }
  DOCPIPE_RETURN_IF_ERROR(flush());
  if (failures.empty()) return Status::Ok();
  std::string listed;
  for (size_t i = 0; i < failures.size() && i < 10; ++i) listed += (i ? ", " : "") + failures[i];
  if (failures.size() > 10) listed += fmt::format(", and {} more", failures.size() - 10);
  return WithCode(first_error.code(), fmt::format("S3 DeleteObjects: {} of {} keys not deleted: {}",
                                                  failures.size(), sorted.size(), listed));
}

Status S3ObjectStore::DeleteBatch(const std::vector<std::string>& keys, std::vector<std::string>& failures,
                                  Status& first_error) {
  // Quiet: the answer lists only the keys that failed.
  std::string body = fmt::format("<Delete xmlns=\"{}\"><Quiet>true</Quiet>", kS3Xmlns);
  for (const std::string& key : keys) body += "<Object><Key>" + XmlEscape(key) + "</Key></Object>";
  body += "</Delete>";
  HttpRequest req = Request("POST", "", "delete");
  req.SetHeader("Content-Type", "application/xml");
  req.SetHeader("Content-MD5", Base64Md5(body));  // S3 requires it for DeleteObjects
  req.body = std::move(body);
  const std::string what = fmt::format("S3 DeleteObjects ({} keys)", keys.size());
  // Deleting again is harmless: idempotent.
  Result<HttpResponse> r = Call("DeleteObjects", std::move(req), /*idempotent=*/true, what);
  if (!r.ok()) return r.status();
  if (IsErrorDocument(r->body, "DeleteResult")) return AwsErrorStatus(what, *r);
  for (std::string_view error : XmlElements(r->body, "Error")) {
    std::string key = XmlUnescape(XmlFirst(error, "Key").value_or(""));
    std::string code = XmlUnescape(XmlFirst(error, "Code").value_or(""));
    std::string message = XmlUnescape(XmlFirst(error, "Message").value_or(""));
    failures.push_back(fmt::format("{} ({}{}{})", key, code, message.empty() ? "" : ": ", message));
    if (first_error.ok()) {
      // Map the code as for a whole request (SlowDown → Throttled, ...).
      HttpResponse as_error;
      as_error.status = r->status;
      as_error.body = fmt::format("<Error><Code>{}</Code><Message>{}</Message></Error>", XmlEscape(code),
                                  XmlEscape(message));
      first_error = AwsErrorStatus("S3 DeleteObjects " + key, as_error);
    }
  }
  return Status::Ok();
}

Result<PresignedUpload> S3ObjectStore::PresignPut(const std::string& key, const std::string& content_type,
                                                  int64_t expires_seconds) {
  DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
  if (expires_seconds < 1 || expires_seconds > 604800) {
    return Status::InvalidInput("a presigned URL lives 1 s to 7 days");
  }
  HttpRequest req;
  req.method = "PUT";
  req.url = Url(key);
  PresignedUpload up;
  if (!content_type.empty()) {
    req.headers.push_back({"Content-Type", content_type});
    up.headers.push_back({"Content-Type", content_type});
  }
  Result<std::string> url = client_.Presign("PutObject", req, expires_seconds);
  if (!url.ok()) return url.status();
  up.url = std::move(*url);
  return up;
}

Result<LocalFile> S3ObjectStore::Fetch(const std::string& key) {
  DOCPIPE_RETURN_IF_ERROR(ValidateObjectKey(key));
  const std::string suffix = TempSuffix(key);
  Status last;
  // An object replaced mid-download is fetched again from the start.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string tmpl = options_.temp_dir + "/docpipe-s3-XXXXXX" + suffix;
    int raw = ::mkostemps(tmpl.data(), static_cast<int>(suffix.size()), O_CLOEXEC);
    if (raw < 0) return ErrnoStatus(errno, "creating a temporary file in " + options_.temp_dir);
    UniqueFd fd(raw);
    LocalFile file(tmpl, /*temporary=*/true);  // removes the file on every error path
    last = Download(key, fd.get());
    if (last.ok() && fd.Close() != 0) last = ErrnoStatus(errno, "writing " + tmpl);
    if (last.ok()) return file;
    if (!last.IsConflict()) return last;
  }
  return Status::Unavailable(last.message() + " (the object kept changing while it was fetched)");
}

Status S3ObjectStore::Download(const std::string& key, int fd) {
  const std::string what = "S3 GetObject " + key;
  std::string etag;
  int64_t offset = 0;
  int64_t total = -1;
  while (total < 0 || offset < total) {
    HttpRequest req = Request("GET", key);
    req.SetHeader("Range", fmt::format("bytes={}-{}", offset, offset + options_.part_size - 1));
    // Later ranges must come from the same object version as the first.
    if (!etag.empty()) req.SetHeader("If-Match", etag);
    Result<HttpResponse> r = Call("GetObject", std::move(req), /*idempotent=*/true, what, /*accept_416=*/true);
    if (!r.ok()) return r.status();  // 412 PreconditionFailed arrives as Conflict
    if (r->status == 416) {
      if (offset == 0) return Status::Ok();  // an empty object
      return Status::Conflict(what + ": object shrank while it was fetched");
    }
    if (r->status == 200) {
      // The whole object at once (the server ignored Range).
      if (offset != 0) return Status::Conflict(what + ": server ignored Range mid-download");
      if (!WriteAll(fd, r->body.data(), r->body.size())) return ErrnoStatus(errno, "writing temporary copy of " + key);
      return Status::Ok();
    }
    if (etag.empty()) {
      const std::string* e = r->FindHeader("etag");
      if (e) etag = *e;
    }
    int64_t range_total = TotalFromContentRange(r->FindHeader("content-range"));
    if (range_total < 0) return Status::Unavailable(what + ": 206 answer without a usable Content-Range");
    if (total >= 0 && range_total != total) return Status::Conflict(what + ": object size changed while fetched");
    total = range_total;
    if (r->body.empty() && offset < total) return Status::Unavailable(what + ": empty range answer");
    if (!WriteAll(fd, r->body.data(), r->body.size())) return ErrnoStatus(errno, "writing temporary copy of " + key);
    offset += static_cast<int64_t>(r->body.size());
  }
  return Status::Ok();
}

// ---- construction and provisioning ---------------------------------------------

Result<ObjectStorePtr> NewS3ObjectStore(AwsClient& client, S3Options options) {
  DOCPIPE_RETURN_IF_ERROR(ValidateBucketName(options.bucket));
  if (client.config().endpoint.empty()) return Status::InvalidInput("S3 store: the AWS client has no endpoint");
  if (options.force_path_style && options.force_virtual_host) {
    return Status::InvalidInput("S3 store: force_path_style and force_virtual_host both set");
  }
  if (options.part_size < kMinPartSize || options.part_size > kMaxPartSize) {
    return Status::InvalidInput(fmt::format("S3 part size {} is outside {}..{}", options.part_size, kMinPartSize,
                                            kMaxPartSize));
  }
  if (options.multipart_threshold < 1) return Status::InvalidInput("S3 multipart threshold must be positive");
  if (options.max_keys < 1 || options.max_keys > 1000) {
    return Status::InvalidInput(fmt::format("S3 max_keys {} is outside 1..1000", options.max_keys));
  }
  if (options.temp_dir.empty()) return Status::InvalidInput("S3 store: temp_dir is empty");
  const bool path_style = S3UsesPathStyle(client.config().endpoint, options);
  return ObjectStorePtr(std::make_unique<S3ObjectStore>(client, std::move(options), path_style));
}

Status ProvisionS3Bucket(AwsClient& any_client, const std::string& bucket, const std::string& region,
                         bool force_path_style) {
  DOCPIPE_RETURN_IF_ERROR(ValidateBucketName(bucket));
  std::unique_ptr<AwsClient> bound = any_client.ForAdapter(S3ProvisionOperations());
  AwsClient& client = *bound;
  S3Options options;
  options.bucket = bucket;
  options.force_path_style = force_path_style;
  const std::string url =
      S3ObjectUrl(client.config().endpoint, bucket, S3UsesPathStyle(client.config().endpoint, options), "");

  HttpRequest head;
  head.method = "HEAD";
  head.url = url;
  head.timeout_ms = client.config().timeout_ms;
  const std::string head_what = "S3 HeadBucket " + bucket;
  Result<HttpResponse> found = client.CallRest("HeadBucket", std::move(head), /*idempotent=*/true, head_what,
                                                 {301, 403, 404});
  if (!found.ok()) return found.status();
  if (found->status == 301) {
    const std::string* where = found->FindHeader("x-amz-bucket-region");
    return Status::InvalidInput(fmt::format("{}: the bucket is in region {}, not {}", head_what,
                                            where ? *where : "(unknown)", client.config().region));
  }
  if (found->status == 403) {
    return Status::InvalidInput(head_what + ": access denied (the name may belong to another account)");
  }
  if (found->status != 404) return Status::Ok();

  HttpRequest create;
  create.method = "PUT";
  create.url = url;
  create.timeout_ms = client.config().timeout_ms;
  // us-east-1 is the default location and rejects naming itself.
  if (!region.empty() && region != "us-east-1") {
    create.SetHeader("Content-Type", "application/xml");
    create.body = fmt::format(
        "<CreateBucketConfiguration xmlns=\"{}\"><LocationConstraint>{}</LocationConstraint>"
        "</CreateBucketConfiguration>",
        kS3Xmlns, XmlEscape(region));
  }
  const std::string create_what = "S3 CreateBucket " + bucket;
  // Retrying is safe: a bucket we created already reads as ours below.
  Result<HttpResponse> created = client.CallRest("CreateBucket", std::move(create), /*idempotent=*/true, create_what, {409});
  if (!created.ok()) return created.status();
  if (created->status == 409) {
    const std::string code = AwsErrorCode(*created);
    if (code == "BucketAlreadyOwnedByYou") return Status::Ok();  // a concurrent provisioning won
    if (code == "BucketAlreadyExists") {
      return Status::Conflict(create_what + ": the name is taken by another account");
    }
    return AwsErrorStatus(create_what, *created);
  }
  return Status::Ok();
}

}  // namespace docpipe
