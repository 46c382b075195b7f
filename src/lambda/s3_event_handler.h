#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/logger.h"
#include "common/status.h"
#include "lambda/lambda_runtime.h"
#include "pipeline/registrar.h"

namespace docpipe {

struct S3EventHandlerOptions {
  // The bucket the object store reads. A record naming another bucket fails:
  // its object is not where the pipeline will look, so registering it would
  // only produce a document that fails later, far from the cause (a
  // notification wired to the wrong function). "" accepts any bucket (the
  // embedded store has none).
  std::string expected_bucket;
  std::string input_prefix = "input/";
  // Suffixes the extractors take (SupportedSuffixes()); others are skipped.
  std::vector<std::string> suffixes;
};

struct S3EventSummary {
  struct Failure {
    std::string key;  // the decoded key, or the raw one when it could not be decoded
    std::string error;
  };
  int registered = 0;  // new documents and new versions
  int duplicates = 0;  // same key and ETag as the latest version
  int skipped = 0;     // not for us: other event types, outside the prefix, unsupported type
  std::vector<Failure> failed;
  bool test_event = false;
  nlohmann::json documents = nlohmann::json::array();  // {key, document_id, processing_version, outcome}

  bool ok() const { return failed.empty(); }
  //! {"registered", "duplicates", "skipped", "failed": [{"key", "error"}], "documents", "test_event"}
  nlohmann::json ToJson() const;
  //! One line for the runtime's error: "1 of 3 records failed: input/a.pdf: ...".
  std::string FailureMessage() const;
};

// Turns one S3 event (see ParseS3Event for the shapes) into registered
// documents. Every record is tried even after one fails; the event counts as
// failed if any record did, and the caller reports it so that Lambda retries
// the whole event. That is safe because registration is idempotent: records
// registered the first time come back as duplicates.
class S3EventHandler {
 public:
  S3EventHandler(Registrar& registrar, S3EventHandlerOptions options);

  //! Error (InvalidInput) only when the event is not an S3 event at all.
  //! `log` gets one line per record (document_id on per-document lines).
  Result<S3EventSummary> Handle(const nlohmann::json& event, Logger& log);
  //! Handle on JSON text; InvalidInput when it is not JSON.
  Result<S3EventSummary> HandleText(const std::string& payload, Logger& log);

 private:
  Registrar& registrar_;
  S3EventHandlerOptions options_;
};

// The Lambda handler over `handler` (which must outlive it): the summary JSON
// as the response; an error of type Docpipe.InvalidEvent when the payload is
// not an S3 event, Docpipe.RecordsFailed when any record failed. Failing the
// event makes Lambda retry all of it; registration is idempotent, so records
// that did register come back as duplicates.
LambdaHandler MakeS3LambdaHandler(S3EventHandler& handler);

}  // namespace docpipe
