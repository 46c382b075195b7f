#include "tables/dynamodb_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>

namespace docpipe {
namespace {

using json = nlohmann::json;

constexpr const char* kStatusIndex = "status-updated-index";
constexpr const char* kStageIndex = "current-stage-index";
// Audit events of one type in time order (AuditLog::Count).
constexpr const char* kEventTypeIndex = "event-type-index";
constexpr const char* kTtlAttribute = "ttl";
// A random value each Create/Update call writes with the control item (the
// same in the call's retries): StoredItemIs then recognises only this call's
// own write. Without it, two workers writing byte-identical items from one
// revision (two threads of one process, one lease_owner, claiming in the same
// millisecond) would each take the other's write for their own: both claims
// "succeed" and the document runs twice. Readers ignore the attribute.
constexpr const char* kWriteTokenAttribute = "write_token";

// Every non-key attribute of a control item (docs/schema.md). An Update
// REMOVEs those the new item leaves out, so a cleared time (omitted by
// ToJson) does not linger from the previous revision.
constexpr const char* kControlAttributes[] = {
    "source_key",  "source_size", "content_sha256",   "status",          "current_stage", "stage_status",
    "retry_count", "max_retries", "takeovers", "created_at",       "updated_at",      "ttl",           "last_error",
    "error_stage", "lease_owner", "lease_expires_at", "next_attempt_at", "page_count",    "chunk_count",
    "claim_message_id", "message_claims", "dead_letter_requeues", "requeued_message_id", "revision"};

json S(const std::string& s) { return {{"S", s}}; }
json N(int64_t n) { return {{"N", std::to_string(n)}}; }

// The number in a DynamoDB N string as JSON: integers stay integers (the
// record readers insist on them), anything else becomes a double.
Result<json> ParseNumber(const std::string& s) {
  const char* b = s.data();
  const char* e = s.data() + s.size();
  const bool integral = !s.empty() && s.find_first_not_of("-0123456789") == std::string::npos;
  if (integral) {
    int64_t i = 0;
    if (auto [p, ec] = std::from_chars(b, e, i); ec == std::errc() && p == e) return json(i);
    uint64_t u = 0;
    if (auto [p, ec] = std::from_chars(b, e, u); ec == std::errc() && p == e) return json(u);
  }
  double d = 0;
  if (auto [p, ec] = std::from_chars(b, e, d); ec == std::errc() && p == e) return json(d);
  return Status::InvalidInput("DynamoDB number '" + s + "' is not a number");
}

Result<double> NumberToDouble(const json& av, const std::string& what) {
  if (!av.is_object() || !av.contains("N") || !av["N"].is_string()) {
    return Status::Internal(what + ": not a DynamoDB number");
  }
  const std::string s = av["N"].get<std::string>();
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || p != s.data() + s.size())
    return Status::Internal(what + ": bad number '" + s + "'");
  return d;
}

const std::string* FindString(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

std::string StringOr(const json& j, const char* name, const std::string& fallback = "") {
  const std::string* s = FindString(j, name);
  return s ? *s : fallback;
}

// One DynamoDB call; every docpipe table call but the metrics ADD is safe to repeat.
Result<json> Call(AwsClient& client, const std::string& op, const json& body, bool idempotent = true,
                  json* error_body = nullptr) {
  return client.CallJson("DynamoDB_20120810." + op, "1.0", body, idempotent, 0, error_body);
}

// Runs a Query or Scan page by page, handing each item to `take`, until the
// last page or until `max_items` (0 = all) items were taken.
Status Paged(AwsClient& client, const std::string& op, json request, size_t max_items, int page_limit,
             const std::function<Status(const json&)>& take) {
  size_t taken = 0;
  while (true) {
    size_t want = max_items > 0 ? max_items - taken : 0;
    if (page_limit > 0) want = want > 0 ? std::min<size_t>(want, page_limit) : page_limit;
    if (want > 0) request["Limit"] = want;
    auto page = Call(client, op, request);
    if (!page.ok()) return page.status();
    auto items = page->find("Items");
    if (items != page->end() && items->is_array()) {
      for (const json& item : *items) {
        DOCPIPE_RETURN_IF_ERROR(take(item));
        if (max_items > 0 && ++taken >= max_items) return Status::Ok();
      }
    }
    auto last = page->find("LastEvaluatedKey");
    if (last == page->end() || last->is_null() || last->empty()) return Status::Ok();
    request["ExclusiveStartKey"] = *last;
  }
}

// A strongly consistent Query of one partition of the base table.
json PartitionQuery(const std::string& table, const std::string& key_name, const std::string& key_value,
                    bool ascending) {
  return {{"TableName", table},
          {"KeyConditionExpression", "#pk = :pk"},
          {"ExpressionAttributeNames", {{"#pk", key_name}}},
          {"ExpressionAttributeValues", {{":pk", S(key_value)}}},
          {"ScanIndexForward", ascending},
          {"ConsistentRead", true}};
}

// Whether the item DynamoDB returned with a failed condition
// (ReturnValuesOnConditionCheckFailure=ALL_OLD) is exactly the item we meant
// to write. That is what a retry sees when the first attempt landed but its
// answer was lost, so the write is reported as done rather than as a
// Conflict with ourselves. Control items carry the call's write token, so
// another writer's identical record is not taken for ours; audit events are
// facts (an identical one stored is the one we meant to store).
bool StoredItemIs(const json& error_body, const json& intended_item) {
  auto it = error_body.find("Item");
  if (it == error_body.end()) return false;
  auto stored = ItemToJson(*it);
  auto intended = ItemToJson(intended_item);
  return stored.ok() && intended.ok() && *stored == *intended;  // numbers compare by value
}

// ---------------------------------------------------------------------------
// Control table

std::string Name(const ControlRecord& r) { return r.document_id + "/" + r.processing_version; }

Result<ControlRecord> ParseControlItem(const json& item, const std::string& what) {
  auto j = ItemToJson(item);
  if (!j.ok()) return j.status().Annotate("control record " + what);
  auto rec = ControlRecordFromJson(*j);
  if (!rec.ok()) return rec.status().Annotate("control record " + what);
  return rec;
}

class DynamoDbControlTable final : public ControlTable {
 public:
  DynamoDbControlTable(AwsClient& client, std::string table, DynamoDbTableOptions options)
      : bound_(client.ForAdapter(DynamoDbControlTableOperations())), client_(*bound_), table_(std::move(table)), options_(options) {}

  Status Create(ControlRecord& record) override {
    ControlRecord stored = record;
    stored.revision = 1;
    auto item = Serialize(stored);
    if (!item.ok()) return item.status();
    (*item)[kWriteTokenAttribute] = S(NewWriteToken());
    json req = {{"TableName", table_},
                {"Item", *item},
                {"ConditionExpression", "attribute_not_exists(#pk)"},
                {"ExpressionAttributeNames", {{"#pk", "document_id"}}},
                {"ReturnValuesOnConditionCheckFailure", "ALL_OLD"}};
    json error_body;
    auto r = Call(client_, "PutItem", req, true, &error_body);
    if (!r.ok()) {
      if (!r.status().IsConflict()) return r.status();
      if (!StoredItemIs(error_body, *item)) return Status::Conflict("control record exists: " + Name(stored));
    }
    record.revision = stored.revision;
    return Status::Ok();
  }

  Result<ControlRecord> Get(const std::string& document_id, const std::string& version) override {
    auto r = Call(client_, "GetItem",
                  {{"TableName", table_}, {"Key", Key(document_id, version)}, {"ConsistentRead", true}});
    if (!r.ok()) return r.status();
    auto it = r->find("Item");
    if (it == r->end() || it->empty())
      return Status::NotFound("no control record " + document_id + "/" + version);
    return ParseControlItem(*it, document_id + "/" + version);
  }

  Result<ControlRecord> GetLatest(const std::string& document_id) override {
    json req = PartitionQuery(table_, "document_id", document_id, /*ascending=*/false);
    req["Limit"] = 1;
    auto r = Call(client_, "Query", req);
    if (!r.ok()) return r.status();
    auto items = r->find("Items");
    if (items == r->end() || !items->is_array() || items->empty()) {
      return Status::NotFound("no control record " + document_id);
    }
    return ParseControlItem(items->front(), document_id);
  }

  Status Update(ControlRecord& record) override {
    ControlRecord stored = record;
    stored.revision = record.revision + 1;
    auto item = Serialize(stored);
    if (!item.ok()) return item.status();
    (*item)[kWriteTokenAttribute] = S(NewWriteToken());

    // SET every attribute of the new item, REMOVE the ones it leaves out; all
    // names go through placeholders since many are reserved words (status, ttl).
    json names = {{"#rev", "revision"}};
    json values = {{":expected", N(record.revision)}};
    std::string set, remove;
    int n = 0;
    for (const auto& [name, value] : item->items()) {
      if (name == "document_id" || name == "processing_version") continue;  // the key
      const std::string ph = std::to_string(n++);
      names["#a" + ph] = name;
      values[":a" + ph] = value;
      set += fmt::format("{}#a{} = :a{}", set.empty() ? "SET " : ", ", ph, ph);
    }
    for (const char* name : kControlAttributes) {
      if (item->contains(name)) continue;
      const std::string ph = std::to_string(n++);
      names["#a" + ph] = name;
      remove += fmt::format("{}#a{}", remove.empty() ? " REMOVE " : ", ", ph);
    }
    json req = {{"TableName", table_},
                {"Key", Key(stored.document_id, stored.processing_version)},
                {"UpdateExpression", set + remove},
                {"ConditionExpression", "#rev = :expected"},
                {"ExpressionAttributeNames", std::move(names)},
                {"ExpressionAttributeValues", std::move(values)},
                {"ReturnValuesOnConditionCheckFailure", "ALL_OLD"}};
    json error_body;
    auto r = Call(client_, "UpdateItem", req, true, &error_body);
    if (r.ok()) {
      record.revision = stored.revision;
      return Status::Ok();
    }
    if (!r.status().IsConflict()) return r.status();

    // Lost the condition: tell "absent" from "someone else wrote first".
    // DynamoDB returns the stored item with the failure; without it (an
    // emulator that ignores ALL_OLD) a consistent read decides.
    json current;
    if (auto it = error_body.find("Item"); it != error_body.end() && !it->empty()) {
      current = *it;
    } else {
      auto got = Call(client_, "GetItem",
                      {{"TableName", table_},
                       {"Key", Key(stored.document_id, stored.processing_version)},
                       {"ConsistentRead", true}});
      if (!got.ok()) return got.status();
      if (auto it = got->find("Item"); it != got->end() && !it->empty()) current = *it;
    }
    if (current.is_null()) return Status::NotFound("no control record " + Name(record));
    if (StoredItemIs({{"Item", current}}, *item)) {  // our own retried write had landed
      record.revision = stored.revision;
      return Status::Ok();
    }
    std::string at = "?";
    if (auto it = current.find("revision"); it != current.end()) at = StringOr(*it, "N", "?");
    return Status::Conflict(
        fmt::format("control record {} is at revision {}, not {}", Name(record), at, record.revision));
  }

  Result<std::vector<ControlRecord>> List(std::optional<DocStatus> status, int limit) override {
    std::vector<ControlRecord> out;
    const size_t max = limit > 0 ? static_cast<size_t>(limit) : 0;
    auto take = [&](const json& item) -> Status {
      auto rec = ParseControlItem(item, "list");
      if (!rec.ok()) return rec.status();
      out.push_back(std::move(*rec));
      return Status::Ok();
    };
    if (status) {
      // The GSI keeps each status newest first; GSIs only read eventually consistent.
      DOCPIPE_RETURN_IF_ERROR(Paged(client_, "Query",
                                    {{"TableName", table_},
                                     {"IndexName", kStatusIndex},
                                     {"KeyConditionExpression", "#s = :s"},
                                     {"ExpressionAttributeNames", {{"#s", "status"}}},
                                     {"ExpressionAttributeValues", {{":s", S(DocStatusName(*status))}}},
                                     {"ScanIndexForward", false}},
                                    max, options_.page_limit, take));
      return out;
    }
    // No index spans every status: read the table and order here.
    DOCPIPE_RETURN_IF_ERROR(Paged(client_, "Scan", {{"TableName", table_}, {"ConsistentRead", true}}, 0,
                                  options_.page_limit, take));
    std::sort(out.begin(), out.end(), [](const ControlRecord& a, const ControlRecord& b) {
      if (a.updated_at != b.updated_at) return a.updated_at > b.updated_at;
      if (a.document_id != b.document_id) return a.document_id < b.document_id;
      return a.processing_version < b.processing_version;
    });
    if (max > 0 && out.size() > max) out.resize(max);
    return out;
  }

  // No index orders or filters the latest versions: one Scan, and the
  // paging and counting happen here, on the server (never in a client).
  Result<DocumentListPage> ListDocuments(const DocumentListQuery& q) override {
    DOCPIPE_RETURN_IF_ERROR(ValidateDocumentListQuery(q));
    Result<std::vector<ControlRecord>> latest = LatestVersions();
    if (!latest.ok()) return latest.status();
    return PageDocuments(std::move(*latest), q);
  }

  // One Scan that reads only the shown attributes (not the stages' status,
  // most of an item); the latest version of each document is kept here.
  Result<std::vector<ControlRow>> ListLatestRows(std::optional<DocStatus> status) override {
    static const char* const kShown[] = {"document_id", "processing_version", "status",     "current_stage",
                                         "page_count",  "chunk_count",        "retry_count", "source_key",
                                         "last_error",  "error_stage"};
    json names = json::object();
    std::string projection;
    for (size_t i = 0; i < std::size(kShown); ++i) {
      const std::string placeholder = fmt::format("#a{}", i);  // status is a reserved word
      names[placeholder] = kShown[i];
      projection += (i ? ", " : "") + placeholder;
    }
    std::map<std::string, ControlRow> latest;
    auto take = [&](const json& item) -> Status {
      auto rec = ParseControlItem(item, "scan");
      if (!rec.ok()) return rec.status();
      auto it = latest.find(rec->document_id);
      if (it == latest.end() || it->second.processing_version < rec->processing_version) {
        latest[rec->document_id] = ControlRowOf(*rec);
      }
      return Status::Ok();
    };
    DOCPIPE_RETURN_IF_ERROR(Paged(client_, "Scan",
                                  {{"TableName", table_},
                                   {"ConsistentRead", true},
                                   {"ProjectionExpression", projection},
                                   {"ExpressionAttributeNames", names}},
                                  0, options_.page_limit, take));
    std::vector<ControlRow> out;
    out.reserve(latest.size());
    for (auto& [id, row] : latest) {
      if (!status || row.status == *status) out.push_back(std::move(row));
    }
    return out;
  }

  Result<ControlSummary> Summarize() override {
    Result<std::vector<ControlRecord>> latest = LatestVersions();
    if (!latest.ok()) return latest.status();
    return SummarizeLatest(*latest);
  }

  Result<std::vector<ControlRecord>> ListVersions(const std::string& document_id) override {
    std::vector<ControlRecord> out;
    auto take = [&](const json& item) -> Status {
      auto rec = ParseControlItem(item, document_id);
      if (!rec.ok()) return rec.status();
      out.push_back(std::move(*rec));
      return Status::Ok();
    };
    DOCPIPE_RETURN_IF_ERROR(Paged(client_, "Query", PartitionQuery(table_, "document_id", document_id, true),
                                  0, options_.page_limit, take));
    return out;
  }

  Status Delete(const std::string& document_id, const std::string& version) override {
    auto r = Call(client_, "DeleteItem", {{"TableName", table_}, {"Key", Key(document_id, version)}});
    return r.ok() ? Status::Ok() : r.status();  // deleting an absent item succeeds
  }

 private:
  Result<std::vector<ControlRecord>> LatestVersions() {
    std::map<std::string, ControlRecord> latest;
    auto take = [&](const json& item) -> Status {
      auto rec = ParseControlItem(item, "scan");
      if (!rec.ok()) return rec.status();
      auto it = latest.find(rec->document_id);
      if (it == latest.end() || it->second.processing_version < rec->processing_version) {
        latest[rec->document_id] = std::move(*rec);
      }
      return Status::Ok();
    };
    DOCPIPE_RETURN_IF_ERROR(Paged(client_, "Scan", {{"TableName", table_}, {"ConsistentRead", true}}, 0,
                                  options_.page_limit, take));
    std::vector<ControlRecord> out;
    out.reserve(latest.size());
    for (auto& [id, r] : latest) out.push_back(std::move(r));
    return out;
  }

  static json Key(const std::string& document_id, const std::string& version) {
    return {{"document_id", S(document_id)}, {"processing_version", S(version)}};
  }

  std::string NewWriteToken() {
    std::lock_guard lock(token_mu_);
    return fmt::format("{:016x}", token_rng_());
  }

  // The item for `r`, held to the same budget as the SQLite adapter (the
  // size of ToJson's text) so both accept and reject the same records.
  static Result<json> Serialize(const ControlRecord& r) {
    if (r.document_id.empty() || r.processing_version.empty()) {
      return Status::InvalidInput("control record needs document_id and processing_version");
    }
    json j = ToJson(r);
    const size_t size = j.dump().size();
    if (size > kMaxItemBytes) {
      return Status::InvalidInput(fmt::format("control record {} is {} bytes, over the {} byte budget",
                                              Name(r), size, kMaxItemBytes));
    }
    if (r.current_stage.empty()) j.erase("current_stage");  // index keys cannot be "" (header)
    return JsonToItem(j);
  }

  std::unique_ptr<AwsClient> bound_;  // bound to the adapter's declared operations
  AwsClient& client_;
  const std::string table_;
  const DynamoDbTableOptions options_;
  std::mutex token_mu_;
  std::mt19937_64 token_rng_{std::random_device{}()};
};

// ---------------------------------------------------------------------------
// Audit log

// One audit item of a document's partition, decoded onto `out`.
Status TakeAuditItem(const json& item, const std::string& document_id, std::vector<AuditEvent>& out) {
  auto j = ItemToJson(item);
  if (!j.ok()) return j.status().Annotate("audit of " + document_id);
  auto e = AuditEventFromJson(*j);
  if (!e.ok()) return e.status().Annotate("audit of " + document_id);
  out.push_back(std::move(*e));
  return Status::Ok();
}

class DynamoDbAuditLog final : public AuditLog {
 public:
  DynamoDbAuditLog(AwsClient& client, std::string table, DynamoDbTableOptions options)
      : bound_(client.ForAdapter(DynamoDbAuditLogOperations())), client_(*bound_), table_(std::move(table)), options_(options) {
    std::random_device rd;
    next_suffix_ = static_cast<uint32_t>(rd());
  }

  Status Append(AuditEvent& event) override {
    if (event.document_id.empty()) return Status::InvalidInput("audit event needs document_id");
    const bool generate = event.event_id.empty();
    if (generate && event.time == 0) {
      return Status::InvalidInput("audit event for " + event.document_id + " needs time or event_id");
    }
    // A generated id can only collide with another writer's in the same
    // millisecond; a fresh suffix settles that.
    for (int attempt = 0;; ++attempt) {
      AuditEvent stored = event;
      if (generate)
        stored.event_id = FormatIso8601(event.time) + "#" + fmt::format("{:08x}", NextSuffix(false));
      json j = ToJson(stored);
      const size_t size = j.dump().size();
      if (size > kMaxItemBytes) {
        return Status::InvalidInput(fmt::format("audit event {} of {} is {} bytes, over the {} byte budget",
                                                event.event_type, event.document_id, size, kMaxItemBytes));
      }
      auto item = JsonToItem(j);
      if (!item.ok()) return item.status();
      json error_body;
      auto r = Call(client_, "PutItem",
                    {{"TableName", table_},
                     {"Item", *item},
                     {"ConditionExpression", "attribute_not_exists(#pk)"},
                     {"ExpressionAttributeNames", {{"#pk", "document_id"}}},
                     {"ReturnValuesOnConditionCheckFailure", "ALL_OLD"}},
                    true, &error_body);
      if (!r.ok()) {
        if (!r.status().IsConflict()) return r.status();
        if (!StoredItemIs(error_body, *item)) {
          if (generate && attempt < 3) {
            NextSuffix(true);
            continue;
          }
          return Status::Conflict("audit event exists: " + stored.event_id);
        }
      }
      event.event_id = stored.event_id;
      return Status::Ok();
    }
  }

  Result<std::vector<AuditEvent>> List(const std::string& document_id) override {
    std::vector<AuditEvent> out;
    auto take = [&](const json& item) { return TakeAuditItem(item, document_id, out); };
    // The event_id sort key starts with the time: ascending is time order.
    DOCPIPE_RETURN_IF_ERROR(Paged(client_, "Query", PartitionQuery(table_, "document_id", document_id, true),
                                  0, options_.page_limit, take));
    return out;
  }

  // A key range of the partition (event_id > the cursor's), read for the
  // page and one more item, which says whether another page follows.
  Result<AuditPage> ListPage(const AuditPageQuery& q) override {
    Result<std::string> after = DecodeAuditCursor(q);
    if (!after.ok()) return after.status();
    json request = PartitionQuery(table_, "document_id", q.document_id, true);
    if (!after->empty()) {
      request["KeyConditionExpression"] = "#pk = :pk AND #sk > :after";
      request["ExpressionAttributeNames"]["#sk"] = "event_id";
      request["ExpressionAttributeValues"][":after"] = S(*after);
    }
    AuditPage page;
    auto take = [&](const json& item) { return TakeAuditItem(item, q.document_id, page.events); };
    DOCPIPE_RETURN_IF_ERROR(Paged(client_, "Query", std::move(request), static_cast<size_t>(q.limit) + 1,
                                  options_.page_limit, take));
    if (page.events.size() > static_cast<size_t>(q.limit)) {
      page.events.resize(q.limit);
      page.next_cursor = EncodeAuditCursor(q.document_id, page.events.back().event_id);
    }
    return page;
  }

  // The event-type-index holds each type's events in event_id (= time)
  // order: one Query over the range, aggregated here.
  Result<std::vector<AuditCount>> Count(const AuditCountQuery& q) override {
    DOCPIPE_RETURN_IF_ERROR(ValidateAuditCountQuery(q));
    std::map<std::pair<int64_t, std::string>, AuditCount> rows;
    auto take = [&](const json& item) -> Status {
      auto j = ItemToJson(item);
      if (!j.ok()) return j.status().Annotate("audit count");
      auto e = AuditEventFromJson(*j);
      if (!e.ok()) return e.status().Annotate("audit count");
      const int64_t bucket = q.bucket_ms > 0 ? (e->time - q.since) / q.bucket_ms : 0;
      std::string group = q.group_by == AuditCountQuery::GroupBy::kStage    ? e->stage
                          : q.group_by == AuditCountQuery::GroupBy::kWorker ? e->worker_id
                                                                            : "";
      AuditCount& c = rows[{bucket, group}];
      c.bucket_start = q.since + bucket * q.bucket_ms;
      c.group = std::move(group);
      ++c.count;
      if (!q.sum_detail.empty()) {
        auto v = e->details.find(q.sum_detail);
        if (v != e->details.end() && v->is_number()) c.sum += v->get<double>();
      }
      c.last_time = std::max(c.last_time, e->time);
      return Status::Ok();
    };
    DOCPIPE_RETURN_IF_ERROR(Paged(client_, "Query",
                                  {{"TableName", table_},
                                   {"IndexName", kEventTypeIndex},
                                   {"KeyConditionExpression", "#t = :t AND #e BETWEEN :a AND :b"},
                                   {"ExpressionAttributeNames", {{"#t", "event_type"}, {"#e", "event_id"}}},
                                   {"ExpressionAttributeValues",
                                    {{":t", S(q.event_type)},
                                     {":a", S(FormatIso8601(q.since))},
                                     // event_ids of the last millisecond sort below "<ISO>#~"
                                     {":b", S(FormatIso8601(q.until - 1) + "#~")}}}},
                                  0, options_.page_limit, take));
    std::vector<AuditCount> out;
    for (auto& [key, c] : rows) out.push_back(std::move(c));
    return out;
  }

 private:
  // Random start so writers differ; counting up keeps one writer's events
  // that share a millisecond in the order they were appended.
  uint32_t NextSuffix(bool reseed) {
    std::lock_guard lock(mu_);
    if (reseed) {
      std::random_device rd;
      next_suffix_ = static_cast<uint32_t>(rd());
      return next_suffix_;
    }
    return next_suffix_++;
  }

  std::unique_ptr<AwsClient> bound_;  // bound to the adapter's declared operations
  AwsClient& client_;
  const std::string table_;
  const DynamoDbTableOptions options_;
  std::mutex mu_;
  uint32_t next_suffix_ = 0;
};

// ---------------------------------------------------------------------------
// Metrics

class DynamoDbMetricsTable final : public MetricsTable {
 public:
  DynamoDbMetricsTable(AwsClient& client, std::string table, DynamoDbTableOptions options)
      : bound_(client.ForAdapter(DynamoDbMetricsTableOperations())), client_(*bound_), table_(std::move(table)), options_(options) {}

  Status Add(const std::string& date, const std::string& metric, double delta) override {
    if (date.empty() || metric.empty()) return Status::InvalidInput("metric needs a date and a name");
    auto d = JsonToAttributeValue(delta);
    if (!d.ok()) return d.status().Annotate("metric " + metric);
    // ADD is atomic on the server, so concurrent workers never lose an
    // increment; it is also not idempotent: a retry after a lost answer
    // would count twice, so only requests that never left are retried.
    auto r = Call(client_, "UpdateItem",
                  {{"TableName", table_},
                   {"Key", {{"date", S(date)}, {"metric", S(metric)}}},
                   {"UpdateExpression", "ADD #v :d"},
                   {"ExpressionAttributeNames", {{"#v", "value"}}},
                   {"ExpressionAttributeValues", {{":d", *d}}}},
                  /*idempotent=*/false);
    return r.ok() ? Status::Ok() : r.status();
  }

  // One transaction: the fact's marker (put only if absent) and the ADDs.
  // Either all land or none, so a repeat (a retry after a lost answer, a
  // worker counting what a killed one owed) finds the marker and adds
  // nothing; that makes the call safe to retry.
  Status AddOnce(const std::string& date, const std::string& fact,
                 const std::map<std::string, double>& deltas) override {
    if (date.empty() || fact.empty()) return Status::InvalidInput("a counted fact needs a date and a name");
    json items = json::array();
    items.push_back({{"Put",
                      {{"TableName", table_},
                       {"Item", {{"date", S(date + kCountedDateSuffix)}, {"metric", S(fact)}, {"value", N(1)}}},
                       {"ConditionExpression", "attribute_not_exists(#pk)"},
                       {"ExpressionAttributeNames", {{"#pk", "date"}}}}}});
    for (const auto& [metric, delta] : deltas) {
      if (metric.empty()) return Status::InvalidInput("metric needs a name (fact " + fact + ")");
      auto d = JsonToAttributeValue(delta);
      if (!d.ok()) return d.status().Annotate("metric " + metric);
      items.push_back({{"Update",
                        {{"TableName", table_},
                         {"Key", {{"date", S(date)}, {"metric", S(metric)}}},
                         {"UpdateExpression", "ADD #v :d"},
                         {"ExpressionAttributeNames", {{"#v", "value"}}},
                         {"ExpressionAttributeValues", {{":d", *d}}}}}});
    }
    json error_body;
    auto r = Call(client_, "TransactWriteItems", {{"TransactItems", std::move(items)}}, /*idempotent=*/true,
                  &error_body);
    if (r.ok()) return Status::Ok();
    // A cancelled transaction names a reason per item, the marker first.
    std::vector<std::string> reasons;
    if (auto it = error_body.find("CancellationReasons"); it != error_body.end() && it->is_array()) {
      for (const json& reason : *it) reasons.push_back(reason.is_object() ? StringOr(reason, "Code") : "");
    } else {
      // Emulators that only list them in the message: "[ConditionalCheckFailed, None]".
      for (const char* key : {"message", "Message"}) {
        const std::string* message = FindString(error_body, key);
        if (message != nullptr && message->find("[ConditionalCheckFailed") != std::string::npos) {
          reasons.push_back("ConditionalCheckFailed");
          break;
        }
      }
    }
    if (!reasons.empty() && reasons.front() == "ConditionalCheckFailed") return Status::Ok();  // counted before
    if (std::find(reasons.begin(), reasons.end(), "TransactionConflict") != reasons.end()) {
      // Another transaction held one of the items (two workers counting at once): try again.
      return Status::Unavailable("counting " + fact + ": " + r.status().message());
    }
    return r.status();
  }

  Status Set(const std::string& date, const std::string& metric, double value) override {
    if (date.empty() || metric.empty()) return Status::InvalidInput("metric needs a date and a name");
    auto v = JsonToAttributeValue(value);
    if (!v.ok()) return v.status().Annotate("metric " + metric);
    // SET is idempotent, so unlike ADD it may be retried freely.
    auto r = Call(client_, "UpdateItem",
                  {{"TableName", table_},
                   {"Key", {{"date", S(date)}, {"metric", S(metric)}}},
                   {"UpdateExpression", "SET #v = :v"},
                   {"ExpressionAttributeNames", {{"#v", "value"}}},
                   {"ExpressionAttributeValues", {{":v", *v}}}},
                  /*idempotent=*/true);
    return r.ok() ? Status::Ok() : r.status();
  }

  Result<std::map<std::string, double>> GetDay(const std::string& date) override {
    std::map<std::string, double> out;
    auto take = [&](const json& item) -> Status {
      const std::string metric = StringOr(item.value("metric", json::object()), "S");
      auto v = NumberToDouble(item.value("value", json()), "metric " + date + "/" + metric);
      if (!v.ok()) return v.status();
      out[metric] = *v;
      return Status::Ok();
    };
    DOCPIPE_RETURN_IF_ERROR(
        Paged(client_, "Query", PartitionQuery(table_, "date", date, true), 0, options_.page_limit, take));
    return out;
  }

  Result<std::vector<std::string>> ListDays() override {
    // Only the partition key is read; each day appears once per metric.
    std::set<std::string> days;
    auto take = [&](const json& item) -> Status {
      std::string day = StringOr(item.value("date", json::object()), "S");
      if (day.find('#') == std::string::npos) days.insert(std::move(day));  // not a "#counted" marker row
      return Status::Ok();
    };
    json req = {{"TableName", table_},
                {"ProjectionExpression", "#d"},
                {"ExpressionAttributeNames", {{"#d", "date"}}},
                {"ConsistentRead", true}};
    DOCPIPE_RETURN_IF_ERROR(Paged(client_, "Scan", req, 0, options_.page_limit, take));
    return std::vector<std::string>(days.begin(), days.end());
  }

 private:
  std::unique_ptr<AwsClient> bound_;  // bound to the adapter's declared operations
  AwsClient& client_;
  const std::string table_;
  const DynamoDbTableOptions options_;
};

// ---------------------------------------------------------------------------
// Provisioning

json Attr(const char* name) { return {{"AttributeName", name}, {"AttributeType", "S"}}; }
json Keys(const char* hash, const char* range) {
  return json::array(
      {{{"AttributeName", hash}, {"KeyType", "HASH"}}, {{"AttributeName", range}, {"KeyType", "RANGE"}}});
}
json Gsi(const char* name, const char* hash, const char* range) {
  return {{"IndexName", name}, {"KeySchema", Keys(hash, range)}, {"Projection", {{"ProjectionType", "ALL"}}}};
}
json TableRequest(const std::string& name, json attributes, json keys) {
  return {{"TableName", name},
          {"AttributeDefinitions", std::move(attributes)},
          {"KeySchema", std::move(keys)},
          {"BillingMode", "PAY_PER_REQUEST"},
          {"SSESpecification", {{"Enabled", true}}}};
}

// "document_id S HASH, processing_version S RANGE" from a KeySchema and the
// AttributeDefinitions that type it.
std::string DescribeKeys(const json& key_schema, const json& attributes) {
  std::string out;
  if (!key_schema.is_array()) return "(none)";
  for (const json& k : key_schema) {
    const std::string name = StringOr(k, "AttributeName");
    std::string type = "?";
    if (attributes.is_array()) {
      for (const json& a : attributes) {
        if (StringOr(a, "AttributeName") == name) type = StringOr(a, "AttributeType", "?");
      }
    }
    out += fmt::format("{}{} {} {}", out.empty() ? "" : ", ", name, type, StringOr(k, "KeyType"));
  }
  return out;
}

// The differences between the table DynamoDB describes and the one docpipe
// would create; "" when the keys and indexes docpipe relies on match.
// Billing mode and encryption are left to the operator.
std::string SchemaDifferences(const json& want, const json& have) {
  std::vector<std::string> diffs;
  const json empty = json::array();
  const json& want_attrs = want.at("AttributeDefinitions");
  const json& have_attrs = have.contains("AttributeDefinitions") ? have["AttributeDefinitions"] : empty;
  const std::string want_keys = DescribeKeys(want.at("KeySchema"), want_attrs);
  const std::string have_keys = DescribeKeys(have.value("KeySchema", empty), have_attrs);
  if (want_keys != have_keys)
    diffs.push_back(fmt::format("key schema is [{}], expected [{}]", have_keys, want_keys));
  const json& have_gsis = have.contains("GlobalSecondaryIndexes") ? have["GlobalSecondaryIndexes"] : empty;
  for (const json& gsi : want.value("GlobalSecondaryIndexes", empty)) {
    const std::string name = StringOr(gsi, "IndexName");
    auto found = std::find_if(have_gsis.begin(), have_gsis.end(),
                              [&](const json& g) { return StringOr(g, "IndexName") == name; });
    if (found == have_gsis.end()) {
      diffs.push_back("index " + name + " is missing");
      continue;
    }
    const std::string w = DescribeKeys(gsi.at("KeySchema"), want_attrs);
    const std::string h = DescribeKeys(found->value("KeySchema", empty), have_attrs);
    if (w != h) diffs.push_back(fmt::format("index {} has keys [{}], expected [{}]", name, h, w));
    const std::string proj =
        found->contains("Projection") ? StringOr((*found)["Projection"], "ProjectionType") : "";
    if (proj != "ALL")
      diffs.push_back(fmt::format("index {} projects {}, expected ALL", name, proj.empty() ? "?" : proj));
  }
  std::string out;
  for (const std::string& d : diffs) out += (out.empty() ? "" : "; ") + d;
  return out;
}

Result<json> DescribeTable(AwsClient& client, const std::string& name) {
  auto r = Call(client, "DescribeTable", {{"TableName", name}});
  if (!r.ok()) return r.status();
  if (!r->contains("Table")) return Status::Unavailable("DescribeTable " + name + ": answer has no Table");
  return (*r)["Table"];
}

bool IsActive(const json& table) {
  if (StringOr(table, "TableStatus") != "ACTIVE") return false;
  if (auto it = table.find("GlobalSecondaryIndexes"); it != table.end() && it->is_array()) {
    for (const json& g : *it) {
      if (StringOr(g, "IndexStatus", "ACTIVE") != "ACTIVE") return false;
    }
  }
  return true;
}

// Polls on the client's clock (MonotonicMs `deadline`) until the table is ACTIVE.
Status WaitActive(AwsClient& client, const std::string& name, json table, int64_t deadline, int64_t wait_ms) {
  Clock& clock = client.clock();
  while (!IsActive(table)) {
    const std::string status = StringOr(table, "TableStatus", "?");
    if (status == "DELETING") return Status::Unavailable("DynamoDB table " + name + " is being deleted");
    const int64_t now = clock.MonotonicMs();
    if (now >= deadline) {
      return Status::Timeout(
          fmt::format("DynamoDB table {} is not ACTIVE after {} ms (table {})", name, wait_ms, status));
    }
    clock.SleepMs(std::min<int64_t>(deadline - now, 500));
    auto d = DescribeTable(client, name);
    if (!d.ok()) return d.status();
    table = std::move(*d);
  }
  return Status::Ok();
}

Status EnsureTimeToLive(AwsClient& client, const std::string& name, const std::string& attribute) {
  auto d = Call(client, "DescribeTimeToLive", {{"TableName", name}});
  if (!d.ok()) return d.status();
  const json desc = d->value("TimeToLiveDescription", json::object());
  const std::string status = StringOr(desc, "TimeToLiveStatus", "DISABLED");
  const std::string current = StringOr(desc, "AttributeName");
  if (status == "ENABLED" || status == "ENABLING") {
    if (current == attribute) return Status::Ok();
    return Status::InvalidInput(fmt::format(
        "DynamoDB table {} has TTL on attribute '{}', docpipe expects '{}'", name, current, attribute));
  }
  if (status == "DISABLING") {
    return Status::Unavailable("DynamoDB table " + name + ": TTL is being disabled; provision again later");
  }
  auto u = Call(
      client, "UpdateTimeToLive",
      {{"TableName", name}, {"TimeToLiveSpecification", {{"Enabled", true}, {"AttributeName", attribute}}}});
  return u.ok() ? Status::Ok() : u.status();
}

Status ProvisionTable(AwsClient& client, const json& request, const std::string& ttl_attribute,
                      int64_t wait_ms) {
  const std::string name = request.at("TableName").get<std::string>();
  const int64_t deadline = client.clock().MonotonicMs() + std::max<int64_t>(0, wait_ms);
  auto table = DescribeTable(client, name);
  if (!table.ok() && table.status().IsNotFound()) {
    auto created = Call(client, "CreateTable", request);
    if (created.ok() && created->contains("TableDescription")) {
      table = (*created)["TableDescription"];
    } else {
      // Another provisioner may have created it meanwhile (ResourceInUse),
      // or an earlier attempt of ours did: the table's own description decides.
      table = DescribeTable(client, name);
      if (!table.ok()) return created.ok() ? table.status() : created.status();
    }
  }
  if (!table.ok()) return table.status();
  if (std::string diff = SchemaDifferences(request, *table); !diff.empty()) {
    return Status::InvalidInput("DynamoDB table " + name + " does not match docpipe's schema: " + diff);
  }
  DOCPIPE_RETURN_IF_ERROR(WaitActive(client, name, *table, deadline, wait_ms));
  if (!ttl_attribute.empty()) DOCPIPE_RETURN_IF_ERROR(EnsureTimeToLive(client, name, ttl_attribute));
  return Status::Ok();
}

}  // namespace

// ---------------------------------------------------------------------------
// Marshalling

Result<json> JsonToAttributeValue(const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return json{{"S", v.get<std::string>()}};
    case json::value_t::boolean:
      return json{{"BOOL", v.get<bool>()}};
    case json::value_t::null:
      return json{{"NULL", true}};
    case json::value_t::number_integer:
      return json{{"N", std::to_string(v.get<int64_t>())}};
    case json::value_t::number_unsigned:
      return json{{"N", std::to_string(v.get<uint64_t>())}};
    case json::value_t::number_float: {
      const double d = v.get<double>();
      if (!std::isfinite(d))
        return Status::InvalidInput("DynamoDB cannot store the number " + fmt::format("{}", d));
      return json{{"N", fmt::format("{}", d)}};  // shortest text that reads back as the same double
    }
    case json::value_t::object: {
      json m = json::object();
      for (const auto& [k, e] : v.items()) {
        auto av = JsonToAttributeValue(e);
        if (!av.ok()) return av.status().Annotate(k);
        m[k] = std::move(*av);
      }
      return json{{"M", std::move(m)}};
    }
    case json::value_t::array: {
      json l = json::array();
      for (const json& e : v) {
        auto av = JsonToAttributeValue(e);
        if (!av.ok()) return av.status();
        l.push_back(std::move(*av));
      }
      return json{{"L", std::move(l)}};
    }
    default:
      return Status::InvalidInput("DynamoDB cannot store a JSON " + std::string(v.type_name()));
  }
}

Result<json> AttributeValueToJson(const json& av) {
  if (!av.is_object() || av.size() != 1)
    return Status::InvalidInput("not a DynamoDB AttributeValue: " + av.dump());
  const std::string& type = av.begin().key();
  const json& v = av.begin().value();
  if (type == "S" && v.is_string()) return v;
  if (type == "N" && v.is_string()) return ParseNumber(v.get<std::string>());
  if (type == "BOOL" && v.is_boolean()) return v;
  if (type == "NULL") return json(nullptr);
  if (type == "M" && v.is_object()) return ItemToJson(v);
  if (type == "L" && v.is_array()) {
    json out = json::array();
    for (const json& e : v) {
      auto j = AttributeValueToJson(e);
      if (!j.ok()) return j.status();
      out.push_back(std::move(*j));
    }
    return out;
  }
  // docpipe never writes sets; read them as lists should someone else.
  if ((type == "SS" || type == "NS") && v.is_array()) {
    json out = json::array();
    for (const json& e : v) {
      if (!e.is_string()) return Status::InvalidInput("DynamoDB " + type + " element is not a string");
      auto j = type == "SS" ? Result<json>(e) : ParseNumber(e.get<std::string>());
      if (!j.ok()) return j.status();
      out.push_back(std::move(*j));
    }
    return out;
  }
  return Status::InvalidInput("unsupported DynamoDB AttributeValue type " + type);
}

Result<json> JsonToItem(const json& object) {
  if (!object.is_object()) return Status::InvalidInput("a DynamoDB item must be a JSON object");
  json item = json::object();
  for (const auto& [k, v] : object.items()) {
    auto av = JsonToAttributeValue(v);
    if (!av.ok()) return av.status().Annotate("attribute " + k);
    item[k] = std::move(*av);
  }
  return item;
}

Result<json> ItemToJson(const json& item) {
  if (!item.is_object()) return Status::InvalidInput("a DynamoDB item must be an object");
  json out = json::object();
  for (const auto& [k, av] : item.items()) {
    auto v = AttributeValueToJson(av);
    if (!v.ok()) return v.status().Annotate("attribute " + k);
    out[k] = std::move(*v);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Declared operations (aws/aws_operations.h)

namespace {
AwsOperation Op(const char* name, std::vector<AwsPermission> permissions) { return {name, std::move(permissions)}; }
AwsPermission OnTable(const char* name) { return {std::string("dynamodb:") + name, AwsResourceKind::kTable, ""}; }
}  // namespace

const AwsOperationSet& DynamoDbControlTableOperations() {
  // List(status) queries the status-updated-index: Query also on the indexes.
  static const AwsOperationSet ops{
      "dynamodb-control-table",
      "dynamodb",
      {Op("PutItem", {OnTable("PutItem")}), Op("GetItem", {OnTable("GetItem")}),
       Op("UpdateItem", {OnTable("UpdateItem")}), Op("DeleteItem", {OnTable("DeleteItem")}),
       Op("Scan", {OnTable("Scan")}),
       Op("Query", {OnTable("Query"), {"dynamodb:Query", AwsResourceKind::kTableIndexes, ""}})}};
  return ops;
}

const AwsOperationSet& DynamoDbAuditLogOperations() {
  // Count queries the event-type-index: Query also on the indexes.
  static const AwsOperationSet ops{
      "dynamodb-audit-log",
      "dynamodb",
      {Op("PutItem", {OnTable("PutItem")}),
       Op("Query", {OnTable("Query"), {"dynamodb:Query", AwsResourceKind::kTableIndexes, ""}})}};
  return ops;
}

const AwsOperationSet& DynamoDbMetricsTableOperations() {
  static const AwsOperationSet ops{"dynamodb-metrics-table",
                                   "dynamodb",
                                   {Op("UpdateItem", {OnTable("UpdateItem")}), Op("Query", {OnTable("Query")}),
                                    Op("Scan", {OnTable("Scan")}),
                                    // AddOnce: the marker's Put and the counters' Updates
                                    Op("TransactWriteItems", {OnTable("PutItem"), OnTable("UpdateItem")})}};
  return ops;
}

const AwsOperationSet& DynamoDbProvisionOperations() {
  static const AwsOperationSet ops{"dynamodb-provision",
                                   "dynamodb",
                                   {Op("DescribeTable", {OnTable("DescribeTable")}),
                                    Op("CreateTable", {OnTable("CreateTable")}),
                                    Op("DescribeTimeToLive", {OnTable("DescribeTimeToLive")}),
                                    Op("UpdateTimeToLive", {OnTable("UpdateTimeToLive")})}};
  return ops;
}

// ---------------------------------------------------------------------------

ControlTablePtr NewDynamoDbControlTable(AwsClient& client, std::string table, DynamoDbTableOptions options) {
  return std::make_unique<DynamoDbControlTable>(client, std::move(table), options);
}

AuditLogPtr NewDynamoDbAuditLog(AwsClient& client, std::string table, DynamoDbTableOptions options) {
  return std::make_unique<DynamoDbAuditLog>(client, std::move(table), options);
}

MetricsTablePtr NewDynamoDbMetricsTable(AwsClient& client, std::string table, DynamoDbTableOptions options) {
  return std::make_unique<DynamoDbMetricsTable>(client, std::move(table), options);
}

std::vector<json> DynamoDbCreateTableRequests(const DynamoDbTableNames& names) {
  json control = TableRequest(names.control,
                              json::array({Attr("document_id"), Attr("processing_version"), Attr("status"),
                                           Attr("current_stage"), Attr("updated_at")}),
                              Keys("document_id", "processing_version"));
  control["GlobalSecondaryIndexes"] = json::array(
      {Gsi(kStatusIndex, "status", "updated_at"), Gsi(kStageIndex, "current_stage", "updated_at")});
  json audit = TableRequest(names.audit, json::array({Attr("document_id"), Attr("event_id"), Attr("event_type")}),
                            Keys("document_id", "event_id"));
  audit["GlobalSecondaryIndexes"] = json::array({Gsi(kEventTypeIndex, "event_type", "event_id")});
  json metrics =
      TableRequest(names.metrics, json::array({Attr("date"), Attr("metric")}), Keys("date", "metric"));
  return {std::move(control), std::move(audit), std::move(metrics)};
}

std::map<std::string, std::string> DynamoDbTimeToLiveAttributes(const DynamoDbTableNames& names) {
  return {{names.control, kTtlAttribute}, {names.audit, kTtlAttribute}};
}

Status ProvisionDynamoDbTables(AwsClient& any_client, const DynamoDbTableNames& names, int64_t wait_ms) {
  std::unique_ptr<AwsClient> bound = any_client.ForAdapter(DynamoDbProvisionOperations());
  AwsClient& client = *bound;
  const auto ttl = DynamoDbTimeToLiveAttributes(names);
  for (const json& request : DynamoDbCreateTableRequests(names)) {
    const std::string name = request.at("TableName").get<std::string>();
    auto it = ttl.find(name);
    DOCPIPE_RETURN_IF_ERROR(ProvisionTable(client, request, it == ttl.end() ? "" : it->second, wait_ms));
  }
  return Status::Ok();
}

}  // namespace docpipe
