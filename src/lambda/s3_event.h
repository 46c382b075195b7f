#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace docpipe {

// One "object created" notification, as the event names it.
struct S3ObjectCreated {
  std::string bucket;
  std::string key;  // URL-decoded: the real object key
  int64_t size = 0;
  std::string etag;        // as sent (events send it without quotes)
  std::string event_name;  // "ObjectCreated:Put", or the EventBridge reason
};

// What one record of an event turned out to be.
struct S3EventRecord {
  enum class Kind {
    kObjectCreated,  // `object` is filled
    kIgnored,        // not for us (another event type or source); `reason` says why
    kInvalid,        // malformed; `reason` names the record and the problem
  };
  Kind kind = Kind::kInvalid;
  S3ObjectCreated object;
  std::string raw_key;  // the key as the event sent it, when there was one
  std::string reason;
};

struct S3Event {
  bool test_event = false;  // s3:TestEvent, sent when a notification is configured
  std::vector<S3EventRecord> records;
};

// Reads the event shapes a Lambda can receive for new objects:
//   - an S3 event notification: {"Records": [{"eventSource": "aws:s3",
//     "eventName": "ObjectCreated:*", "s3": {"bucket": {"name"},
//     "object": {"key", "size", "eTag"}}}]}; the key is URL-encoded with '+'
//     for a space;
//   - an EventBridge "Object Created" event (source "aws.s3", detail.bucket.name,
//     detail.object.{key, size, etag}); its key is decoded the same way;
//   - either of these wrapped in SQS records (body) or SNS records
//     (Sns.Message), one level deep, so a queue or topic in between works;
//   - s3:TestEvent, bare or wrapped: test_event, no records.
// A record of another source or event type is kIgnored; a record with a
// missing or mistyped field is kInvalid with a message naming it. The whole
// event is InvalidInput only when it is none of these shapes.
Result<S3Event> ParseS3Event(const nlohmann::json& event);

}  // namespace docpipe
