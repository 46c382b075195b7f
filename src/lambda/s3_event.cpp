#include "lambda/s3_event.h"

#include <fmt/format.h>

#include "http/http_client.h"
#include "common/strings.h"

namespace docpipe {
namespace {

using json = nlohmann::json;

// The member `name` of an object, or nullptr when absent, null or `j` is no object.
const json* Member(const json& j, const char* name) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

// The string member `name`, or "" when absent or not a string.
std::string StringMember(const json& j, const char* name) {
  const json* v = Member(j, name);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

bool IsTestEvent(const json& j) { return StringMember(j, "Event") == "s3:TestEvent"; }

S3EventRecord Ignored(std::string reason) {
  S3EventRecord r;
  r.kind = S3EventRecord::Kind::kIgnored;
  r.reason = std::move(reason);
  return r;
}

// Reads bucket.name and object.{key, size, <etag_field>} from `holder` (the
// "s3" member of a notification record, or an EventBridge "detail").
S3EventRecord ReadObject(const std::string& where, const json& holder, const char* etag_field,
                         std::string event_name) {
  S3EventRecord rec;
  rec.kind = S3EventRecord::Kind::kInvalid;
  const json* object = Member(holder, "object");
  if (object != nullptr && Member(*object, "key") != nullptr && Member(*object, "key")->is_string()) {
    rec.raw_key = Member(*object, "key")->get<std::string>();
  }
  auto invalid = [&](const std::string& problem) {
    rec.reason = fmt::format("{}: {}", where, problem);
    return rec;
  };
  const json* bucket = Member(holder, "bucket");
  if (bucket == nullptr || !bucket->is_object()) return invalid("missing bucket");
  const json* name = Member(*bucket, "name");
  if (name == nullptr || !name->is_string() || name->get<std::string>().empty()) {
    return invalid("missing bucket.name");
  }
  if (object == nullptr || !object->is_object()) return invalid("missing object");
  const json* key = Member(*object, "key");
  if (key == nullptr || !key->is_string() || rec.raw_key.empty()) return invalid("missing object.key");
  const json* size = Member(*object, "size");
  if (size == nullptr) return invalid("missing object.size");
  if (!size->is_number_integer() || size->get<int64_t>() < 0) {
    return invalid("object.size must be a non-negative integer, not " + size->dump());
  }
  const json* etag = Member(*object, etag_field);
  if (etag == nullptr || !etag->is_string() || etag->get<std::string>().empty()) {
    return invalid(fmt::format("missing object.{}", etag_field));
  }
  // Keys arrive form-encoded: "red flower+1.pdf" is sent as "red+flower%2B1.pdf".
  Result<std::string> decoded = UriDecode(rec.raw_key, /*plus_is_space=*/true);
  if (!decoded.ok()) return invalid("object.key: " + decoded.status().message());
  rec.kind = S3EventRecord::Kind::kObjectCreated;
  rec.object.bucket = name->get<std::string>();
  rec.object.key = std::move(*decoded);
  rec.object.size = size->get<int64_t>();
  rec.object.etag = etag->get<std::string>();
  rec.object.event_name = std::move(event_name);
  return rec;
}

Status ParseInto(const json& event, const std::string& where, bool nested, S3Event& out);

// An SQS body or SNS message: JSON text holding another event, whose records
// are added to `out`. Returns the problem, "" when there was none.
std::string ParseWrapped(const std::string& where, const json* text, S3Event& out) {
  if (text == nullptr || !text->is_string()) return where + ": missing";
  json inner = json::parse(text->get<std::string>(), nullptr, /*allow_exceptions=*/false);
  if (inner.is_discarded()) return where + ": not JSON";
  Status st = ParseInto(inner, where, /*nested=*/true, out);
  return st.ok() ? "" : st.message();
}

Status ParseRecords(const json& records, const std::string& where, bool nested, S3Event& out) {
  if (!records.is_array()) return Status::InvalidInput(where + "Records: not an array");
  for (size_t i = 0; i < records.size(); ++i) {
    const json& r = records[i];
    const std::string at = fmt::format("{}Records[{}]", where, i);
    // SNS spells it "EventSource".
    std::string source = StringMember(r, "eventSource");
    if (source.empty()) source = StringMember(r, "EventSource");
    if (source == "aws:s3") {
      std::string name = StringMember(r, "eventName");
      if (name.rfind("ObjectCreated:", 0) != 0) {
        out.records.push_back(Ignored(fmt::format("{}: event '{}' is not ObjectCreated", at, name)));
        continue;
      }
      const json* s3 = Member(r, "s3");
      if (s3 == nullptr || !s3->is_object()) {
        S3EventRecord bad;
        bad.reason = at + ": missing s3";
        out.records.push_back(std::move(bad));
        continue;
      }
      out.records.push_back(ReadObject(at + ".s3", *s3, "eTag", name));
      continue;
    }
    // One level of wrapping only: a queue of queues is not a shape AWS makes.
    if (!nested && (source == "aws:sqs" || source == "aws:sns")) {
      const std::string inner_at = at + (source == "aws:sqs" ? ".body" : ".Sns.Message");
      const json* text = source == "aws:sqs" ? Member(r, "body") : nullptr;
      if (source == "aws:sns") {
        const json* sns = Member(r, "Sns");
        text = sns != nullptr ? Member(*sns, "Message") : nullptr;
      }
      std::string problem = ParseWrapped(inner_at, text, out);
      if (!problem.empty()) {
        S3EventRecord bad;
        bad.reason = std::move(problem);
        out.records.push_back(std::move(bad));
      }
      continue;
    }
    out.records.push_back(Ignored(fmt::format("{}: not an S3 record (eventSource '{}')", at, source)));
  }
  return Status::Ok();
}

Status ParseInto(const json& event, const std::string& where, bool nested, S3Event& out) {
  const std::string prefix = where.empty() ? "" : where + ".";
  if (!event.is_object())
    return Status::InvalidInput((where.empty() ? "event" : where) + ": not a JSON object");
  if (IsTestEvent(event)) {
    out.test_event = true;
    return Status::Ok();
  }
  if (const json* records = Member(event, "Records")) return ParseRecords(*records, prefix, nested, out);
  if (Member(event, "detail-type") != nullptr && Member(event, "source") != nullptr) {
    const std::string source = StringMember(event, "source");
    const std::string type = StringMember(event, "detail-type");
    const std::string at = where.empty() ? "event" : where;
    if (source != "aws.s3") {
      out.records.push_back(Ignored(fmt::format("{}: not an S3 event (source '{}')", at, source)));
    } else if (type != "Object Created") {
      out.records.push_back(Ignored(fmt::format("{}: event '{}' is not Object Created", at, type)));
    } else {
      const json* detail = Member(event, "detail");
      if (detail == nullptr || !detail->is_object()) {
        S3EventRecord bad;
        bad.reason = at + ": missing detail";
        out.records.push_back(std::move(bad));
      } else {
        std::string reason = StringMember(*detail, "reason");
        out.records.push_back(ReadObject(at + ".detail", *detail, "etag", reason.empty() ? type : reason));
      }
    }
    return Status::Ok();
  }
  std::string keys;
  for (const auto& [k, v] : event.items()) {
    if (keys.size() > 80) {
      keys += ", ...";
      break;
    }
    keys += (keys.empty() ? "" : ", ") + k;
  }
  return Status::InvalidInput(fmt::format(
      "{}not an S3 event notification, EventBridge S3 event or SQS/SNS message (top-level keys: {})",
      where.empty() ? "" : where + ": ", keys.empty() ? "none" : keys));
}

}  // namespace

Result<S3Event> ParseS3Event(const nlohmann::json& event) {
  S3Event out;
  DOCPIPE_RETURN_IF_ERROR(ParseInto(event, "", /*nested=*/false, out));
  return out;
}

}  // namespace docpipe
