// libFuzzer target: the answers of AWS and the AI services, through the
// adapters that read them: S3's XML (ListObjectsV2, multipart, DeleteObjects
// errors), the JSON of DynamoDB (items, attribute values), SQS (messages,
// attributes), Secrets Manager, Comprehend, OpenAI and Pinecone, and the
// error bodies of all of them (AwsErrorStatus, Retry-After). The transport
// is a fake that answers from the input, so every parsing path of the real
// adapter runs, retries and backoff included (on a fake clock: no sleeping).
//
// Input: the first byte picks the call; the rest is one or more answers
// separated by a line "=====". An answer may start with "HTTP NNN" and
// "Name: value" header lines, then a blank line, then the body; without that
// it is a 200 with the whole text as its body. The last answer repeats.
// Errors are expected; crashes, sanitizer reports and uncaught exceptions are
// findings.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_client.h"
#include "aws/credentials.h"
#include "aws/secrets.h"
#include "embed/openai_embedder.h"
#include "enrich/comprehend_enricher.h"
#include "fuzz/http_text.h"
#include "index/pinecone_vector_index.h"
#include "object_store/s3_object_store.h"
#include "queue/sqs_work_queue.h"
#include "support/fake_clock.h"
#include "tables/dynamodb_tables.h"

namespace {

using docpipe::HttpRequest;
using docpipe::HttpResponse;

std::vector<HttpResponse> ParseAnswers(std::string_view in) {
  std::vector<HttpResponse> answers;
  for (;;) {
    size_t sep = in.find("\n=====\n");
    std::string_view one = in.substr(0, sep);
    HttpResponse r;
    r.status = 200;
    if (one.rfind("HTTP ", 0) == 0 && one.size() >= 8) {
      r.status = std::atoi(std::string(one.substr(5, 3)).c_str());
      size_t eol = one.find('\n');
      one = eol == std::string_view::npos ? std::string_view() : one.substr(eol + 1);
      docpipe::fuzz::ReadHeaderLines(one, r.headers);
    }
    r.body = std::string(one);
    answers.push_back(std::move(r));
    if (sep == std::string_view::npos || answers.size() >= 16) break;
    in = in.substr(sep + 7);
  }
  return answers;
}

// Answers requests from the script, the last answer again once it runs out;
// gives up (as a dead service) after a bounded number of requests so a retry
// or paging loop cannot spin for ever.
class FuzzAnswerHttp final : public docpipe::HttpClient {
 public:
  explicit FuzzAnswerHttp(std::vector<HttpResponse> answers) : answers_(std::move(answers)) {}
  docpipe::Result<HttpResponse> Send(const HttpRequest&) override {
    std::lock_guard lock(mu_);
    if (++sent_ > 64) return docpipe::Status::Unavailable("connection failed: fuzz transport gave up");
    const size_t i = next_ < answers_.size() ? next_++ : answers_.size() - 1;
    return answers_[i];
  }

 private:
  std::mutex mu_;
  std::vector<HttpResponse> answers_;
  size_t next_ = 0;
  int sent_ = 0;
};

// DOCPIPE_FUZZ_VERBOSE=1: each call's outcome on stderr, to see what a seed reaches.
template <typename T>
void Show(const char* what, const T& result) {
  static const bool verbose = std::getenv("DOCPIPE_FUZZ_VERBOSE") != nullptr;
  if (!verbose) return;
  if constexpr (std::is_same_v<T, docpipe::Status>) {
    std::fprintf(stderr, "aws_answers: %s: %s\n", what, result.ToString().c_str());
  } else {
    std::fprintf(stderr, "aws_answers: %s: %s\n", what, result.ok() ? "OK" : result.status().ToString().c_str());
  }
}

void RunAwsCall(uint8_t call, docpipe::HttpClient& http, docpipe::Clock& clock) {
  docpipe::CredentialsProviderPtr creds = docpipe::NewStaticCredentialsProvider({"AKIDFUZZ", "secret", "", 0});
  docpipe::RetryQuota quota;
  docpipe::AwsServiceConfig sc;
  sc.endpoint = "http://127.0.0.1:9";
  sc.max_attempts = 3;
  auto client = [&](const char* signing_name) {
    sc.signing_name = signing_name;
    return std::make_unique<docpipe::AwsClient>(sc, http, *creds, clock, quota);
  };
  switch (call % 12) {
    case 0: {
      auto aws = client("dynamodb");
      auto table = docpipe::NewDynamoDbControlTable(*aws, "control", {});
      Show("table.GetLatest", table->GetLatest("doc-1"));
      Show("table.List", table->List(std::nullopt, 25));
      break;
    }
    case 1: {
      auto aws = client("dynamodb");
      auto audit = docpipe::NewDynamoDbAuditLog(*aws, "audit", {});
      Show("audit.List", audit->List("doc-1"));
      break;
    }
    case 2: {
      auto aws = client("sqs");
      auto queue = docpipe::NewSqsWorkQueue(*aws, {"http://127.0.0.1:9/123/q", "http://127.0.0.1:9/123/dlq"});
      if (!queue.ok()) break;
      Show("queue.Receive", (*queue)->Receive(10, 30000, 0));
      Show("queue.Stats", (*queue)->Stats());
      Show("queue.PeekDeadLetters", (*queue)->PeekDeadLetters(5));
      break;
    }
    case 3: {
      auto aws = client("s3");
      docpipe::S3Options o;
      o.bucket = "bucket";
      docpipe::S3ObjectStore store(*aws, o, /*path_style=*/true);
      Show("store.List", store.List("input/"));
      break;
    }
    case 4: {
      auto aws = client("s3");
      docpipe::S3Options o;
      o.bucket = "bucket";
      docpipe::S3ObjectStore store(*aws, o, /*path_style=*/true);
      Show("store.DeleteMany", store.DeleteMany({"a", "b", "c"}));
      Show("store.Head", store.Head("a"));
      Show("store.GetRange", store.GetRange("a", 0, 10));
      break;
    }
    case 5: {
      auto aws = client("secretsmanager");
      Show("ResolveSecret", docpipe::ResolveSecret(*aws, "arn:aws:secretsmanager:us-east-1:123:secret:x", "OPENAI_API_KEY"));
      Show("ResolveSecret", docpipe::ResolveSecret(*aws, "arn:aws:secretsmanager:us-east-1:123:secret:x", ""));
      break;
    }
    case 6:
    case 7: {
      auto aws = client("comprehend");
      docpipe::ComprehendOptions o;
      o.max_requests_per_second = 0;
      o.use_batch = call % 12 == 7;
      auto enricher = docpipe::NewComprehendEnricher(*aws, clock, o);
      docpipe::EnrichOptions eo;
      eo.redact_pii = true;
      Show("enricher.Enrich", enricher->Enrich({{"c1", "Alice paid $5 in Paris on 2024-01-02."}, {"c2", "Bob, 555-0100."}}, eo));
      break;
    }
    case 8:
    case 9: {
      docpipe::OpenAiEmbedderOptions o;
      o.base_url = "http://127.0.0.1:9/v1";
      o.api_key = "sk-fuzz";
      o.concurrency = 1;
      o.requests_per_minute = 0;
      o.tokens_per_minute = 0;
      o.retry.max_attempts = 3;
      if (call % 12 == 9) o.dimensions = 4;
      auto embedder = docpipe::NewOpenAiEmbedder(http, clock, o);
      Show("NewOpenAiEmbedder", embedder);
      if (embedder.ok()) Show("embedder.Embed", (*embedder)->Embed({"hello world", "second input"}));
      break;
    }
    default: {
      docpipe::PineconeOptions o;
      o.api_key = "pc-fuzz";
      o.index_name = "docpipe";
      o.index_host = "http://127.0.0.1:9";
      o.controller_host = "http://127.0.0.1:9";
      o.dimension = 4;
      o.retry.max_attempts = 3;
      o.create_if_missing = call % 12 == 10;
      auto index = docpipe::NewPineconeVectorIndex(http, clock, o);
      Show("NewPineconeVectorIndex", index);
      if (!index.ok()) break;
      docpipe::SearchQuery q;
      q.text = "query";
      q.vector = {0.1f, 0.2f, 0.3f, 0.4f};
      q.mode = docpipe::SearchMode::kVector;
      Show("index.Search", (*index)->Search(q));
      Show("index.Stats", (*index)->Stats());
      Show("index.DeleteDocument", (*index)->DeleteDocument("doc-1"));
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  FuzzAnswerHttp http(ParseAnswers(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1)));
  docpipe::testing::FakeClock clock;
  RunAwsCall(data[0], http, clock);
  return 0;
}
