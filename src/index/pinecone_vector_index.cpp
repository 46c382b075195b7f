// VectorIndex on Pinecone's REST API (control plane for the index, data plane
// for vectors). Request shapes follow what the official TypeScript client
// (@pinecone-database/pinecone 8.2.0) sends; tests/unit/index checks them
// against it.
#include "index/pinecone_vector_index.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/utf8.h"
#include "common/strings.h"

namespace docpipe {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// Pinecone's limits that are not options: record ids, and ids per delete.
constexpr size_t kMaxIdBytes = 512;
constexpr size_t kMaxIdsPerDelete = 1000;
// How long removing a partly upserted version may take (RemovePartialVersion).
constexpr int64_t kRollbackMs = 500;
// Ids per list request (Pinecone's maximum).
constexpr int kMaxIdsPerList = 100;
// Entities kept in a vector's metadata (the chunk view shows them; the
// metadata budget is for the text).
constexpr size_t kMaxEntitiesInMetadata = 20;
// list-by-prefix pages followed before giving up (100 ids a page: 10^8 ids).
constexpr int kMaxListPages = 1'000'000;

std::string Dump(const ordered_json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// "https://" in front of a bare host (describe_index answers "idx-….pinecone.io"),
// no trailing slash.
std::string NormalizeHost(std::string host) {
  if (host.rfind("http://", 0) != 0 && host.rfind("https://", 0) != 0) host = "https://" + host;
  while (!host.empty() && host.back() == '/') host.pop_back();
  return host;
}

// As the official clients normalise theirs: lower case, [a-z0-9_ :], runs of
// spaces to one '_'.
std::string NormalizeSourceTag(const std::string& tag) {
  std::string kept;
  for (char c : tag) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == ' ' || l == ':') kept.push_back(l);
  }
  const size_t b = kept.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  kept = kept.substr(b, kept.find_last_not_of(' ') - b + 1);
  std::string out;
  for (char c : kept) {
    if (c == ' ') {
      if (out.empty() || out.back() != '_') out.push_back('_');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Shortest text that reads back as the same float: "0.1", not the
// "0.10000000149011612" a double conversion gives; vectors are most of an
// upsert's bytes.
void AppendFloat(std::string& out, float v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Bytes nlohmann::json (ensure_ascii off) writes for the code point starting
// at s[i] of valid UTF-8; `len` receives its byte length.
size_t EscapedSize(const std::string& s, size_t i, size_t* len) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *len = 1;
    switch (c) {
      case '"': case '\\': case '\b': case '\f': case '\n': case '\r': case '\t':
        return 2;
      default:
        return c < 0x20 ? 6 : 1;
    }
  }
  *len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  return *len;
}

std::vector<std::string> Repaired(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  out.reserve(items.size());
  for (const auto& s : items) out.push_back(RepairUtf8(s));
  return out;
}

std::string Snippet(const std::string& s, size_t max = 300) {
  std::string out = RepairUtf8(s.substr(0, max));
  if (s.size() > max) out += "…";
  return out;
}

// Pinecone's message in an error answer: {"error":{"code","message"}} on the
// control plane, {"code","message"} on the data plane, or the raw body.
std::string ErrorMessage(const HttpResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    if (j.contains("error") && j["error"].is_object() && j["error"].contains("message") &&
        j["error"]["message"].is_string()) {
      return j["error"]["message"].get<std::string>();
    }
    if (j.contains("message") && j["message"].is_string()) return j["message"].get<std::string>();
    if (j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
  }
  return r.body.empty() ? "(no message)" : Snippet(r.body);
}

std::string StringField(const json& m, const char* key) {
  auto it = m.find(key);
  return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int IntField(const json& m, const char* key) {
  auto it = m.find(key);
  if (it == m.end() || !it->is_number()) return 0;
  // Pinecone answers metadata numbers as floats (3.0); one beyond an int is
  // no page number (and converting it would be undefined).
  const double v = it->get<double>();
  return v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max() ? static_cast<int>(v) : 0;
}

std::vector<std::string> ListField(const json& m, const char* key) {
  std::vector<std::string> out;
  auto it = m.find(key);
  if (it == m.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// A chunk rebuilt from the metadata PineconeMetadataJson wrote.
IndexedChunk ChunkFromMetadata(const std::string& id, const json& m) {
  IndexedChunk c;
  c.chunk_id = id;
  if (!m.is_object()) return c;
  c.document_id = StringField(m, "document_id");
  c.processing_version = StringField(m, "processing_version");
  c.source_key = StringField(m, "source_key");
  c.text = StringField(m, "text");
  c.breadcrumbs = ListField(m, "breadcrumbs");
  c.page_start = IntField(m, "page_start");
  c.page_end = IntField(m, "page_end");
  c.page_label_start = StringField(m, "page_label_start");
  c.page_label_end = StringField(m, "page_label_end");
  c.type = StringField(m, "type");
  c.key_phrases = ListField(m, "key_phrases");
  c.language = StringField(m, "language");
  c.pii_types = ListField(m, "pii_types");
  for (const std::string& e : ListField(m, "entities")) {
    const size_t tab = e.find('\t');
    if (tab != std::string::npos) c.entities.push_back({e.substr(0, tab), e.substr(tab + 1)});
  }
  return c;
}

// The chunk number at the end of "<doc>:<version>:<n>" (-1 when none), for
// putting a listed page in chunk order.
long ChunkNumber(const std::string& id) {
  const size_t colon = id.rfind(':');
  if (colon == std::string::npos) return -1;
  long n = -1;
  auto [end, ec] = std::from_chars(id.data() + colon + 1, id.data() + id.size(), n);
  return ec == std::errc() && end == id.data() + id.size() ? n : -1;
}

// Pinecone answers 404 "Namespace not found" on a namespace that holds
// nothing yet; any other 404 (a wrong host) stays an error.
bool MissingNamespace(const Status& s) {
  if (!s.IsNotFound()) return false;
  std::string m = s.message();
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::tolower(c); });
  return m.find("namespace not found") != std::string::npos;
}

class PineconeVectorIndex final : public VectorIndex {
 public:
  PineconeVectorIndex(HttpClient& http, Clock& clock, PineconeOptions options)
      : http_(http), clock_(clock), options_(std::move(options)), retrier_(http, clock, options_.retry) {
    user_agent_ = "docpipe v" DOCPIPE_VERSION "; lang=cpp";
    if (std::string tag = NormalizeSourceTag(options_.source_tag); !tag.empty()) {
      user_agent_ += "; source_tag=" + tag;
    }
    controller_ = NormalizeHost(options_.controller_host);
    namespace_json_ = json(RepairUtf8(options_.namespace_)).dump();
  }

  Status Init() {
    if (options_.api_key.empty()) return Status::InvalidInput("Pinecone: no API key");
    if (options_.index_name.empty()) return Status::InvalidInput("Pinecone: no index name");
    if (options_.dimension <= 0) {
      return Status::InvalidInput(fmt::format("Pinecone: dimension must be positive, got {}", options_.dimension));
    }
    if (options_.max_vectors_per_upsert <= 0 || options_.max_request_bytes <= 0 || options_.max_metadata_bytes <= 0) {
      return Status::InvalidInput("Pinecone: upsert limits must be positive");
    }
    Result<json> desc = Describe();
    if (!desc.ok() && desc.status().IsNotFound()) {
      if (!options_.create_if_missing) {
        return Status::InvalidInput(
            fmt::format("Pinecone index {} does not exist (and creating it is turned off)", options_.index_name));
      }
      DOCPIPE_RETURN_IF_ERROR(Create());
      desc = Describe();
    }
    if (!desc.ok()) return desc.status();
    // Checked before waiting: the description of a new index already says.
    DOCPIPE_RETURN_IF_ERROR(CheckDescription(*desc));
    const TimeMs deadline = clock_.NowMs() + options_.ready_timeout_ms;
    while (!Ready(*desc)) {
      if (clock_.NowMs() >= deadline) {
        std::string state = "unknown";
        if (auto st = desc->find("status"); st != desc->end() && st->is_object()) state = StringField(*st, "state");
        return Status::Timeout(fmt::format("Pinecone index {} not ready after {} ms (state {})", options_.index_name,
                                           options_.ready_timeout_ms, state));
      }
      clock_.SleepMs(options_.ready_poll_ms);
      desc = Describe();
      if (!desc.ok()) return desc.status();
    }
    if (!options_.index_host.empty()) {
      host_ = NormalizeHost(options_.index_host);
    } else {
      const std::string host = StringField(*desc, "host");
      if (host.empty()) {
        return Status::Unavailable(fmt::format("Pinecone index {}: description has no host", options_.index_name));
      }
      host_ = NormalizeHost(host);
    }
    return Status::Ok();
  }

  Status ReplaceDocument(const std::string& document_id, const std::string& version,
                         const std::vector<IndexedChunk>& chunks, const std::atomic<bool>* cancel) override {
    DOCPIPE_RETURN_IF_ERROR(CheckDocumentId(document_id));
    const std::string prefix = document_id + ":";
    // Everything is checked (and the metadata built) before the first request,
    // so a bad chunk cannot leave half a version behind.
    std::unordered_set<std::string> ids;
    std::vector<std::string> metadata;
    metadata.reserve(chunks.size());
    for (const IndexedChunk& c : chunks) {
      DOCPIPE_RETURN_IF_ERROR(CheckChunk(document_id, version, prefix, c));
      if (!ids.insert(c.chunk_id).second) {
        return Status::InvalidInput(fmt::format("index: {}: duplicate chunk id {}", document_id, c.chunk_id));
      }
      IndexedChunk meta;  // the metadata names the document and version the caller gave
      meta.chunk_id = c.chunk_id;
      meta.document_id = document_id;
      meta.processing_version = version;
      meta.source_key = c.source_key;
      meta.text = c.text;
      meta.breadcrumbs = c.breadcrumbs;
      meta.page_start = c.page_start;
      meta.page_end = c.page_end;
      meta.page_label_start = c.page_label_start;
      meta.page_label_end = c.page_label_end;
      meta.type = c.type;
      meta.key_phrases = c.key_phrases;
      meta.language = c.language;
      meta.pii_types = c.pii_types;
      meta.entities = c.entities;
      Result<std::string> m = PineconeMetadataJson(meta, options_.max_metadata_bytes);
      if (!m.ok()) return m.status();
      metadata.push_back(std::move(*m));
      DOCPIPE_RETURN_IF_ERROR(CheckRecordFits(c, metadata.back()));
    }
    // The stage's deadline ends a request on the wire, a wait between
    // retries, or the batches still to send.
    std::function<bool()> abort_if;
    if (cancel != nullptr) abort_if = [cancel] { return cancel->load(); };
    size_t sent = 0;
    if (Status upserted = Upsert(chunks, metadata, abort_if, &sent); !upserted.ok()) {
      upserted = upserted.Annotate("Pinecone upsert of " + document_id);
      if (Status removed = RemovePartialVersion(chunks, sent); !removed.ok()) {
        return upserted.Annotate(fmt::format("{} of the new version's vectors may be left next to the old ones ({})",
                                             sent, removed.ToString()));
      }
      return upserted;
    }
    // Only now: until the new chunks are stored, the old ones keep the
    // document searchable. The deadline still holds while the stale ids are
    // listed and deleted: stopped there, the new version is whole (searches
    // show only the newest version) and the old one's leftovers go when the
    // replacement is retried.
    if (abort_if && abort_if()) return Status::Cancelled("Pinecone: replacing " + document_id + " cancelled");
    Result<std::vector<std::string>> listed = ListIds(prefix, abort_if);
    if (!listed.ok()) return listed.status().Annotate("Pinecone: listing the vectors of " + document_id);
    std::vector<std::string> stale;
    for (std::string& id : *listed) {
      if (!ids.contains(id)) stale.push_back(std::move(id));
    }
    return DeleteIds(stale, abort_if).Annotate("Pinecone: deleting stale vectors of " + document_id);
  }

  Status DeleteDocument(const std::string& document_id) override {
    DOCPIPE_RETURN_IF_ERROR(CheckDocumentId(document_id));
    Result<std::vector<std::string>> listed = ListIds(document_id + ":");
    if (!listed.ok()) return listed.status().Annotate("Pinecone: listing the vectors of " + document_id);
    return DeleteIds(*listed).Annotate("Pinecone: deleting the vectors of " + document_id);
  }

  Result<std::vector<SearchHit>> Search(const SearchQuery& query) override {
    if (query.k <= 0) return Status::InvalidInput(fmt::format("index: k must be positive, got {}", query.k));
    if (query.mode == SearchMode::kKeyword) {
      return Status::InvalidInput(
          "keyword search needs the local index: Pinecone holds dense vectors only (use --mode vector or hybrid)");
    }
    if (query.vector.empty()) return Status::InvalidInput("index: vector search without a query vector");
    if (query.vector.size() != static_cast<size_t>(options_.dimension)) {
      return Status::InvalidInput(fmt::format("index: query vector has dimension {}, the index has dimension {}",
                                              query.vector.size(), options_.dimension));
    }
    if (!std::all_of(query.vector.begin(), query.vector.end(), [](float x) { return std::isfinite(x); })) {
      return Status::InvalidInput("index: query vector has a non-finite component");
    }
    // Field order as the official client sends it.
    std::string body = "{\"namespace\":" + namespace_json_ + ",\"topK\":" + std::to_string(query.k);
    if (!query.document_id.empty()) {
      body += ",\"filter\":" + Dump(json{{"document_id", {{"$eq", RepairUtf8(query.document_id)}}}});
    }
    body += ",\"includeMetadata\":true,\"vector\":[";
    for (size_t i = 0; i < query.vector.size(); ++i) {
      if (i > 0) body.push_back(',');
      AppendFloat(body, query.vector[i]);
    }
    body += "]}";
    Result<json> answer = Call("POST", host_ + "/query", std::move(body), "query");
    if (!answer.ok()) {
      if (MissingNamespace(answer.status())) return std::vector<SearchHit>{};  // nothing stored yet
      return answer.status();
    }
    auto matches = answer->find("matches");
    if (matches == answer->end() || !matches->is_array()) {
      return Status::Unavailable("Pinecone query: answer without matches: " + Snippet(answer->dump()));
    }
    std::vector<SearchHit> hits;
    std::map<std::string, std::string> newest;  // document_id -> newest version among the hits
    for (const json& m : *matches) {
      if (!m.is_object() || !m.contains("id") || !m["id"].is_string()) {
        return Status::Unavailable("Pinecone query: malformed match: " + Snippet(m.dump()));
      }
      SearchHit h;
      h.chunk = ChunkFromMetadata(m["id"].get<std::string>(), m.value("metadata", json::object()));
      h.score = m.contains("score") && m["score"].is_number() ? m["score"].get<double>() : 0.0;
      std::string& v = newest[h.chunk.document_id];
      v = std::max(v, h.chunk.processing_version);
      hits.push_back(std::move(h));
    }
    // Between a replacement's upsert and its delete both versions exist;
    // versions are zero-padded, so the larger string is the newer one.
    std::erase_if(hits, [&](const SearchHit& h) { return h.chunk.processing_version < newest[h.chunk.document_id]; });
    if (static_cast<int>(hits.size()) > query.k) hits.resize(query.k);
    for (size_t i = 0; i < hits.size(); ++i) hits[i].vector_rank = static_cast<int>(i + 1);
    return hits;
  }

  // The ids come from list-by-prefix (Pinecone's order, a page at a time,
  // its pagination token in our cursor), their metadata from one fetch per
  // list page. Each page is put in chunk order; the total is unknown
  // without listing every id.
  Result<ChunkPage> ListChunks(const ChunkListQuery& q) override {
    Result<std::string> token = DecodeChunkCursor(q);
    if (!token.ok()) return token.status();
    if (q.document_id.empty()) return Status::InvalidInput("index: empty document id");
    ChunkPage page;
    std::string next = *token;
    bool first = true;
    while (static_cast<int>(page.chunks.size()) < q.limit && (first || !next.empty())) {
      first = false;
      const int want = std::min(kMaxIdsPerList, q.limit - static_cast<int>(page.chunks.size()));
      std::string url = host_ + "/vectors/list?prefix=" + UriEncode(q.document_id + ":", false) +
                        "&limit=" + std::to_string(want);
      if (!next.empty()) url += "&paginationToken=" + UriEncode(next, false);
      url += "&namespace=" + UriEncode(options_.namespace_, false);
      Result<json> listed = Call("GET", url, "", "list");
      if (!listed.ok()) {
        if (MissingNamespace(listed.status())) return page;  // nothing stored yet
        return listed.status().Annotate("Pinecone: listing the chunks of " + q.document_id);
      }
      std::vector<std::string> ids;
      if (auto v = listed->find("vectors"); v != listed->end() && v->is_array()) {
        for (const json& e : *v) {
          if (e.is_object() && e.contains("id") && e["id"].is_string()) ids.push_back(e["id"].get<std::string>());
        }
      }
      std::string following;
      if (auto p = listed->find("pagination"); p != listed->end() && p->is_object()) following = StringField(*p, "next");
      if (!following.empty() && following == next) {
        return Status::Unavailable("Pinecone list: the same pagination token came back twice");
      }
      next = following;
      if (ids.empty()) continue;
      std::string fetch = host_ + "/vectors/fetch?";
      for (const std::string& id : ids) fetch += "ids=" + UriEncode(id, false) + "&";
      fetch += "namespace=" + UriEncode(options_.namespace_, false);
      Result<json> fetched = Call("GET", fetch, "", "fetch");
      if (!fetched.ok()) return fetched.status().Annotate("Pinecone: fetching the chunks of " + q.document_id);
      auto vectors = fetched->find("vectors");
      if (vectors == fetched->end() || !vectors->is_object()) {
        return Status::Unavailable("Pinecone fetch: answer without vectors: " + Snippet(fetched->dump()));
      }
      for (const std::string& id : ids) {
        auto v = vectors->find(id);
        if (v == vectors->end() || !v->is_object()) continue;  // deleted between list and fetch
        page.chunks.push_back(ChunkFromMetadata(id, v->value("metadata", json::object())));
      }
    }
    std::sort(page.chunks.begin(), page.chunks.end(), [](const IndexedChunk& a, const IndexedChunk& b) {
      return std::make_pair(ChunkNumber(a.chunk_id), a.chunk_id) < std::make_pair(ChunkNumber(b.chunk_id), b.chunk_id);
    });
    if (!next.empty()) page.next_cursor = EncodeChunkCursor(q.document_id, next);
    return page;
  }

  Result<IndexStats> Stats() override {
    Result<json> answer = Call("POST", host_ + "/describe_index_stats", "{}", "describe_index_stats");
    if (!answer.ok()) return answer.status();
    IndexStats stats;
    stats.dimension = answer->contains("dimension") && (*answer)["dimension"].is_number_integer()
                          ? (*answer)["dimension"].get<int>()
                          : options_.dimension;
    auto namespaces = answer->find("namespaces");
    if (namespaces == answer->end() || !namespaces->is_object()) return stats;  // nothing stored yet
    // The default namespace is listed as "__default__" by recent API versions.
    for (const std::string& name : options_.namespace_.empty() ? std::vector<std::string>{"", "__default__"}
                                                               : std::vector<std::string>{options_.namespace_}) {
      auto ns = namespaces->find(name);
      if (ns == namespaces->end() || !ns->is_object()) continue;
      if (auto count = ns->find("vectorCount"); count != ns->end() && count->is_number_integer()) {
        stats.chunks = count->get<int64_t>();
      }
      break;
    }
    return stats;
  }

 private:
  // One exchange through the retrier. 2xx: the parsed body ({} when empty).
  // 404: NotFound (the caller decides what it means). Other 4xx:
  // InvalidInput with Pinecone's message. Retryable statuses left after the
  // last attempt: Throttled (429) or Unavailable.
  // `http_status`, when given, receives the last answer's status (0: none).
  Result<json> Call(const std::string& method, const std::string& url, std::string body, const std::string& what,
                    bool single_attempt = false, int* http_status = nullptr, std::function<bool()> abort_if = {}) {
    HttpRequest req;
    req.method = method;
    req.url = url;
    req.timeout_ms = options_.timeout_ms;
    req.abort_if = std::move(abort_if);
    req.headers = {{"Api-Key", options_.api_key},
                   {"X-Pinecone-Api-Version", options_.api_version},
                   {"User-Agent", user_agent_}};
    if (method != "GET") {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = std::move(body);
    }
    int attempts = 1;
    Result<HttpResponse> resp = single_attempt ? http_.Send(req) : retrier_.Send(req, &attempts);
    const std::string tries = fmt::format("after {} attempt{}", attempts, attempts == 1 ? "" : "s");
    if (!resp.ok()) return resp.status().Annotate(fmt::format("Pinecone {} ({})", what, tries));
    const int status = resp->status;
    if (http_status != nullptr) *http_status = status;
    if (status >= 200 && status < 300) {
      if (resp->body.empty()) return json::object();
      json j = json::parse(resp->body, nullptr, false);
      // Every answer used here is an object; callers rely on that.
      if (j.is_discarded() || !j.is_object()) {
        return Status::Unavailable(fmt::format("Pinecone {}: malformed JSON in the answer (HTTP {}): {}", what,
                                               status, Snippet(resp->body, 120)));
      }
      return j;
    }
    const std::string message = fmt::format("Pinecone {}: HTTP {}: {}", what, status, ErrorMessage(*resp));
    if (status == 404) return Status::NotFound(message);
    if (status == 429) return Status::Throttled(fmt::format("{} ({})", message, tries));
    if (IsRetryableHttpStatus(status)) return Status::Unavailable(fmt::format("{} ({})", message, tries));
    if (status >= 400 && status < 500) return Status::InvalidInput(message);
    return Status::Unavailable(message);
  }

  Result<json> Describe() {
    return Call("GET", controller_ + "/indexes/" + UriEncode(options_.index_name, false), "",
                "describe_index " + options_.index_name);
  }

  Status Create() {
    ordered_json body = {{"name", options_.index_name},
                         {"dimension", options_.dimension},
                         {"metric", options_.metric},
                         {"spec", {{"serverless", {{"cloud", options_.cloud}, {"region", options_.region}}}}}};
    const std::string what = "create_index " + options_.index_name;
    // 409 means another worker created the index first: that is success. The
    // first attempt goes alone because HttpRetrier would repeat a 409.
    int status = 0;
    Result<json> created = Call("POST", controller_ + "/indexes", Dump(body), what, /*single_attempt=*/true, &status);
    if (created.ok() || status == 409) return Status::Ok();
    if (!created.status().IsRetryable()) return created.status();
    created = Call("POST", controller_ + "/indexes", Dump(body), what, /*single_attempt=*/false, &status);
    if (created.ok() || status == 409) return Status::Ok();
    return created.status();
  }

  static bool Ready(const json& desc) {
    auto st = desc.find("status");
    if (st == desc.end() || !st->is_object()) return false;
    auto ready = st->find("ready");
    return ready != st->end() && ready->is_boolean() && ready->get<bool>();
  }

  Status CheckDescription(const json& desc) const {
    const std::string& name = options_.index_name;
    const std::string type = StringField(desc, "vector_type");
    if (!type.empty() && type != "dense") {
      return Status::InvalidInput(fmt::format("Pinecone index {} holds {} vectors; docpipe needs a dense index", name, type));
    }
    if (!desc.contains("dimension") || !desc["dimension"].is_number_integer()) {
      return Status::InvalidInput(fmt::format("Pinecone index {} has no dimension in its description", name));
    }
    const int dim = desc["dimension"].get<int>();
    if (dim != options_.dimension) {
      return Status::InvalidInput(fmt::format("Pinecone index {} has dimension {}, the embedder makes {}", name, dim,
                                              options_.dimension));
    }
    const std::string metric = StringField(desc, "metric");
    if (metric != options_.metric) {
      return Status::InvalidInput(fmt::format("Pinecone index {} uses metric {}, docpipe is configured for {}", name,
                                              metric.empty() ? "(none)" : metric, options_.metric));
    }
    return Status::Ok();
  }

  // Stale vectors are found by the prefix "<doc>:", so a document id must not
  // be empty (the prefix ":" would be harmless, "" would list everything) and
  // must not hold ':' (its prefix could then match another document's chunks).
  static Status CheckDocumentId(const std::string& document_id) {
    if (document_id.empty()) return Status::InvalidInput("index: empty document id");
    if (document_id.find(':') != std::string::npos) {
      return Status::InvalidInput(fmt::format("index: document id {} holds ':' (chunk ids use it as separator)", document_id));
    }
    return Status::Ok();
  }

  Status CheckChunk(const std::string& document_id, const std::string& version, const std::string& prefix,
                    const IndexedChunk& c) const {
    if (c.chunk_id.rfind(prefix, 0) != 0) {
      return Status::InvalidInput(fmt::format("index: chunk id {} does not start with {}", c.chunk_id, prefix));
    }
    if (c.chunk_id.size() > kMaxIdBytes) {
      return Status::InvalidInput(fmt::format("index: chunk id {}… is longer than Pinecone's {} bytes",
                                              c.chunk_id.substr(0, 64), kMaxIdBytes));
    }
    if (!c.document_id.empty() && c.document_id != document_id) {
      return Status::InvalidInput(
          fmt::format("index: chunk {} belongs to document {}, not {}", c.chunk_id, c.document_id, document_id));
    }
    if (!c.processing_version.empty() && c.processing_version != version) {
      return Status::InvalidInput(
          fmt::format("index: chunk {} has version {}, not {}", c.chunk_id, c.processing_version, version));
    }
    if (c.vector.size() != static_cast<size_t>(options_.dimension)) {
      return Status::InvalidInput(fmt::format("index: chunk {} has a vector of dimension {}, the index has dimension {}",
                                              c.chunk_id, c.vector.size(), options_.dimension));
    }
    bool nonzero = false;
    for (float x : c.vector) {
      if (!std::isfinite(x)) {
        return Status::InvalidInput(fmt::format("index: chunk {} has a non-finite vector component", c.chunk_id));
      }
      nonzero = nonzero || x != 0.0f;
    }
    // Pinecone rejects all-zero dense vectors (no direction for cosine).
    if (!nonzero) return Status::InvalidInput(fmt::format("index: chunk {} has an all-zero vector", c.chunk_id));
    return Status::Ok();
  }

  std::string Head() const { return "{\"vectors\":["; }
  std::string Tail() const { return "],\"namespace\":" + namespace_json_ + "}"; }

  // {"id":…,"values":[…],"metadata":{…}}: one upsert element.
  static void AppendRecord(std::string& out, const IndexedChunk& c, const std::string& metadata) {
    out += "{\"id\":";
    out += json(c.chunk_id).dump();
    out += ",\"values\":[";
    for (size_t i = 0; i < c.vector.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendFloat(out, c.vector[i]);
    }
    out += "],\"metadata\":";
    out += metadata;
    out.push_back('}');
  }

  // Whether a request can hold this record alone. Cheap: a float takes at
  // most 15 characters with its comma; only a record near the limit is
  // serialized to know exactly.
  Status CheckRecordFits(const IndexedChunk& c, const std::string& metadata) const {
    const size_t max_bytes = static_cast<size_t>(options_.max_request_bytes);
    const size_t fixed = Head().size() + Tail().size() + json(c.chunk_id).dump().size() + metadata.size() + 32;
    if (fixed + 15 * c.vector.size() <= max_bytes) return Status::Ok();
    std::string record;
    AppendRecord(record, c, metadata);
    const size_t bytes = Head().size() + record.size() + Tail().size();
    if (bytes <= max_bytes) return Status::Ok();
    return Status::InvalidInput(
        fmt::format("index: chunk {} takes {} bytes, more than an upsert request may ({})", c.chunk_id, bytes, max_bytes));
  }

  // Greedy packing in chunk order: a request takes records while both the
  // count and the serialized size stay within the limits (for an ordered
  // sequence, the fewest requests). Records are serialized straight into the
  // body, so memory holds one request, not the document.
  // `sent` receives how many chunks (from the first, in order) Pinecone may
  // hold: those of the requests sent, the failed one included unless it was
  // refused outright.
  Status Upsert(const std::vector<IndexedChunk>& chunks, const std::vector<std::string>& metadata,
                const std::function<bool()>& abort_if, size_t* sent) {
    const std::string head = Head(), tail = Tail();
    const auto max_bytes = static_cast<size_t>(options_.max_request_bytes);
    const auto max_count = static_cast<size_t>(options_.max_vectors_per_upsert);
    std::string body = head, record;
    size_t count = 0;
    size_t packed = 0;  // chunks in the requests so far and in `body`
    const auto flush = [&]() -> Status {
      body += tail;
      if (abort_if && abort_if()) return Status::Cancelled("cancelled (past the stage's deadline or shutting down)");
      *sent = packed;
      Result<json> answer = Call("POST", host_ + "/vectors/upsert", std::move(body), "upsert", false, nullptr, abort_if);
      if (!answer.ok()) {
        // Refused outright (4xx): this request stored nothing.
        if (answer.status().code() == Status::Code::kInvalidInput) *sent = packed - count;
        return answer.status();
      }
      auto upserted = answer->find("upsertedCount");
      if (upserted != answer->end() && upserted->is_number_integer() &&
          upserted->get<int64_t>() != static_cast<int64_t>(count)) {
        return Status::Unavailable(
            fmt::format("Pinecone upsert: sent {} vectors, {} upserted", count, upserted->get<int64_t>()));
      }
      body = head;
      count = 0;
      return Status::Ok();
    };
    for (size_t i = 0; i < chunks.size(); ++i) {
      record.clear();
      AppendRecord(record, chunks[i], metadata[i]);
      if (count > 0 && (count == max_count || body.size() + 1 + record.size() + tail.size() > max_bytes)) {
        DOCPIPE_RETURN_IF_ERROR(flush());
      }
      if (count > 0) body.push_back(',');
      body += record;
      ++count;
      ++packed;
    }
    if (count > 0) DOCPIPE_RETURN_IF_ERROR(flush());
    return Status::Ok();
  }

  // An upsert stopped part-way (the stage's deadline, a shutdown, an error)
  // leaves the first `sent` chunks of the new version next to the old one,
  // and searches keep only a document's newest version among their hits: the
  // document would show that part alone. So they are deleted again, the old
  // version staying whole, within kRollbackMs of their own (the stage's flag
  // is already set; its return must stay within a second of the deadline).
  // Best effort: a request cut on the wire that Pinecone applies after this
  // delete, or a delete that fails, leaves them until the replacement is
  // retried (the same ids) or the next version's load deletes every id not
  // its own.
  Status RemovePartialVersion(const std::vector<IndexedChunk>& chunks, size_t sent) {
    if (sent == 0) return Status::Ok();
    std::vector<std::string> ids;
    ids.reserve(sent);
    for (size_t i = 0; i < sent && i < chunks.size(); ++i) ids.push_back(chunks[i].chunk_id);
    const int64_t until = clock_.MonotonicMs() + kRollbackMs;
    return DeleteIds(ids, [this, until] { return clock_.MonotonicMs() >= until; });
  }

  // Every id with `prefix` in the namespace, following pagination tokens;
  // Cancelled between pages or on the wire when `abort_if` says so.
  Result<std::vector<std::string>> ListIds(const std::string& prefix, const std::function<bool()>& abort_if = {}) {
    std::vector<std::string> ids;
    std::string token;
    std::set<std::string> seen_tokens;
    for (int page = 0; page < kMaxListPages; ++page) {
      // Parameter order as the official client sends it.
      std::string url = host_ + "/vectors/list?prefix=" + UriEncode(prefix, false);
      if (!token.empty()) url += "&paginationToken=" + UriEncode(token, false);
      url += "&namespace=" + UriEncode(options_.namespace_, false);
      if (abort_if && abort_if()) return Status::Cancelled("cancelled (past the stage's deadline or shutting down)");
      Result<json> answer = Call("GET", url, "", "list", false, nullptr, abort_if);
      if (!answer.ok()) {
        if (MissingNamespace(answer.status())) return ids;  // nothing stored yet
        return answer.status();
      }
      auto vectors = answer->find("vectors");
      if (vectors != answer->end() && !vectors->is_null()) {
        if (!vectors->is_array()) return Status::Unavailable("Pinecone list: vectors is not an array");
        for (const json& v : *vectors) {
          if (v.is_object() && v.contains("id") && v["id"].is_string()) ids.push_back(v["id"].get<std::string>());
        }
      }
      token.clear();
      if (auto p = answer->find("pagination"); p != answer->end() && p->is_object()) token = StringField(*p, "next");
      if (token.empty()) return ids;
      if (!seen_tokens.insert(token).second) {
        return Status::Unavailable("Pinecone list: the same pagination token came back twice");
      }
    }
    return Status::Unavailable(fmt::format("Pinecone list: more than {} pages", kMaxListPages));
  }

  Status DeleteIds(const std::vector<std::string>& ids, const std::function<bool()>& abort_if = {}) {
    for (size_t i = 0; i < ids.size(); i += kMaxIdsPerDelete) {
      if (abort_if && abort_if()) return Status::Cancelled("cancelled (past the stage's deadline or shutting down)");
      const size_t end = std::min(ids.size(), i + kMaxIdsPerDelete);
      std::string body = "{\"ids\":" + json(std::vector<std::string>(ids.begin() + i, ids.begin() + end)).dump() +
                         ",\"namespace\":" + namespace_json_ + "}";
      Result<json> answer = Call("POST", host_ + "/vectors/delete", std::move(body), "delete", false, nullptr, abort_if);
      if (!answer.ok() && !MissingNamespace(answer.status())) return answer.status();
    }
    return Status::Ok();
  }

  HttpClient& http_;  // for single attempts; everything else goes through retrier_
  Clock& clock_;
  PineconeOptions options_;
  HttpRetrier retrier_;
  std::string user_agent_;
  std::string controller_;
  std::string host_;
  std::string namespace_json_;
};

}  // namespace

Result<std::string> PineconeMetadataJson(const IndexedChunk& chunk, int64_t max_bytes) {
  const std::string text = RepairUtf8(chunk.text);
  ordered_json m = {{"document_id", RepairUtf8(chunk.document_id)},
                    {"processing_version", RepairUtf8(chunk.processing_version)},
                    {"source_key", RepairUtf8(chunk.source_key)},
                    {"text", text},
                    {"breadcrumbs", Repaired(chunk.breadcrumbs)},
                    {"page_start", chunk.page_start},
                    {"page_end", chunk.page_end},
                    {"type", RepairUtf8(chunk.type)},
                    {"key_phrases", Repaired(chunk.key_phrases)},
                    {"language", RepairUtf8(chunk.language)},
                    {"pii_types", Repaired(chunk.pii_types)}};
  // Printed page labels only where the document has them (most have none).
  if (!chunk.page_label_start.empty()) m["page_label_start"] = RepairUtf8(chunk.page_label_start);
  if (!chunk.page_label_end.empty()) m["page_label_end"] = RepairUtf8(chunk.page_label_end);
  // Metadata values are strings or lists of strings: "TYPE<tab>text".
  if (!chunk.entities.empty()) {
    std::vector<std::string> entities;
    for (size_t i = 0; i < chunk.entities.size() && i < kMaxEntitiesInMetadata; ++i) {
      entities.push_back(RepairUtf8(chunk.entities[i].type) + "\t" + RepairUtf8(chunk.entities[i].text));
    }
    m["entities"] = entities;
  }
  std::string out = Dump(m);
  const auto limit = static_cast<size_t>(std::max<int64_t>(0, max_bytes));
  if (out.size() <= limit) return out;
  m["text"] = "";
  m["text_truncated"] = true;
  const size_t base = Dump(m).size();
  if (base > limit) {
    return Status::InvalidInput(fmt::format("index: chunk {}: metadata without its text takes {} bytes, more than {}",
                                            chunk.chunk_id, base, limit));
  }
  // The longest prefix of whole code points whose JSON form fits.
  const size_t budget = limit - base;
  size_t used = 0, cut = 0;
  while (cut < text.size()) {
    size_t len = 0;
    const size_t esc = EscapedSize(text, cut, &len);
    if (used + esc > budget) break;
    used += esc;
    cut += len;
  }
  m["text"] = text.substr(0, cut);
  out = Dump(m);
  return out;
}

Result<VectorIndexPtr> NewPineconeVectorIndex(HttpClient& http, Clock& clock, PineconeOptions options) {
  auto index = std::make_unique<PineconeVectorIndex>(http, clock, std::move(options));
  DOCPIPE_RETURN_IF_ERROR(index->Init());
  return VectorIndexPtr(std::move(index));
}

}  // namespace docpipe
