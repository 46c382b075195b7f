#include "lambda/s3_event_handler.h"

#include <strings.h>

#include <fmt/format.h>

#include "lambda/s3_event.h"

namespace docpipe {
namespace {

bool HasSuffixIgnoringCase(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && strcasecmp(s.c_str() + s.size() - suffix.size(), suffix.c_str()) == 0;
}

}  // namespace

nlohmann::json S3EventSummary::ToJson() const {
  nlohmann::json failures = nlohmann::json::array();
  for (const Failure& f : failed) failures.push_back({{"key", f.key}, {"error", f.error}});
  return {{"registered", registered}, {"duplicates", duplicates}, {"skipped", skipped},
          {"failed", std::move(failures)}, {"documents", documents}, {"test_event", test_event}};
}

std::string S3EventSummary::FailureMessage() const {
  const size_t total = static_cast<size_t>(registered + duplicates + skipped) + failed.size();
  std::string msg = fmt::format("{} of {} records failed", failed.size(), total);
  // The first few are enough to act on; the log has every one.
  for (size_t i = 0; i < failed.size() && i < 5; ++i) {
    msg += fmt::format("{} {}: {}", i == 0 ? ":" : ";", failed[i].key.empty() ? "(no key)" : failed[i].key,
                       failed[i].error);
  }
  if (failed.size() > 5) msg += fmt::format("; and {} more", failed.size() - 5);
  return msg;
}

S3EventHandler::S3EventHandler(Registrar& registrar, S3EventHandlerOptions options)
    : registrar_(registrar), options_(std::move(options)) {}

Result<S3EventSummary> S3EventHandler::HandleText(const std::string& payload, Logger& log) {
  nlohmann::json event = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded()) {
    return Status::InvalidInput(fmt::format("event is not JSON ({} bytes, starts '{}')", payload.size(),
                                            payload.substr(0, 40)));
  }
  return Handle(event, log);
}

Result<S3EventSummary> S3EventHandler::Handle(const nlohmann::json& event, Logger& log) {
  Result<S3Event> parsed = ParseS3Event(event);
  if (!parsed.ok()) return parsed.status();
  S3EventSummary summary;
  summary.test_event = parsed->test_event;
  if (parsed->test_event) log.Info("s3_test_event_ignored");

  auto skip = [&](const std::string& key, const std::string& reason) {
    ++summary.skipped;
    log.Info("s3_record_skipped", {{"key", key}, {"reason", reason}});
  };
  auto fail = [&](const std::string& key, const std::string& error, const std::string& document_id) {
    summary.failed.push_back({key, error});
    nlohmann::json fields = {{"key", key}, {"error", error}};
    if (!document_id.empty()) fields["document_id"] = document_id;
    log.Error("s3_record_failed", std::move(fields));
  };

  for (const S3EventRecord& rec : parsed->records) {
    switch (rec.kind) {
      case S3EventRecord::Kind::kIgnored:
        skip(rec.raw_key, rec.reason);
        continue;
      case S3EventRecord::Kind::kInvalid:
        fail(rec.raw_key, rec.reason, "");
        continue;
      case S3EventRecord::Kind::kObjectCreated:
        break;
    }
    const S3ObjectCreated& obj = rec.object;
    if (!options_.expected_bucket.empty() && obj.bucket != options_.expected_bucket) {
      fail(obj.key,
           fmt::format("bucket '{}' is not the configured bucket '{}'", obj.bucket, options_.expected_bucket), "");
      continue;
    }
    if (obj.key.rfind(options_.input_prefix, 0) != 0) {
      skip(obj.key, fmt::format("outside {}", options_.input_prefix));
      continue;
    }
    bool supported = false;
    for (const std::string& s : options_.suffixes) supported = supported || HasSuffixIgnoringCase(obj.key, s);
    if (!supported) {
      skip(obj.key, fmt::format("unsupported file type (supported: {})", fmt::join(options_.suffixes, ", ")));
      continue;
    }
    Result<Registration> reg = registrar_.RegisterObject(obj.key, obj.size, obj.etag);
    if (!reg.ok()) {
      fail(obj.key, reg.status().ToString(), "");
      continue;
    }
    if (reg->outcome == Registration::Outcome::kFailed) {  // not made by RegisterObject; kept total
      fail(obj.key, reg->message, reg->document_id);
      continue;
    }
    const bool duplicate = reg->outcome == Registration::Outcome::kDuplicate;
    (duplicate ? summary.duplicates : summary.registered) += 1;
    summary.documents.push_back({{"key", obj.key},
                                 {"document_id", reg->document_id},
                                 {"processing_version", reg->processing_version},
                                 {"outcome", OutcomeName(reg->outcome)}});
    nlohmann::json fields = {{"document_id", reg->document_id}, {"processing_version", reg->processing_version},
                             {"key", obj.key}, {"bucket", obj.bucket}, {"size", obj.size}, {"etag", obj.etag},
                             {"event_name", obj.event_name}, {"outcome", OutcomeName(reg->outcome)}};
    if (duplicate) fields["reason"] = reg->message;
    log.Info(duplicate ? "document_duplicate" : "document_registered", std::move(fields));
  }
  log.Info("s3_event_handled", {{"registered", summary.registered}, {"duplicates", summary.duplicates},
                                {"skipped", summary.skipped}, {"failed", summary.failed.size()}});
  return summary;
}

LambdaHandler MakeS3LambdaHandler(S3EventHandler& handler) {
  return [&handler](const LambdaInvocation& inv, Logger& log) {
    Result<S3EventSummary> summary = handler.HandleText(inv.payload, log);
    if (!summary.ok()) return LambdaOutcome::Error("Docpipe.InvalidEvent", summary.status().message());
    if (!summary->ok()) return LambdaOutcome::Error("Docpipe.RecordsFailed", summary->FailureMessage());
    return LambdaOutcome::Response(summary->ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  };
}

}  // namespace docpipe
