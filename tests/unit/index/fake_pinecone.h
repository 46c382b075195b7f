#pragma once
// An in-process fake of Pinecone's REST API on a loopback port, for the
// Pinecone adapter's tests and bench/requests: the control plane (describe,
// create) and the data plane (upsert, query, list by prefix, delete,
// describe_index_stats) of one serverless index, vectors in memory per
// namespace. Every request is recorded and checked against Pinecone's
// documented limits and required headers; a breach is answered as Pinecone
// would (4xx with its message) and listed in violations(). Faults (status
// codes, Retry-After, delays, malformed bodies) can be queued per path.
// Header-only so the benchmark can use it without the test libraries.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace docpipe::testing {

struct FakePineconeOptions {
  std::string api_key = "pk-test-0123456789";
  std::string api_version = "2026-04";
  std::string index_name = "docs";
  int dimension = 8;
  std::string metric = "cosine";
  bool exists = true;          // the index exists from the start
  int not_ready_describes = 0; // describes answered "not ready" after a create
  // "" = "http://127.0.0.1:<port>" (real Pinecone answers a bare host name).
  std::string described_host;
  size_t max_vectors_per_upsert = 1000;
  size_t max_request_bytes = 2 * 1024 * 1024;
  size_t max_metadata_bytes = 40 * 1024;
  size_t max_ids_per_delete = 1000;
  size_t max_id_bytes = 512;
  size_t list_page_size = 100;  // Pinecone's default list limit
  bool store_values = true;     // false: keep ids and metadata only (benchmarks)
};

struct PineconeRequest {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in the order sent
  std::map<std::string, std::string> headers;              // lower-cased names
  std::string body;
  std::string Key() const { return method + " " + path; }
};

// What to do to the next request on a path instead of (or before) serving it.
struct PineconeFault {
  int status = 0;  // 0: serve normally (after delay_ms)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int delay_ms = 0;
  std::string content_type = "application/json";
};

class FakePinecone {
 public:
  using json = nlohmann::json;

  struct Stored {
    std::vector<float> values;
    json metadata;
  };

  explicit FakePinecone(FakePineconeOptions options = {}) : o_(std::move(options)) {
    exists_ = o_.exists;
    dimension_ = o_.dimension;
    metric_ = o_.metric;
    // One request per connection: a kept-alive connection would hold a
    // server thread (and the destructor) for the keep-alive timeout.
    server_.set_keep_alive_max_count(1);
    using Handler = void (FakePinecone::*)(const httplib::Request&, httplib::Response&);
    const auto route = [this](Handler h) {
      return [this, h](const httplib::Request& req, httplib::Response& res) { Serve(req, res, h); };
    };
    server_.Get(R"(/indexes/([^/]+))", route(&FakePinecone::DescribeIndex));
    server_.Post("/indexes", route(&FakePinecone::CreateIndex));
    server_.Post("/vectors/upsert", route(&FakePinecone::Upsert));
    server_.Post("/query", route(&FakePinecone::Query));
    server_.Get("/vectors/list", route(&FakePinecone::List));
    server_.Get("/vectors/fetch", route(&FakePinecone::Fetch));
    server_.Post("/vectors/delete", route(&FakePinecone::Delete));
    server_.Post("/describe_index_stats", route(&FakePinecone::DescribeStats));
    // Bound and listening from here on: connections wait in the backlog
    // until the thread accepts them.
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // cpp-httplib's stop() does nothing until the loop runs: a Stop() right
    // after construction would leave the thread accepting forever (a hung test).
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  ~FakePinecone() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  FakePinecone(const FakePinecone&) = delete;
  FakePinecone& operator=(const FakePinecone&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const FakePineconeOptions& options() const { return o_; }

  //! Queues `fault` for the next `times` requests to `path` ("/vectors/upsert").
  void Fault(const std::string& path, PineconeFault fault, int times = 1) {
    std::lock_guard lock(mu_);
    for (int i = 0; i < times; ++i) faults_[path].push_back(fault);
  }

  std::vector<PineconeRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::vector<PineconeRequest> requests(const std::string& key) const {
    std::lock_guard lock(mu_);
    std::vector<PineconeRequest> out;
    for (const auto& r : requests_) {
      if (r.Key() == key) out.push_back(r);
    }
    return out;
  }
  void ClearRequests() {
    std::lock_guard lock(mu_);
    requests_.clear();
  }
  std::vector<std::string> violations() const {
    std::lock_guard lock(mu_);
    return violations_;
  }
  //! Sorted ids in `ns`.
  std::vector<std::string> Ids(const std::string& ns = "") const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    if (auto it = data_.find(ns); it != data_.end()) {
      for (const auto& [id, _] : it->second) out.push_back(id);
    }
    return out;
  }
  //! The stored metadata of `id`, or null.
  json Metadata(const std::string& id, const std::string& ns = "") const {
    std::lock_guard lock(mu_);
    auto it = data_.find(ns);
    if (it == data_.end()) return nullptr;
    auto v = it->second.find(id);
    return v == it->second.end() ? json(nullptr) : v->second.metadata;
  }
  //! Pinecone's size of a record's metadata: its compact JSON.
  static size_t MetadataBytes(const json& metadata) {
    return metadata.dump(-1, ' ', false, json::error_handler_t::replace).size();
  }

 private:
  static void Reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  }
  // Control-plane errors: {"error":{"code","message"},"status"}.
  static void ControlError(httplib::Response& res, int status, const std::string& code, const std::string& message) {
    Reply(res, status, {{"error", {{"code", code}, {"message", message}}}, {"status", status}});
  }
  // Data-plane errors: {"code" (gRPC), "message", "details"}.
  static void DataError(httplib::Response& res, int status, int code, const std::string& message) {
    Reply(res, status, {{"code", code}, {"message", message}, {"details", json::array()}});
  }
  void Violation(const std::string& what) { violations_.push_back(what); }

  // Records the request (with its body: routing handlers run after it is
  // read), checks the headers, applies a queued fault or calls `handler`.
  void Serve(const httplib::Request& req, httplib::Response& res,
             void (FakePinecone::*handler)(const httplib::Request&, httplib::Response&)) {
    PineconeFault fault;
    bool has_fault = false;
    {
      std::lock_guard lock(mu_);
      PineconeRequest r;
      r.method = req.method;
      r.path = req.path;
      if (auto q = req.target.find('?'); q != std::string::npos) r.query = ParseQuery(req.target.substr(q + 1));
      for (const auto& [k, v] : req.headers) {
        std::string lower = k;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        r.headers[lower] = v;
      }
      r.body = req.body;
      const std::string key = r.Key();
      const auto header = [&](const char* name) {
        auto it = r.headers.find(name);
        return it == r.headers.end() ? std::string() : it->second;
      };
      if (header("x-pinecone-api-version") != o_.api_version) {
        Violation(fmt::format("{}: X-Pinecone-Api-Version '{}', expected '{}'", key, header("x-pinecone-api-version"),
                              o_.api_version));
      }
      if (header("user-agent").empty()) Violation(key + ": no User-Agent");
      if (req.method == "POST" && header("content-type").rfind("application/json", 0) != 0) {
        Violation(fmt::format("{}: Content-Type '{}'", key, header("content-type")));
      }
      const bool authorized = header("api-key") == o_.api_key;
      requests_.push_back(std::move(r));
      if (!authorized) {
        // Not a client bug to report: tests send wrong keys on purpose.
        ControlError(res, 401, "UNAUTHENTICATED", "Invalid API Key");
        return;
      }
      auto it = faults_.find(req.path);
      if (it != faults_.end() && !it->second.empty()) {
        fault = it->second.front();
        it->second.pop_front();
        has_fault = true;
      }
    }
    if (has_fault && fault.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(fault.delay_ms));
    if (has_fault && fault.status != 0) {
      res.status = fault.status;
      for (const auto& [k, v] : fault.headers) res.set_header(k, v);
      res.set_content(fault.body, fault.content_type.c_str());
      return;
    }
    std::lock_guard lock(mu_);
    (this->*handler)(req, res);
  }

  static std::vector<std::pair<std::string, std::string>> ParseQuery(const std::string& q) {
    std::vector<std::pair<std::string, std::string>> out;
    size_t pos = 0;
    while (pos <= q.size()) {
      size_t amp = q.find('&', pos);
      if (amp == std::string::npos) amp = q.size();
      std::string part = q.substr(pos, amp - pos);
      if (!part.empty()) {
        size_t eq = part.find('=');
        std::string k = part.substr(0, eq);
        std::string v = eq == std::string::npos ? "" : part.substr(eq + 1);
        out.emplace_back(httplib::detail::decode_url(k, false), httplib::detail::decode_url(v, false));
      }
      pos = amp + 1;
    }
    return out;
  }

  static std::string Param(const httplib::Request& req, const char* name) {
    return req.has_param(name) ? req.get_param_value(name) : std::string();
  }

  json Description() const {
    const bool ready = describes_left_not_ready_ <= 0;
    return {{"name", o_.index_name},
            {"vector_type", "dense"},
            {"metric", metric_},
            {"dimension", dimension_},
            {"status", {{"ready", ready}, {"state", ready ? "Ready" : "Initializing"}}},
            {"host", o_.described_host.empty() ? url() : o_.described_host},
            {"spec", {{"serverless", {{"cloud", "aws"}, {"region", "us-east-1"}}}}},
            {"deletion_protection", "disabled"},
            {"tags", nullptr}};
  }

  void DescribeIndex(const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    if (!exists_ || name != o_.index_name) {
      ControlError(res, 404, "NOT_FOUND", fmt::format("Resource {} not found", name));
      return;
    }
    json d = Description();
    if (describes_left_not_ready_ > 0) --describes_left_not_ready_;
    Reply(res, 200, d);
  }

  void CreateIndex(const httplib::Request& req, httplib::Response& res) {
    json b = json::parse(req.body, nullptr, false);
    const bool valid = b.is_object() && b.contains("name") && b["name"].is_string() && b.contains("dimension") &&
                       b["dimension"].is_number_integer() && b.contains("metric") && b["metric"].is_string() &&
                       b.contains("spec") && b["spec"].is_object() && b["spec"].contains("serverless") &&
                       b["spec"]["serverless"].is_object() && b["spec"]["serverless"].contains("cloud") &&
                       b["spec"]["serverless"].contains("region");
    if (!valid) {
      Violation("POST /indexes: malformed body " + req.body.substr(0, 200));
      ControlError(res, 400, "INVALID_ARGUMENT", "Bad request: malformed create index request");
      return;
    }
    if (exists_) {
      ControlError(res, 409, "ALREADY_EXISTS", "Resource already exists");
      return;
    }
    if (b["name"] != o_.index_name) {
      Violation("POST /indexes: unexpected name " + b["name"].get<std::string>());
    }
    exists_ = true;
    dimension_ = b["dimension"].get<int>();
    metric_ = b["metric"].get<std::string>();
    describes_left_not_ready_ = o_.not_ready_describes;
    ++creates_;
    json d = Description();
    d["status"] = {{"ready", false}, {"state", "Initializing"}};
    Reply(res, 201, d);
  }

  // Pinecone metadata values: strings, numbers, booleans, lists of strings.
  static bool ValidMetadata(const json& m, std::string* why) {
    if (!m.is_object()) {
      *why = "metadata is not an object";
      return false;
    }
    for (const auto& [k, v] : m.items()) {
      if (v.is_string() || v.is_number() || v.is_boolean()) continue;
      if (v.is_array() && std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); })) continue;
      *why = fmt::format("metadata field {} has a value of type {}", k, v.type_name());
      return false;
    }
    return true;
  }

  void Upsert(const httplib::Request& req, httplib::Response& res) {
    if (req.body.size() > o_.max_request_bytes) {
      Violation(fmt::format("upsert body of {} bytes > {}", req.body.size(), o_.max_request_bytes));
      DataError(res, 400, 3, fmt::format("Request size {}MB exceeds the maximum supported size of {}MB",
                                         req.body.size() / (1024 * 1024), o_.max_request_bytes / (1024 * 1024)));
      return;
    }
    json b = json::parse(req.body, nullptr, false);
    if (!b.is_object() || !b.contains("vectors") || !b["vectors"].is_array()) {
      Violation("upsert: malformed body");
      DataError(res, 400, 3, "Invalid request body");
      return;
    }
    const json& vectors = b["vectors"];
    if (vectors.size() > o_.max_vectors_per_upsert || vectors.empty()) {
      Violation(fmt::format("upsert of {} vectors", vectors.size()));
      DataError(res, 400, 3, fmt::format("Number of vectors {} outside 1..{}", vectors.size(), o_.max_vectors_per_upsert));
      return;
    }
    const std::string ns = b.value("namespace", "");
    for (const json& v : vectors) {
      std::string why;
      if (!v.is_object() || !v.contains("id") || !v["id"].is_string() || v["id"].get<std::string>().empty() ||
          v["id"].get<std::string>().size() > o_.max_id_bytes) {
        why = "bad id";
      } else if (!v.contains("values") || !v["values"].is_array() || v["values"].size() != static_cast<size_t>(dimension_)) {
        why = fmt::format("Vector dimension {} does not match the dimension of the index {}",
                          v.contains("values") && v["values"].is_array() ? v["values"].size() : 0, dimension_);
      } else if (std::none_of(v["values"].begin(), v["values"].end(),
                              [](const json& x) { return x.is_number() && x.get<double>() != 0.0; })) {
        why = "Dense vectors must contain at least one non-zero value";
      } else if (v.contains("metadata") && !ValidMetadata(v["metadata"], &why)) {
        // `why` says which field
      } else if (v.contains("metadata") && MetadataBytes(v["metadata"]) > o_.max_metadata_bytes) {
        why = fmt::format("Metadata size is {} bytes, which exceeds the limit of {} bytes per vector",
                          MetadataBytes(v["metadata"]), o_.max_metadata_bytes);
      }
      if (!why.empty()) {
        Violation("upsert: " + why);
        DataError(res, 400, 3, why);
        return;
      }
    }
    auto& space = data_[ns];
    for (const json& v : vectors) {
      Stored s;
      if (o_.store_values) s.values = v["values"].get<std::vector<float>>();
      s.metadata = v.value("metadata", json::object());
      space[v["id"].get<std::string>()] = std::move(s);
    }
    upsert_sizes_.push_back({vectors.size(), req.body.size()});
    Reply(res, 200, {{"upsertedCount", vectors.size()}});
  }

  static bool Matches(const json& metadata, const json& filter) {
    if (filter.is_null()) return true;
    for (const auto& [field, cond] : filter.items()) {
      const json value = metadata.is_object() && metadata.contains(field) ? metadata[field] : json();
      json want = cond.is_object() && cond.contains("$eq") ? cond["$eq"] : cond;
      if (value != want) return false;
    }
    return true;
  }

  void Query(const httplib::Request& req, httplib::Response& res) {
    json b = json::parse(req.body, nullptr, false);
    if (!b.is_object() || !b.contains("vector") || !b["vector"].is_array() || !b.contains("topK") ||
        !b["topK"].is_number_integer()) {
      Violation("query: malformed body");
      DataError(res, 400, 3, "Invalid request body");
      return;
    }
    const auto q = b["vector"].get<std::vector<double>>();
    const int top_k = b["topK"].get<int>();
    if (q.size() != static_cast<size_t>(dimension_) || top_k < 1 || top_k > 10000) {
      Violation("query: bad vector or topK");
      DataError(res, 400, 3, "Query vector dimension or topK out of range");
      return;
    }
    if (b.contains("filter")) {
      for (const auto& [field, cond] : b["filter"].items()) {
        if (cond.is_object() && (cond.size() != 1 || !cond.contains("$eq"))) {
          Violation("query: filter operator other than $eq on " + field);
        }
      }
    }
    const json filter = b.value("filter", json());
    const bool with_metadata = b.value("includeMetadata", false);
    std::vector<std::pair<double, std::string>> scored;
    const std::string ns = b.value("namespace", "");
    auto it = data_.find(ns);
    if (it != data_.end()) {
      double qn = 0;
      for (double x : q) qn += x * x;
      for (const auto& [id, s] : it->second) {
        if (!Matches(s.metadata, filter)) continue;
        double dot = 0, vn = 0;
        for (size_t i = 0; i < s.values.size() && i < q.size(); ++i) {
          dot += q[i] * s.values[i];
          vn += static_cast<double>(s.values[i]) * s.values[i];
        }
        scored.emplace_back(qn > 0 && vn > 0 ? dot / std::sqrt(qn * vn) : 0.0, id);
      }
    }
    std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    if (scored.size() > static_cast<size_t>(top_k)) scored.resize(top_k);
    json matches = json::array();
    for (const auto& [score, id] : scored) {
      json m = {{"id", id}, {"score", score}, {"values", json::array()}};
      if (with_metadata) m["metadata"] = it->second.at(id).metadata;
      matches.push_back(std::move(m));
    }
    Reply(res, 200, {{"results", json::array()}, {"matches", matches}, {"namespace", ns}, {"usage", {{"readUnits", 1}}}});
  }

  // Tokens name the last id of the page, so pages stay correct when ids are
  // deleted between them; '/' and '=' test the client's URL encoding.
  static std::string Token(const std::string& last) {
    std::string hex;
    for (unsigned char c : last) hex += fmt::format("{:02x}", c);
    return "pg/" + hex + "==";
  }
  static bool FromToken(const std::string& token, std::string* last) {
    if (token.size() < 5 || token.rfind("pg/", 0) != 0 || token.substr(token.size() - 2) != "==") return false;
    const std::string hex = token.substr(3, token.size() - 5);
    if (hex.size() % 2 != 0) return false;
    last->clear();
    for (size_t i = 0; i < hex.size(); i += 2) last->push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return true;
  }

  void List(const httplib::Request& req, httplib::Response& res) {
    const std::string ns = Param(req, "namespace");
    const std::string prefix = Param(req, "prefix");
    size_t limit = o_.list_page_size;
    if (req.has_param("limit")) limit = std::stoul(Param(req, "limit"));
    std::string after;
    const bool paged = req.has_param("paginationToken");
    if (paged && !FromToken(Param(req, "paginationToken"), &after)) {
      Violation("list: bad pagination token " + Param(req, "paginationToken"));
      DataError(res, 400, 3, "Invalid pagination token");
      return;
    }
    json ids = json::array();
    std::string last;
    bool more = false;
    if (auto it = data_.find(ns); it != data_.end()) {
      auto from = paged ? it->second.upper_bound(after) : it->second.lower_bound(prefix);
      for (; from != it->second.end(); ++from) {
        if (from->first.rfind(prefix, 0) != 0) break;
        if (ids.size() == limit) {
          more = true;
          break;
        }
        ids.push_back({{"id", from->first}});
        last = from->first;
      }
    }
    json body = {{"vectors", ids}, {"namespace", ns}, {"usage", {{"readUnits", 1}}}};
    if (more) body["pagination"] = {{"next", Token(last)}};
    Reply(res, 200, body);
  }

  // GET /vectors/fetch?ids=A&ids=B&namespace=NS: the records that exist,
  // keyed by id (missing ids are left out, as Pinecone does).
  void Fetch(const httplib::Request& req, httplib::Response& res) {
    const std::string ns = Param(req, "namespace");
    const size_t n = req.get_param_value_count("ids");
    if (n == 0 || n > 1000) {
      Violation(fmt::format("fetch of {} ids", n));
      DataError(res, 400, 3, "Fetch takes 1 to 1000 ids");
      return;
    }
    json vectors = json::object();
    if (auto it = data_.find(ns); it != data_.end()) {
      for (size_t i = 0; i < n; ++i) {
        const std::string id = req.get_param_value("ids", i);
        auto found = it->second.find(id);
        if (found == it->second.end()) continue;
        vectors[id] = {{"id", id}, {"values", found->second.values}, {"metadata", found->second.metadata}};
      }
    }
    Reply(res, 200, {{"vectors", vectors}, {"namespace", ns}, {"usage", {{"readUnits", 1}}}});
  }

  void Delete(const httplib::Request& req, httplib::Response& res) {
    json b = json::parse(req.body, nullptr, false);
    if (!b.is_object() || !b.contains("ids") || !b["ids"].is_array() || b.contains("filter") ||
        b.value("deleteAll", false)) {
      Violation("delete: only deletion by ids is supported on serverless here: " + req.body.substr(0, 200));
      DataError(res, 400, 3, "Invalid delete request");
      return;
    }
    if (b["ids"].size() > o_.max_ids_per_delete || b["ids"].empty()) {
      Violation(fmt::format("delete of {} ids", b["ids"].size()));
      DataError(res, 400, 3, "Too many ids");
      return;
    }
    auto it = data_.find(b.value("namespace", ""));
    if (it != data_.end()) {
      for (const json& id : b["ids"]) it->second.erase(id.get<std::string>());
    }
    Reply(res, 200, json::object());
  }

  void DescribeStats(const httplib::Request&, httplib::Response& res) {
    json namespaces = json::object();
    size_t total = 0;
    for (const auto& [ns, space] : data_) {
      if (space.empty()) continue;
      namespaces[ns.empty() ? "__default__" : ns] = {{"vectorCount", space.size()}};
      total += space.size();
    }
    Reply(res, 200, {{"namespaces", namespaces}, {"dimension", dimension_}, {"indexFullness", 0},
                     {"totalVectorCount", total}, {"metric", metric_}, {"vectorType", "dense"}});
  }

 public:
  struct UpsertSize {
    size_t vectors;
    size_t bytes;
  };
  std::vector<UpsertSize> upsert_sizes() const {
    std::lock_guard lock(mu_);
    return upsert_sizes_;
  }
  int creates() const {
    std::lock_guard lock(mu_);
    return creates_;
  }

 private:
  FakePineconeOptions o_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  bool exists_ = true;
  int dimension_ = 0;
  std::string metric_;
  int describes_left_not_ready_ = 0;
  int creates_ = 0;
  std::map<std::string, std::map<std::string, Stored>> data_;  // namespace -> id -> record
  std::vector<PineconeRequest> requests_;
  std::vector<std::string> violations_;
  std::map<std::string, std::deque<PineconeFault>> faults_;
  std::vector<UpsertSize> upsert_sizes_;
};

}  // namespace docpipe::testing
