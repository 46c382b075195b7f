#include "queue/sqs_work_queue.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace docpipe {
namespace {

constexpr const char* kJsonVersion = "1.0";
constexpr int64_t kMaxDelaySeconds = 900;             // SQS DelaySeconds maximum
constexpr int64_t kMaxVisibilitySeconds = 43'200;     // SQS VisibilityTimeout maximum
constexpr int64_t kMaxWaitSeconds = 20;               // SQS WaitTimeSeconds maximum
constexpr int kMaxMessagesPerReceive = 10;            // SQS MaxNumberOfMessages maximum
constexpr int64_t kLongPollSlackMs = 10'000;          // HTTP timeout beyond the long-poll wait
constexpr int kDlqRetentionSeconds = 14 * 24 * 3600;  // SQS maximum, time to inspect failures

std::string Target(const char* action) { return std::string("AmazonSQS.") + action; }

int64_t CeilSeconds(int64_t ms) { return (ms + 999) / 1000; }

// Whether an error Status from AwsClient carries the SQS error `code`. Its
// message is "<target>: <Code>: <message> (HTTP <status>)" (AwsErrorStatus),
// possibly annotated in front.
bool HasErrorCode(const Status& status, const std::string& code) {
  return status.message().find(": " + code + ":") != std::string::npos;
}

// Whether SQS refused a receipt handle because it no longer names an
// in-flight message of ours. Real SQS answers ReceiptHandleIsInvalid,
// AWS.SimpleQueueService.MessageNotInflight, or InvalidParameterValue
// ("Value ... for parameter ReceiptHandle is invalid. Reason: The receipt
// handle has expired." / "Message does not exist or is not available for
// visibility timeout change."); an InvalidParameterValue about anything else
// (e.g. the 12 h visibility limit) is a real error.
bool IsStaleReceipt(const Status& status) {
  if (status.code() != Status::Code::kInvalidInput) return false;
  if (HasErrorCode(status, "ReceiptHandleIsInvalid") || HasErrorCode(status, "MessageNotInflight") ||
      HasErrorCode(status, "AWS.SimpleQueueService.MessageNotInflight")) {
    return true;
  }
  if (!HasErrorCode(status, "InvalidParameterValue")) return false;
  std::string lower = status.message();
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find("receipthandle") != std::string::npos || lower.find("receipt handle") != std::string::npos;
}

// SQS returns numeric attributes as decimal strings.
Result<int64_t> IntAttribute(const nlohmann::json& response, const char* name, const std::string& queue_url) {
  const nlohmann::json* attrs = response.contains("Attributes") ? &response["Attributes"] : nullptr;
  if (attrs == nullptr || !attrs->is_object() || !attrs->contains(name) || !(*attrs)[name].is_string()) {
    return Status::Unavailable(fmt::format("SQS GetQueueAttributes {}: no {} in the answer", queue_url, name));
  }
  const std::string& s = (*attrs)[name].get_ref<const std::string&>();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return Status::Unavailable(fmt::format("SQS GetQueueAttributes {}: {} is not a number", queue_url, name));
  }
  return v;
}

Result<nlohmann::json> GetAttributes(AwsClient& sqs, const std::string& queue_url,
                                     const std::vector<std::string>& names) {
  return sqs.CallJson(Target("GetQueueAttributes"), kJsonVersion, {{"QueueUrl", queue_url}, {"AttributeNames", names}},
                      /*idempotent=*/true);
}

class SqsWorkQueue final : public WorkQueue {
 public:
  SqsWorkQueue(AwsClient& sqs, SqsQueueOptions options)
      : bound_(sqs.ForAdapter(SqsWorkQueueOperations())), sqs_(*bound_), options_(std::move(options)) {}

  Status Send(const std::string& body, int64_t delay_ms) override {
    if (delay_ms < 0) return Status::InvalidInput(fmt::format("SQS queue {}: negative delay {}", url(), delay_ms));
    nlohmann::json req = {{"QueueUrl", url()},
                          {"MessageBody", body},
                          {"DelaySeconds", std::min(kMaxDelaySeconds, CeilSeconds(delay_ms))}};
    // Retrying may enqueue the same body twice; that is safe because message
    // bodies are idempotent by design: a message only says "look at this
    // document version" and the control table's claim decides the work.
    auto r = sqs_.CallJson(Target("SendMessage"), kJsonVersion, req, /*idempotent=*/true);
    return r.ok() ? Status::Ok() : r.status();
  }

  Result<std::vector<QueueMessage>> Receive(int max, int64_t visibility_ms, int64_t wait_ms) override {
    if (max <= 0 || visibility_ms < 0 || wait_ms < 0) {
      return Status::InvalidInput(fmt::format("SQS queue {}: bad receive arguments max={} visibility_ms={} wait_ms={}",
                                              url(), max, visibility_ms, wait_ms));
    }
    return ReceiveFrom(url(), max, std::min(kMaxVisibilitySeconds, CeilSeconds(visibility_ms)),
                       std::min(kMaxWaitSeconds, wait_ms / 1000));
  }

  // A receive from the DLQ with visibility 0, so the messages stay there for
  // the next look. Each look is a delivery to SQS: a dead letter's
  // receive_count counts its deliveries from the work queue plus earlier looks.
  // A short poll, not to hold up its caller's loop; SQS then samples only
  // some of its servers, so a look may miss messages the next one finds.
  Result<std::vector<QueueMessage>> PeekDeadLetters(int max) override {
    if (max <= 0) return Status::InvalidInput(fmt::format("SQS queue {}: bad peek max={}", url(), max));
    if (options_.dlq_url.empty()) {
      return Status::InvalidInput(fmt::format("SQS queue {}: no dead-letter queue URL configured", url()));
    }
    return ReceiveFrom(options_.dlq_url, max, /*visibility_s=*/0, /*wait_s=*/0);
  }

  Status DeleteDeadLetter(const std::string& receipt_handle) override {
    if (options_.dlq_url.empty()) {
      return Status::InvalidInput(fmt::format("SQS queue {}: no dead-letter queue URL configured", url()));
    }
    auto r = sqs_.CallJson(Target("DeleteMessage"), kJsonVersion,
                           {{"QueueUrl", options_.dlq_url}, {"ReceiptHandle", receipt_handle}}, /*idempotent=*/true);
    if (r.ok() || IsStaleReceipt(r.status())) return Status::Ok();  // as Delete: already gone
    return r.status();
  }

  Status ChangeVisibility(const std::string& receipt_handle, int64_t visibility_ms) override {
    if (visibility_ms < 0) {
      return Status::InvalidInput(fmt::format("SQS queue {}: negative visibility {}", url(), visibility_ms));
    }
    nlohmann::json req = {{"QueueUrl", url()},
                          {"ReceiptHandle", receipt_handle},
                          {"VisibilityTimeout", std::min(kMaxVisibilitySeconds, CeilSeconds(visibility_ms))}};
    // Idempotent: the timeout counts from the (last) call.
    auto r = sqs_.CallJson(Target("ChangeMessageVisibility"), kJsonVersion, req, /*idempotent=*/true);
    if (r.ok()) return Status::Ok();
    if (IsStaleReceipt(r.status())) {
      return Status::NotFound(fmt::format("SQS queue {}: stale receipt handle ({})", url(), r.status().message()));
    }
    return r.status();
  }

  Status Delete(const std::string& receipt_handle) override {
    auto r = sqs_.CallJson(Target("DeleteMessage"), kJsonVersion, {{"QueueUrl", url()}, {"ReceiptHandle", receipt_handle}},
                           /*idempotent=*/true);
    // A handle SQS no longer accepts names a message that is already gone
    // (deleted, or redelivered and deleted by its new holder). SQS cannot tell
    // such a handle from a garbled one, so neither can we.
    if (r.ok() || IsStaleReceipt(r.status())) return Status::Ok();
    return r.status();
  }

  // SQS has no lookup by body; a receive would hide what it looks at.
  Result<std::optional<bool>> HasMessage(const std::string&) override { return std::optional<bool>(); }

  Result<QueueStats> Stats() override {
    auto r = GetAttributes(sqs_, url(),
                           {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                            "ApproximateNumberOfMessagesDelayed"});
    if (!r.ok()) return r.status();
    QueueStats stats;
    auto visible = IntAttribute(*r, "ApproximateNumberOfMessages", url());
    auto in_flight = IntAttribute(*r, "ApproximateNumberOfMessagesNotVisible", url());
    auto delayed = IntAttribute(*r, "ApproximateNumberOfMessagesDelayed", url());
    for (const Result<int64_t>* v : {&visible, &in_flight, &delayed}) {
      if (!v->ok()) return v->status();
    }
    stats.visible = *visible;
    stats.in_flight = *in_flight;
    stats.delayed = *delayed;
    if (!options_.dlq_url.empty()) {
      auto d = GetAttributes(sqs_, options_.dlq_url, {"ApproximateNumberOfMessages"});
      if (!d.ok()) return d.status();
      auto dead = IntAttribute(*d, "ApproximateNumberOfMessages", options_.dlq_url);
      if (!dead.ok()) return dead.status();
      stats.dead = *dead;
    }
    return stats;
  }

 private:
  const std::string& url() const { return options_.queue_url; }

  // One ReceiveMessage call on `queue_url`.
  Result<std::vector<QueueMessage>> ReceiveFrom(const std::string& queue_url, int max, int64_t visibility_s,
                                                int64_t wait_s) {
    // WaitTimeSeconds is always sent: otherwise the queue's default
    // (ReceiveMessageWaitTimeSeconds, 20 s when provisioned here) applies.
    nlohmann::json req = {{"QueueUrl", queue_url},
                          {"MaxNumberOfMessages", std::min(max, kMaxMessagesPerReceive)},
                          {"VisibilityTimeout", visibility_s},
                          {"WaitTimeSeconds", wait_s},
                          // The newer name and the deprecated one, for older endpoints.
                          {"MessageSystemAttributeNames", nlohmann::json::array({"ApproximateReceiveCount"})},
                          {"AttributeNames", nlohmann::json::array({"ApproximateReceiveCount"})}};
    // The HTTP exchange must outlast the long poll, or every empty poll
    // would end as a timeout.
    const int64_t timeout_ms = std::max(sqs_.config().timeout_ms, wait_s * 1000 + kLongPollSlackMs);
    // Safe to retry: a receive whose answer was lost only leaves its
    // messages hidden until their visibility timeout passes.
    auto r = sqs_.CallJson(Target("ReceiveMessage"), kJsonVersion, req, /*idempotent=*/true, timeout_ms);
    if (!r.ok()) return r.status();
    std::vector<QueueMessage> out;
    if (!r->contains("Messages")) return out;  // nothing arrived
    const nlohmann::json& messages = (*r)["Messages"];
    if (!messages.is_array()) return Malformed(queue_url, "Messages is not a list");
    for (const nlohmann::json& m : messages) {
      if (!m.is_object() || !m.contains("ReceiptHandle") || !m["ReceiptHandle"].is_string() || !m.contains("Body") ||
          !m["Body"].is_string()) {
        return Malformed(queue_url, "a message lacks ReceiptHandle or Body");
      }
      QueueMessage q;
      q.message_id = m.value("MessageId", "");
      q.receipt_handle = m["ReceiptHandle"].get<std::string>();
      q.body = m["Body"].get<std::string>();
      // At least this delivery, should the attribute ever be missing.
      q.receive_count = 1;
      if (m.contains("Attributes") && m["Attributes"].is_object()) {
        std::string count = m["Attributes"].value("ApproximateReceiveCount", "");
        int v = 0;
        auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), v);
        if (ec == std::errc() && end == count.data() + count.size() && v > 0) q.receive_count = v;
      }
      out.push_back(std::move(q));
    }
    return out;
  }

  static Status Malformed(const std::string& queue_url, const std::string& what) {
    return Status::Unavailable(fmt::format("SQS ReceiveMessage {}: malformed answer: {}", queue_url, what));
  }

  std::unique_ptr<AwsClient> bound_;  // bound to SqsWorkQueueOperations()
  AwsClient& sqs_;
  const SqsQueueOptions options_;
};

// CreateQueue, or, when the queue exists with other attributes (SQS answers
// QueueAlreadyExists), SetQueueAttributes so a re-provision converges.
// Returns the queue URL.
Result<std::string> CreateOrUpdateQueue(AwsClient& sqs, const std::string& name, const nlohmann::json& attributes) {
  auto created = sqs.CallJson(Target("CreateQueue"), kJsonVersion, {{"QueueName", name}, {"Attributes", attributes}},
                              /*idempotent=*/true);
  if (created.ok()) {
    if (!created->contains("QueueUrl") || !(*created)["QueueUrl"].is_string()) {
      return Status::Unavailable(fmt::format("SQS CreateQueue {}: no QueueUrl in the answer", name));
    }
    return (*created)["QueueUrl"].get<std::string>();
  }
  if (!HasErrorCode(created.status(), "QueueAlreadyExists") && !HasErrorCode(created.status(), "QueueNameExists")) {
    return created.status();
  }
  auto url = GetSqsQueueUrl(sqs, name);
  if (!url.ok()) return url.status();
  auto set = sqs.CallJson(Target("SetQueueAttributes"), kJsonVersion, {{"QueueUrl", *url}, {"Attributes", attributes}},
                          /*idempotent=*/true);
  if (!set.ok()) return set.status();
  return url;
}

}  // namespace

Result<WorkQueuePtr> NewSqsWorkQueue(AwsClient& sqs, SqsQueueOptions options) {
  if (options.queue_url.empty()) return Status::InvalidInput("SQS work queue needs a queue URL");
  return WorkQueuePtr(std::make_unique<SqsWorkQueue>(sqs, std::move(options)));
}

namespace {
AwsOperation QueueOp(const char* name) { return {name, {{std::string("sqs:") + name, AwsResourceKind::kQueue, ""}}}; }
}  // namespace

const AwsOperationSet& SqsWorkQueueOperations() {
  // ReceiveMessage, DeleteMessage and GetQueueAttributes also on the dead-letter queue
  // (PeekDeadLetters, DeleteDeadLetter, Stats).
  static const AwsOperationSet ops{"sqs-work-queue",
                                   "sqs",
                                   {QueueOp("SendMessage"), QueueOp("ReceiveMessage"),
                                    QueueOp("ChangeMessageVisibility"), QueueOp("DeleteMessage"),
                                    QueueOp("GetQueueAttributes")}};
  return ops;
}

const AwsOperationSet& SqsQueueLookupOperations() {
  static const AwsOperationSet ops{"sqs-queue-lookup", "sqs", {QueueOp("GetQueueUrl")}};
  return ops;
}

const AwsOperationSet& SqsProvisionOperations() {
  static const AwsOperationSet ops{
      "sqs-provision", "sqs", {QueueOp("CreateQueue"), QueueOp("SetQueueAttributes"), QueueOp("GetQueueAttributes")}};
  return ops;
}

Result<std::string> GetSqsQueueUrl(AwsClient& any_sqs, const std::string& name) {
  std::unique_ptr<AwsClient> bound = any_sqs.ForAdapter(SqsQueueLookupOperations());
  AwsClient& sqs = *bound;
  auto r = sqs.CallJson(Target("GetQueueUrl"), kJsonVersion, {{"QueueName", name}}, /*idempotent=*/true);
  if (!r.ok()) return r.status().Annotate(fmt::format("SQS queue {}", name));
  if (!r->contains("QueueUrl") || !(*r)["QueueUrl"].is_string()) {
    return Status::Unavailable(fmt::format("SQS GetQueueUrl {}: no QueueUrl in the answer", name));
  }
  return (*r)["QueueUrl"].get<std::string>();
}

nlohmann::json SqsDeadLetterQueueAttributes() {
  // SQS attribute values are strings, even numbers and the redrive policy.
  return {{"MessageRetentionPeriod", std::to_string(kDlqRetentionSeconds)}};
}

nlohmann::json SqsWorkQueueAttributes(const std::string& dlq_arn, int max_receive_count, int visibility_timeout_s) {
  nlohmann::json redrive = {{"deadLetterTargetArn", dlq_arn}, {"maxReceiveCount", max_receive_count}};
  return {{"RedrivePolicy", redrive.dump()},
          {"VisibilityTimeout", std::to_string(visibility_timeout_s)},
          {"ReceiveMessageWaitTimeSeconds", std::to_string(kMaxWaitSeconds)}};
}

Status ProvisionSqsQueues(AwsClient& any_sqs, const std::string& queue_name, const std::string& dlq_name,
                          int max_receive_count, int visibility_timeout_s) {
  std::unique_ptr<AwsClient> bound = any_sqs.ForAdapter(SqsProvisionOperations());
  AwsClient& sqs = *bound;
  if (queue_name.empty() || dlq_name.empty() || queue_name == dlq_name) {
    return Status::InvalidInput("SQS provisioning needs two distinct queue names");
  }
  if (max_receive_count < 1 || max_receive_count > 1000) {
    return Status::InvalidInput(fmt::format("SQS maxReceiveCount must be 1..1000, not {}", max_receive_count));
  }
  if (visibility_timeout_s < 0 || visibility_timeout_s > kMaxVisibilitySeconds) {
    return Status::InvalidInput(fmt::format("SQS VisibilityTimeout must be 0..43200 s, not {}", visibility_timeout_s));
  }
  auto dlq_url = CreateOrUpdateQueue(sqs, dlq_name, SqsDeadLetterQueueAttributes());
  if (!dlq_url.ok()) return dlq_url.status().Annotate("provisioning the dead-letter queue " + dlq_name);
  auto arn_answer = GetAttributes(sqs, *dlq_url, {"QueueArn"});
  if (!arn_answer.ok()) return arn_answer.status().Annotate("provisioning the dead-letter queue " + dlq_name);
  const nlohmann::json& attrs = arn_answer->contains("Attributes") ? (*arn_answer)["Attributes"] : nlohmann::json();
  if (!attrs.is_object() || !attrs.contains("QueueArn") || !attrs["QueueArn"].is_string()) {
    return Status::Unavailable(fmt::format("SQS GetQueueAttributes {}: no QueueArn in the answer", *dlq_url));
  }
  auto url = CreateOrUpdateQueue(
      sqs, queue_name, SqsWorkQueueAttributes(attrs["QueueArn"].get<std::string>(), max_receive_count, visibility_timeout_s));
  if (!url.ok()) return url.status().Annotate("provisioning the work queue " + queue_name);
  return Status::Ok();
}

}  // namespace docpipe
