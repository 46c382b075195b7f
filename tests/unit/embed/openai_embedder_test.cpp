#include "embed/openai_embedder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http/curl_http_client.h"
#include "support/fake_clock.h"
#include "support/process.h"
#include "support/test_util.h"
#include "tokenize/bpe_tokenizer.h"
#include "unit/embed/fake_openai_server.h"

namespace docpipe {
namespace {

using json = nlohmann::json;
using testing::CannedReply;
using testing::FakeOpenAiOptions;
using testing::FakeOpenAiServer;

const BpeTokenizer& Cl100k() {
  static const BpeTokenizerPtr tok = *OpenBpeTokenizer("cl100k_base");
  return *tok;
}

int64_t Tokens(const std::string& s) { return static_cast<int64_t>(Cl100k().Count(s)); }

// Deterministic prose, `words` words per text.
std::vector<std::string> Texts(size_t count, size_t words, uint64_t seed = 1) {
  static const char* kVocab[] = {"the",     "solver",    "bound",    "variable",   "row",       "column",
                                 "matrix",  "of",        "simplex",  "integer",    "basis",     "returns",
                                 "a",       "pivot",     "feasible", "dual",       "primal",    "München",
                                 "naïve",   "東京",      "value",    "and",        "tolerance", "is",
                                 "routine", "parameter", "to",       "glp_simplex"};
  std::vector<std::string> out;
  uint64_t x = seed;
  for (size_t t = 0; t < count; ++t) {
    std::string s = "Text " + std::to_string(t) + ":";
    for (size_t w = 0; w < words; ++w) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      s += ' ';
      s += kVocab[(x >> 33) % (sizeof(kVocab) / sizeof(kVocab[0]))];
    }
    out.push_back(std::move(s));
  }
  return out;
}

// A text of exactly `n` tokens (" word" repeated is one token each in cl100k).
std::string TextOfTokens(int64_t n, const std::string& tag = "x") {
  std::string s = tag;
  for (int64_t have = Tokens(tag); have < n; ++have) s += " word";
  EXPECT_EQ(Tokens(s), n);
  return s;
}

std::string Error(const std::string& message, const std::string& type, const json& code) {
  return json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}}.dump();
}

CannedReply RateLimited(std::vector<std::pair<std::string, std::string>> headers) {
  return CannedReply{429, std::move(headers),
                     Error("Rate limit reached for text-embedding-3-small on tokens per min (TPM)", "tokens",
                           "rate_limit_exceeded")};
}

std::vector<float> Decode(const json& e, int dims) { return *DecodeVectorBase64(e.get<std::string>(), dims); }

class OpenAiEmbedderTest : public ::testing::Test {
 protected:
  // Declared in this order so that the client (and its kept-alive
  // connections) goes first and the server's stop does not wait for them.
  testing::FakeClock clock_;
  std::unique_ptr<FakeOpenAiServer> server_;
  HttpClientPtr http_ = NewCurlHttpClient();

  void SetUp() override { StartServer({}); }

  void StartServer(FakeOpenAiOptions o) {
    o.extra_models.emplace("acme-embed-v2", 768);
    server_ = std::make_unique<FakeOpenAiServer>(clock_, std::move(o));
  }

  OpenAiEmbedderOptions Options() const {
    OpenAiEmbedderOptions o;
    o.base_url = server_->base_url();
    o.api_key = server_->options().api_key;
    o.retry.max_attempts = 4;
    o.retry.base_ms = 1;  // backoff jitter stays below 10 ms: waits measured are the server's
    o.retry.cap_ms = 10;
    o.timeout_ms = 5000;
    return o;
  }

  std::unique_ptr<OpenAiEmbedder> Make(const OpenAiEmbedderOptions& o) {
    Result<EmbedderPtr> e = NewOpenAiEmbedder(*http_, clock_, o);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    if (!e.ok()) return nullptr;
    return std::unique_ptr<OpenAiEmbedder>(dynamic_cast<OpenAiEmbedder*>(e->release()));
  }

  // The key must never leak into an error, not even in part.
  void ExpectNoKey(const Status& s) {
    const std::string& key = server_->options().api_key;
    EXPECT_EQ(s.message().find(key), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find(key.substr(0, 10)), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find(key.substr(key.size() - 6)), std::string::npos) << s.message();
  }
};

TEST_F(OpenAiEmbedderTest, ValidatesOptions) {
  auto status = [&](auto edit) {
    OpenAiEmbedderOptions o = Options();
    edit(o);
    Result<EmbedderPtr> e = NewOpenAiEmbedder(*http_, clock_, o);
    return e.ok() ? Status::Ok() : e.status();
  };
  using O = OpenAiEmbedderOptions;
  EXPECT_TRUE(status([](O&) {}).ok());
  EXPECT_EQ(status([](O& o) { o.api_key = "  \n"; }).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(status([](O& o) { o.api_key = "sk-a b"; }).code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(status([](O& o) { o.api_key += "\n"; }).ok());  // a secret's trailing newline is trimmed
  Status unknown = status([](O& o) { o.model = "acme-embed-v2"; });
  EXPECT_EQ(unknown.code(), Status::Code::kInvalidInput);
  EXPECT_NE(unknown.message().find("dimensions"), std::string::npos) << unknown.message();
  EXPECT_TRUE(status([](O& o) {
                o.model = "acme-embed-v2";
                o.dimensions = 768;
              }).ok());
  EXPECT_EQ(status([](O& o) { o.dimensions = 1537; }).code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(status([](O& o) { o.dimensions = 1536; }).ok());
  EXPECT_EQ(status([](O& o) {
              o.model = "text-embedding-ada-002";
              o.dimensions = 512;
            }).code(),
            Status::Code::kInvalidInput);
  EXPECT_EQ(status([](O& o) { o.model = ""; }).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(status([](O& o) { o.base_url = "api.openai.com/v1"; }).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(status([](O& o) { o.concurrency = 0; }).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(status([](O& o) { o.max_inputs_per_request = 0; }).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(status([](O& o) { o.max_tokens_per_request = 100; }).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(status([](O& o) { o.tokens_per_minute = 5000; }).code(), Status::Code::kInvalidInput);
  EXPECT_TRUE(status([](O& o) { o.tokens_per_minute = o.requests_per_minute = 0; }).ok());
  EXPECT_EQ(status([](O& o) { o.timeout_ms = 0; }).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(status([](O& o) { o.retry.max_attempts = 0; }).code(), Status::Code::kInvalidInput);
  EXPECT_EQ(status([](O& o) { o.project = "p\r\nX-Evil: 1"; }).code(), Status::Code::kInvalidInput);

  auto e = Make(Options());
  EXPECT_EQ(e->Model(), "text-embedding-3-small");
  EXPECT_EQ(e->Dimension(), 1536);
  OpenAiEmbedderOptions large = Options();
  large.model = "text-embedding-3-large";
  large.dimensions = 256;
  EXPECT_EQ(Make(large)->Dimension(), 256);
  EXPECT_DOUBLE_EQ(OpenAiPricePerMillionTokens("text-embedding-3-small"), 0.02);
  EXPECT_DOUBLE_EQ(OpenAiPricePerMillionTokens("text-embedding-3-large"), 0.13);
  EXPECT_DOUBLE_EQ(OpenAiPricePerMillionTokens("text-embedding-ada-002"), 0.10);
  EXPECT_DOUBLE_EQ(OpenAiPricePerMillionTokens("acme-embed-v2"), 0);
}

TEST(OpenAiDurationTest, ParsesGoDurations) {
  EXPECT_EQ(ParseOpenAiDurationMs("1s"), 1000);
  EXPECT_EQ(ParseOpenAiDurationMs("6m0s"), 360000);
  EXPECT_EQ(ParseOpenAiDurationMs("20ms"), 20);
  EXPECT_EQ(ParseOpenAiDurationMs("17.28s"), 17280);
  EXPECT_EQ(ParseOpenAiDurationMs("1h2m3.5s"), 3723500);
  EXPECT_EQ(ParseOpenAiDurationMs("0s"), 0);
  EXPECT_EQ(ParseOpenAiDurationMs("250us"), 1);  // rounded up: never wait less than asked
  EXPECT_EQ(ParseOpenAiDurationMs("1500ns"), 1);
  EXPECT_EQ(ParseOpenAiDurationMs(""), -1);
  EXPECT_EQ(ParseOpenAiDurationMs("soon"), -1);
  EXPECT_EQ(ParseOpenAiDurationMs("5"), -1);
  EXPECT_EQ(ParseOpenAiDurationMs("-1s"), -1);
  EXPECT_EQ(ParseOpenAiDurationMs("1x"), -1);
  // The fake's formatter writes what the parser reads.
  for (int64_t ms : {0, 7, 999, 1000, 1500, 59'999, 60'000, 360'000, 3'723'500}) {
    EXPECT_EQ(ParseOpenAiDurationMs(testing::FormatGoDuration(ms)), ms) << testing::FormatGoDuration(ms);
  }
  EXPECT_EQ(testing::FormatGoDuration(360'000), "6m0s");
}

TEST_F(OpenAiEmbedderTest, EmbedsInOrderWithUsageAndCost) {
  auto e = Make(Options());
  const std::vector<std::string> texts = {"The simplex method.", "Integer feasibility: a pivot.",
                                          "東京 München naïve"};
  Result<EmbeddingBatch> got = e->Embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->vectors.size(), 3u);
  int64_t tokens = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    // Unit vectors from OpenAI are kept bit for bit.
    EXPECT_EQ(got->vectors[i], FakeOpenAiServer::Vector("text-embedding-3-small", texts[i], 1536)) << i;
    tokens += Tokens(texts[i]);
  }
  EXPECT_EQ(got->tokens, tokens);
  EXPECT_DOUBLE_EQ(got->cost_usd, static_cast<double>(tokens) * 0.02 / 1e6);
  EXPECT_EQ(got->requests, 1);

  const auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  const testing::RecordedRequest& r = reqs[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/v1/embeddings");
  EXPECT_EQ(r.headers.at("authorization"), "Bearer " + server_->options().api_key);
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("accept"), "application/json");
  EXPECT_EQ(r.headers.at("user-agent"), std::string("docpipe/") + DOCPIPE_VERSION);
  EXPECT_EQ(r.headers.count("openai-organization"), 0u);
  EXPECT_EQ(r.headers.count("openai-project"), 0u);
  const json body = json::parse(r.body);
  EXPECT_EQ(body,
            json({{"model", "text-embedding-3-small"}, {"input", texts}, {"encoding_format", "base64"}}));

  EXPECT_EQ(e->Stats().requests, 1);
  EXPECT_EQ(e->Stats().attempts, 1);
  EXPECT_EQ(e->Stats().tokens, tokens);

  // Nothing to embed: no request.
  Result<EmbeddingBatch> none = e->Embed({});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->requests, 0);
  EXPECT_EQ(server_->requests().size(), 1u);
}

TEST_F(OpenAiEmbedderTest, SendsDimensionsOnlyForTextEmbedding3) {
  const std::vector<std::string> texts = {"one", "two"};
  OpenAiEmbedderOptions small = Options();
  small.dimensions = 256;
  Result<EmbeddingBatch> got = Make(small)->Embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->vectors[1], FakeOpenAiServer::Vector("text-embedding-3-small", "two", 256));
  json body = json::parse(server_->requests().back().body);
  ASSERT_TRUE(body.contains("dimensions"));
  EXPECT_TRUE(body["dimensions"].is_number_integer());
  EXPECT_EQ(body["dimensions"], 256);

  OpenAiEmbedderOptions ada = Options();
  ada.model = "text-embedding-ada-002";
  ada.dimensions = 1536;  // its only size: accepted, never sent (the API would refuse it)
  got = Make(ada)->Embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(json::parse(server_->requests().back().body).contains("dimensions"));
  EXPECT_DOUBLE_EQ(got->cost_usd, static_cast<double>(got->tokens) * 0.10 / 1e6);

  OpenAiEmbedderOptions other = Options();
  other.model = "acme-embed-v2";
  other.dimensions = 768;
  got = Make(other)->Embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(json::parse(server_->requests().back().body).contains("dimensions"));
  EXPECT_EQ(got->vectors[0].size(), 768u);
  EXPECT_EQ(got->cost_usd, 0);  // unknown price: not guessed
  EXPECT_GT(got->tokens, 0);
}

TEST_F(OpenAiEmbedderTest, SendsOrganizationAndProject) {
  OpenAiEmbedderOptions o = Options();
  o.organization = "org-docpipe";
  o.project = "proj_abc";
  ASSERT_TRUE(Make(o)->Embed({"hello"}).ok());
  const auto r = server_->requests().back();
  EXPECT_EQ(r.headers.at("openai-organization"), "org-docpipe");
  EXPECT_EQ(r.headers.at("openai-project"), "proj_abc");
}


// docpipe's request against the one the official client (openai-node) sends
// for the same call, both recorded by the fake server.
TEST_F(OpenAiEmbedderTest, MatchesTheOfficialClient) {
  if (!testing::OnPath("node"))
    FAIL() << "node is not installed; it runs the official openai client as the reference: " << testing::kInstallTestPeers;
  const std::string script = std::string(DOCPIPE_SOURCE_DIR) + "/tests/unit/embed/openai_capture.mjs";
  ASSERT_EQ(access((std::string(DOCPIPE_SOURCE_DIR) + "/node_modules/openai/package.json").c_str(), R_OK), 0)
      << "node_modules/openai is missing: run `npm ci` in the source tree (the build does)";
  testing::TempDir tmp;

  struct Case {
    std::string model;
    int dimensions;
    std::string organization, project;
  };
  const std::vector<Case> cases = {{"text-embedding-3-small", 0, "", ""},
                                   {"text-embedding-3-large", 512, "org-docpipe", "proj_abc"}};
  const std::vector<std::string> input = {"The simplex method.", "東京 München naïve — “quotes”", "tab\there",
                                          std::string(300, 'a')};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.model);
    json spec = {{"apiKey", server_->options().api_key}, {"model", c.model}, {"input", input}};
    if (c.dimensions > 0) spec["dimensions"] = c.dimensions;
    if (!c.organization.empty()) spec["organization"] = c.organization;
    if (!c.project.empty()) spec["project"] = c.project;
    testing::WriteFile(tmp.Join("spec.json"), spec.dump());
    const size_t before = server_->requests().size();
    testing::ProcessResult node = testing::RunProcess(
        {"node", script, server_->base_url(), tmp.Join("spec.json")}, {{"OPENAI_LOG", "off"}}, 60);
    ASSERT_EQ(node.exit_code, 0) << node.err;
    const json sdk_out = json::parse(node.out);

    OpenAiEmbedderOptions o = Options();
    o.model = c.model;
    o.dimensions = c.dimensions;
    o.organization = c.organization;
    o.project = c.project;
    Result<EmbeddingBatch> ours = Make(o)->Embed(input);
    ASSERT_TRUE(ours.ok()) << ours.status().ToString();

    const auto reqs = server_->requests();
    ASSERT_EQ(reqs.size(), before + 2);
    const testing::RecordedRequest& sdk = reqs[before];
    const testing::RecordedRequest& dp = reqs[before + 1];
    EXPECT_EQ(dp.method, sdk.method);
    EXPECT_EQ(dp.path, sdk.path);
    EXPECT_EQ(sdk.status, 200);

    // Headers: the same where they matter; the client's telemetry and
    // transport headers are listed so that a new header in a future client
    // version makes this test fail until someone decides about it.
    const std::set<std::string> same = {"authorization", "content-type", "accept", "openai-organization",
                                        "openai-project"};
    const std::set<std::string> sdk_only_ok = {
        "accept-encoding", "accept-language", "sec-fetch-mode", "connection", "host", "content-length"};
    for (const auto& [name, value] : sdk.headers) {
      if (same.count(name)) {
        ASSERT_TRUE(dp.headers.count(name)) << "docpipe does not send " << name;
        EXPECT_EQ(dp.headers.at(name), value) << name;
      } else if (name == "user-agent") {
        EXPECT_EQ(dp.headers.at(name).rfind("docpipe/", 0),
                  0u);  // ours names docpipe, theirs "OpenAI/JS x.y.z"
      } else if (name.rfind("x-stainless-", 0) != 0 && !sdk_only_ok.count(name)) {
        ADD_FAILURE() << "the official client sends " << name << ": " << value << " (docpipe does not)";
      }
    }
    EXPECT_EQ(sdk.headers.at("authorization").rfind("Bearer ", 0), 0u);
    for (const auto& [name, value] : dp.headers) {
      EXPECT_TRUE(sdk.headers.count(name) || name == "content-length" || name == "host")
          << "docpipe sends " << name << " which the official client does not";
    }
    EXPECT_EQ(dp.headers.count("openai-organization"), c.organization.empty() ? 0u : 1u);

    // Body: the same fields with the same JSON types and values.
    const json sb = json::parse(sdk.body);
    const json db = json::parse(dp.body);
    ASSERT_EQ(sb.size(), db.size()) << "official: " << sb.dump().substr(0, 300)
                                    << "\ndocpipe: " << db.dump().substr(0, 300);
    for (const auto& [key, value] : sb.items()) {
      ASSERT_TRUE(db.contains(key)) << key;
      EXPECT_EQ(db[key].type_name(), value.type_name()) << key;
      EXPECT_EQ(db[key], value) << key;
    }
    EXPECT_EQ(sb["encoding_format"], "base64");

    // The official client accepts the fake's answers and decodes the same floats.
    ASSERT_EQ(sdk_out["data"].size(), input.size());
    EXPECT_EQ(sdk_out["usage"]["total_tokens"].get<int64_t>(), ours->tokens);
    for (const json& d : sdk_out["data"]) {
      const size_t i = d["index"];
      const std::vector<float> theirs = d["embedding"].get<std::vector<float>>();
      EXPECT_EQ(theirs, ours->vectors[i]) << i;
    }
    std::string ignored;
    for (const auto& [name, value] : sdk.headers) {
      if (!dp.headers.count(name)) ignored += " " + name;
    }
    std::cerr << "[ compared with openai-node " << sdk_out["sdk_version"].get<std::string>()
              << "; its headers docpipe does not send:" << ignored << " ]\n";
  }
}

TEST_F(OpenAiEmbedderTest, PacksByCount) {
  const std::vector<std::string> texts = Texts(5000, 6);
  OpenAiEmbedderOptions small = Options();
  small.dimensions = 64;  // packing is the point here; short vectors keep the answers small
  auto e = Make(small);
  Result<EmbeddingBatch> got = e->Embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->requests, 3);  // 2048 + 2048 + 904
  const auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 3u);
  std::multiset<size_t> sizes;
  for (const auto& r : reqs) sizes.insert(json::parse(r.body)["input"].size());
  EXPECT_EQ(sizes, (std::multiset<size_t>{904, 2048, 2048}));
  EXPECT_TRUE(server_->violations().empty());
  ASSERT_EQ(got->vectors.size(), texts.size());
  for (size_t i = 0; i < texts.size(); i += 97) {
    EXPECT_EQ(got->vectors[i], FakeOpenAiServer::Vector("text-embedding-3-small", texts[i], 64)) << i;
  }
  int64_t tokens = 0;
  for (const auto& t : texts) tokens += Tokens(t);
  EXPECT_EQ(got->tokens, tokens);

  // A smaller count limit is honoured too.
  OpenAiEmbedderOptions o = Options();
  o.max_inputs_per_request = 7;
  got = Make(o)->Embed(Texts(50, 3));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->requests, 8);
}

TEST_F(OpenAiEmbedderTest, PacksByTokens) {
  // 100 inputs of 7,000 tokens: 42 fit in 300k, so 42 + 42 + 16.
  std::vector<std::string> texts;
  for (int i = 0; i < 100; ++i) texts.push_back(TextOfTokens(7000, std::to_string(i) + "doc"));
  // Mixed sizes in front: greedy packing must still respect the token cap.
  texts.insert(texts.begin(), TextOfTokens(8192, "big"));
  texts.insert(texts.begin() + 1, "small one");
  auto e = Make(Options());
  Result<EmbeddingBatch> got = e->Embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(server_->violations().empty()) << server_->violations().front();
  const int64_t total = 8192 + Tokens("small one") + 100 * 7000;
  EXPECT_EQ(got->tokens, total);
  EXPECT_EQ(got->requests, 3);  // = ceil(total / 300000): packing reaches the minimum here
  for (const auto& r : server_->requests()) {
    int64_t sum = 0;
    const json body = json::parse(r.body);
    for (const auto& s : body["input"]) sum += Tokens(s.get<std::string>());
    EXPECT_LE(sum, 300000);
  }
  EXPECT_EQ(got->vectors[0], FakeOpenAiServer::Vector("text-embedding-3-small", texts[0], 1536));
  EXPECT_EQ(got->vectors[101], FakeOpenAiServer::Vector("text-embedding-3-small", texts[101], 1536));
}

TEST_F(OpenAiEmbedderTest, RejectsOversizedAndEmptyInputsBeforeSending) {
  auto e = Make(Options());
  const std::string too_long = TextOfTokens(8193);
  Result<EmbeddingBatch> got = e->Embed({"fine", too_long, "fine too"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(got.status().message().find("input 1 of 3 has 8193 tokens"), std::string::npos)
      << got.status().message();
  got = e->Embed({"fine", ""});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(got.status().message().find("input 1 of 2 is empty"), std::string::npos)
      << got.status().message();
  EXPECT_TRUE(server_->requests().empty());

  got = e->Embed({TextOfTokens(8192)});  // the limit itself is fine
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(server_->violations().empty());
}

TEST_F(OpenAiEmbedderTest, InvalidUtf8IsSentRepaired) {
  auto e = Make(Options());
  const std::string bad = "caf\xc3 \xff\xfe end";
  Result<EmbeddingBatch> got = e->Embed({bad});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const json body = json::parse(server_->requests().back().body);
  EXPECT_EQ(body["input"][0], "caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd end");
  EXPECT_EQ(got->tokens, Tokens(bad));  // the server's count = ours
}

TEST_F(OpenAiEmbedderTest, Retries429WithRetryAfter) {
  server_->Script({RateLimited({{"retry-after", "2"}}), RateLimited({{"retry-after", "2"}}),
                   RateLimited({{"retry-after", "2"}})});
  auto e = Make(Options());
  Result<EmbeddingBatch> got = e->Embed({"a", "b"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->requests, 1);
  EXPECT_GE(clock_.slept_ms(), 6000);
  EXPECT_LE(clock_.slept_ms(), 6000 + 3 * 10);
  const OpenAiEmbedderStats s = e->Stats();
  EXPECT_EQ(s.attempts, 4);
  EXPECT_EQ(s.throttled, 3);
  EXPECT_EQ(s.requests, 1);
}

TEST_F(OpenAiEmbedderTest, StillThrottledAfterMaxAttemptsIsThrottled) {
  server_->Script(std::vector<CannedReply>(10, RateLimited({{"retry-after-ms", "300"}})));
  auto e = Make(Options());
  Result<EmbeddingBatch> got = e->Embed({"a"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kThrottled);
  EXPECT_NE(got.status().message().find("after 4 attempts"), std::string::npos) << got.status().message();
  EXPECT_EQ(server_->requests().size(), 4u);
  EXPECT_GE(clock_.slept_ms(), 900);
  ExpectNoKey(got.status());
}

TEST_F(OpenAiEmbedderTest, HonoursRateLimitResetHeaders) {
  // Reset headers alone: wait until the limit is back.
  server_->Script(
      {RateLimited({{"x-ratelimit-reset-requests", "20ms"}, {"x-ratelimit-reset-tokens", "45s"}})});
  auto e = Make(Options());
  ASSERT_TRUE(e->Embed({"a"}).ok());
  EXPECT_GE(clock_.slept_ms(), 45000);
  EXPECT_LE(clock_.slept_ms(), 45000 + 10);

  // With remaining and limit: only the share of the reset this request needs.
  const std::string text = TextOfTokens(8000);
  const int64_t before = clock_.slept_ms();
  server_->Script({RateLimited({{"x-ratelimit-limit-tokens", "1000000"},
                                {"x-ratelimit-remaining-tokens", "0"},
                                {"x-ratelimit-reset-tokens", "1m0s"},
                                {"x-ratelimit-limit-requests", "3000"},
                                {"x-ratelimit-remaining-requests", "2999"},
                                {"x-ratelimit-reset-requests", "20ms"}})});
  ASSERT_TRUE(e->Embed({text}).ok());
  EXPECT_GE(clock_.slept_ms() - before, 480);  // 60 s * 8k / 1M
  EXPECT_LE(clock_.slept_ms() - before, 480 + 10);

  const int64_t before2 = clock_.slept_ms();
  server_->Script({RateLimited({{"x-ratelimit-limit-requests", "3000"},
                                {"x-ratelimit-remaining-requests", "0"},
                                {"x-ratelimit-reset-requests", "6m0s"}})});
  ASSERT_TRUE(e->Embed({"b"}).ok());
  EXPECT_GE(clock_.slept_ms() - before2, 120);  // 360 s / 3000 requests
  EXPECT_LE(clock_.slept_ms() - before2, 120 + 10);
}

TEST_F(OpenAiEmbedderTest, RetriesServerErrorsThenSucceeds) {
  server_->Script(
      {{500, {}, Error("The server had an error while processing your request.", "server_error", nullptr)},
       {502, {}, "<html>Bad gateway</html>"},
       {503, {{"retry-after", "1"}}, ""}});
  auto e = Make(Options());
  Result<EmbeddingBatch> got = e->Embed({"a"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(e->Stats().attempts, 4);
  EXPECT_EQ(e->Stats().server_errors, 3);
  EXPECT_GE(clock_.slept_ms(), 1000);

  server_->Script(
      std::vector<CannedReply>(4, CannedReply{503, {}, Error("overloaded", "server_error", nullptr)}));
  got = e->Embed({"a"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(got.status().message().find("HTTP 503 after 4 attempts"), std::string::npos)
      << got.status().message();
  EXPECT_NE(got.status().message().find("overloaded"), std::string::npos);
}

TEST_F(OpenAiEmbedderTest, SlowAnswersAreRetriedThenTimeOut) {
  OpenAiEmbedderOptions o = Options();
  o.timeout_ms = 150;
  o.retry.max_attempts = 2;
  auto e = Make(o);
  server_->Script({CannedReply{200, {}, "", 400, true}});
  const auto start = std::chrono::steady_clock::now();
  Result<EmbeddingBatch> got = e->Embed({"a"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(e->Stats().attempts, 2);

  server_->Script({CannedReply{200, {}, "", 400, true}, CannedReply{200, {}, "", 400, true}});
  got = e->Embed({"a"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kTimeout) << got.status().ToString();
  EXPECT_NE(got.status().message().find("2 attempts"), std::string::npos) << got.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(OpenAiEmbedderTest, MalformedAnswersAreUnavailable) {
  auto e = Make(Options());
  server_->Script({{200, {}, "{\"object\": \"list\", \"data\": [{\"index\": 0, \"embed"}});
  Result<EmbeddingBatch> got = e->Embed({"a"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(got.status().message().find("malformed JSON"), std::string::npos) << got.status().message();

  server_->Script({{200, {}, R"({"object":"list","data":"nope"})"}});
  EXPECT_EQ(e->Embed({"a"}).status().code(), Status::Code::kUnavailable);
  server_->Script({{200, {}, R"({"data":[{"index":0,"embedding":"@@@@"}]})"}});
  EXPECT_EQ(e->Embed({"a"}).status().code(), Status::Code::kUnavailable);
  server_->Script({{200, {}, R"({"data":[{"index":0,"embedding":{"x":1}}]})"}});
  EXPECT_EQ(e->Embed({"a"}).status().code(), Status::Code::kUnavailable);
}

TEST_F(OpenAiEmbedderTest, WrongDimensionNamesModelAndDimensions) {
  server_->Mutate([](json& out) {
    for (json& d : out["data"]) d["embedding"] = EncodeVectorBase64(std::vector<float>(1024, 1.0f / 32));
  });
  auto e = Make(Options());
  Result<EmbeddingBatch> got = e->Embed({"a", "b"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(
      got.status().message().find("1024-dimensional vectors for model text-embedding-3-small; expected 1536"),
      std::string::npos)
      << got.status().message();

  // The same check for float arrays (servers that ignore encoding_format).
  server_->Mutate([](json& out) {
    for (json& d : out["data"]) d["embedding"] = std::vector<float>(100, 0.1f);
  });
  OpenAiEmbedderOptions o = Options();
  o.dimensions = 256;
  got = Make(o)->Embed({"a"});
  ASSERT_FALSE(got.ok());
  EXPECT_NE(
      got.status().message().find("100-dimensional vectors for model text-embedding-3-small; expected 256 "
                                  "(dimensions = 256)"),
      std::string::npos)
      << got.status().message();
}

TEST_F(OpenAiEmbedderTest, AcceptsFloatArraysAndNormalises) {
  // A compatible server answering floats, not unit length: normalised here.
  server_->Mutate([](json& out) {
    for (json& d : out["data"]) {
      std::vector<float> v = Decode(d["embedding"], 1536);
      for (float& x : v) x *= 3;
      d["embedding"] = v;
    }
  });
  Result<EmbeddingBatch> got = Make(Options())->Embed({"scaled"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  const std::vector<float> want = FakeOpenAiServer::Vector("text-embedding-3-small", "scaled", 1536);
  double norm = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got->vectors[0][i], want[i], 1e-6);
    norm += double{got->vectors[0][i]} * got->vectors[0][i];
  }
  EXPECT_NEAR(norm, 1.0, 1e-5);
}

TEST_F(OpenAiEmbedderTest, WrongNumberOfEmbeddingsIsUnavailable) {
  server_->Mutate([](json& out) { out["data"].erase(out["data"].size() - 1); });
  auto e = Make(Options());
  Result<EmbeddingBatch> got = e->Embed({"a", "b", "c"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(got.status().message().find("2 embeddings returned for 3 inputs"), std::string::npos)
      << got.status().message();

  server_->Mutate([](json& out) { out["data"][1]["index"] = 0; });
  got = e->Embed({"a", "b", "c"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(got.status().message().find("repeated index 0"), std::string::npos) << got.status().message();

  // Indexes, not positions, give the order.
  server_->Mutate([](json& out) { std::reverse(out["data"].begin(), out["data"].end()); });
  got = e->Embed({"a", "b", "c"});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->vectors[0], FakeOpenAiServer::Vector("text-embedding-3-small", "a", 1536));
  EXPECT_EQ(got->vectors[2], FakeOpenAiServer::Vector("text-embedding-3-small", "c", 1536));
}

TEST_F(OpenAiEmbedderTest, RejectedKeyIsInvalidInputWithoutTheKey) {
  OpenAiEmbedderOptions o = Options();
  o.api_key = "sk-wrong-key-0123456789abcdefghijkl";
  Result<EmbedderPtr> e = NewOpenAiEmbedder(*http_, clock_, o);
  ASSERT_TRUE(e.ok());
  Result<EmbeddingBatch> got = (*e)->Embed({"a"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(got.status().message().find("OpenAI rejected the API key"), std::string::npos)
      << got.status().message();
  EXPECT_EQ(got.status().message().find("sk-wro"), std::string::npos) << got.status().message();
  EXPECT_EQ(got.status().message().find("ijkl"), std::string::npos) << got.status().message();
  EXPECT_EQ(server_->requests().size(), 1u);  // not retried

  server_->Script(
      {{403,
        {},
        Error("Project proj_x does not have access to model", "invalid_request_error", "model_not_found")}});
  got = Make(Options())->Embed({"a"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(got.status().message().find("OpenAI rejected the API key (HTTP 403"), std::string::npos);
}

TEST_F(OpenAiEmbedderTest, ClientErrorsCarryOpenAisMessage) {
  const std::string key = server_->options().api_key;
  server_->Script({{400, {}, Error("Invalid 'input[0]': echo " + key, "invalid_request_error", nullptr)}});
  auto e = Make(Options());
  Result<EmbeddingBatch> got = e->Embed({"a"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(got.status().message().find("HTTP 400"), std::string::npos) << got.status().message();
  EXPECT_NE(got.status().message().find("Invalid 'input[0]': echo [redacted]"), std::string::npos)
      << got.status().message();
  ExpectNoKey(got.status());

  // A model the server does not have (docpipe knows its dimensions from the options).
  OpenAiEmbedderOptions o = Options();
  o.model = "acme-missing";
  o.dimensions = 64;
  got = Make(o)->Embed({"a"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(got.status().message().find("model acme-missing not found"), std::string::npos)
      << got.status().message();
  EXPECT_NE(got.status().message().find("does not exist"), std::string::npos);
}

TEST_F(OpenAiEmbedderTest, InsufficientQuotaIsNotRetried) {
  server_->Script({{429,
                    {},
                    Error("You exceeded your current quota, please check your plan and billing details.",
                          "insufficient_quota", "insufficient_quota")}});
  auto e = Make(Options());
  Result<EmbeddingBatch> got = e->Embed({"a"});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kInvalidInput);
  EXPECT_NE(got.status().message().find("quota"), std::string::npos) << got.status().message();
  EXPECT_EQ(server_->requests().size(), 1u);
}

TEST_F(OpenAiEmbedderTest, RateLimiterSpacesRequestsUnderTheServersLimit) {
  // The server enforces 100k tokens/min on the same (fake) clock; 40 requests
  // of 5,000 tokens are twice that.
  FakeOpenAiOptions so;
  so.tokens_per_minute = 100000;
  StartServer(so);
  std::vector<std::string> texts;
  for (int i = 0; i < 40; ++i) texts.push_back(TextOfTokens(5000, std::to_string(i) + "t"));
  OpenAiEmbedderOptions o = Options();
  o.tokens_per_minute = 100000;
  o.max_inputs_per_request = 1;
  o.concurrency = 1;  // with a fake clock, one thread's sleep would move time under another's request
  auto e = Make(o);
  Result<EmbeddingBatch> got = e->Embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->requests, 40);
  EXPECT_EQ(server_->throttled(), 0);
  EXPECT_EQ(e->Stats().throttled, 0);
  EXPECT_GT(e->Stats().limiter_waits, 0);
  // 200k tokens at 100k/min, of which one bucket (minus 2 s headroom) is free.
  const double bucket = 100000 - 100000.0 / 60000 * 2000;
  EXPECT_GE(clock_.slept_ms(), static_cast<int64_t>((200000 - bucket) * 60000 / 100000) - 1);
  EXPECT_LE(clock_.slept_ms(), static_cast<int64_t>((200000 - bucket) * 60000 / 100000) + 40 * 10 + 100);

  // Without the client's limiter the same run provokes 429s (and recovers
  // through the reset headers).
  o.tokens_per_minute = 0;
  auto unpaced = Make(o);
  got = unpaced->Embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_GT(server_->throttled(), 0);
  EXPECT_EQ(unpaced->Stats().throttled, server_->throttled());
}

TEST_F(OpenAiEmbedderTest, RequestsPerMinuteAreSpacedToo) {
  FakeOpenAiOptions so;
  so.requests_per_minute = 60;
  StartServer(so);
  OpenAiEmbedderOptions o = Options();
  o.requests_per_minute = 60;
  o.max_inputs_per_request = 1;
  o.concurrency = 1;
  auto e = Make(o);
  ASSERT_TRUE(e->Embed(Texts(100, 2)).ok());
  EXPECT_EQ(server_->throttled(), 0);
  EXPECT_GE(clock_.slept_ms(), (100 - 58) * 1000 - 1);  // 58 requests in the bucket, then one a second
}

TEST_F(OpenAiEmbedderTest, LowersItsBudgetToWhatTheServerReports) {
  // Another process has used most of the key's budget: the server says so
  // in x-ratelimit-remaining-tokens, and the client waits instead of
  // drawing 429s.
  FakeOpenAiOptions so;
  so.tokens_per_minute = 100000;
  StartServer(so);
  OpenAiEmbedderOptions o = Options();
  o.tokens_per_minute = 100000;
  o.max_inputs_per_request = 1;
  o.concurrency = 1;
  auto other = Make(o);
  auto e = Make(o);
  std::vector<std::string> texts;
  for (int i = 0; i < 11; ++i) texts.push_back(TextOfTokens(8000, std::to_string(i) + "t"));
  ASSERT_TRUE(other->Embed(texts).ok());   // 88k of the server's 100k used
  ASSERT_TRUE(e->Embed({texts[0]}).ok());  // e's own bucket is full; the answer says 4k are left
  const int64_t before = clock_.slept_ms();
  ASSERT_TRUE(e->Embed({texts[1]}).ok());
  EXPECT_EQ(server_->throttled(), 0);
  EXPECT_GE(clock_.slept_ms() - before, 2400);  // (8k - 4k) at 100k/min
  EXPECT_EQ(e->Stats().limiter_waits, 1);
}

TEST_F(OpenAiEmbedderTest, RunsRequestsConcurrently) {
  std::vector<CannedReply> slow(8, CannedReply{200, {}, "", 100, true});
  server_->Script(slow);
  OpenAiEmbedderOptions o = Options();
  o.max_inputs_per_request = 1;
  o.concurrency = 4;
  auto e = Make(o);
  const auto texts = Texts(8, 3);
  const auto start = std::chrono::steady_clock::now();
  Result<EmbeddingBatch> got = e->Embed(texts);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->requests, 8);
  EXPECT_GE(server_->max_in_flight(), 2);
  EXPECT_LE(server_->max_in_flight(), 4);
  EXPECT_LT(elapsed, std::chrono::milliseconds(700));  // serial would be 800
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(got->vectors[i], FakeOpenAiServer::Vector("text-embedding-3-small", texts[i], 1536)) << i;
  }
}

TEST_F(OpenAiEmbedderTest, AFailedBatchFailsTheCall) {
  // The second of three requests is rejected: the call fails, with its error.
  server_->Script({CannedReply{200, {}, "", 0, true},
                   {400, {}, Error("bad second batch", "invalid_request_error", nullptr)},
                   CannedReply{200, {}, "", 0, true}});
  OpenAiEmbedderOptions o = Options();
  o.max_inputs_per_request = 1;
  o.concurrency = 1;
  Result<EmbeddingBatch> got = Make(o)->Embed({"a", "b", "c"});
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("bad second batch"), std::string::npos) << got.status().message();
  EXPECT_EQ(server_->requests().size(), 2u);  // the third is not sent
}


// Issue 17: an embed stage past its deadline stops within a second, however
// the embedder is waiting. The stage's cancel flag reaches the request.

// On the wire: the server holds the answer for 5 s. curl's progress callback
// (how the request looked at its abort_if before) runs about once a second
// while no byte arrives, so a cancel 1.3 s in was seen ~0.9 s late; the
// transfer now polls it every 100 ms.
TEST_F(OpenAiEmbedderTest, ACancelEndsARequestOnTheWireWithinATenthOfASecond) {
  server_->Script({CannedReply{200, {}, "", 5'000, true}});
  OpenAiEmbedderOptions o = Options();
  o.timeout_ms = 30'000;
  auto e = Make(o);
  std::atomic<bool> cancel{false};
  std::chrono::steady_clock::time_point cancelled_at;
  std::thread deadline([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1'300));
    cancelled_at = std::chrono::steady_clock::now();
    cancel = true;
  });
  Result<EmbeddingBatch> got = e->Embed({"a", "b"}, &cancel);
  const auto returned_at = std::chrono::steady_clock::now();
  deadline.join();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kCancelled) << got.status().ToString();
  const int64_t late_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(returned_at - cancelled_at).count();
  std::cout << "embed returned " << late_ms << " ms after the cancel\n";
  EXPECT_LT(late_ms, 500) << "the request was not abandoned at once";
  EXPECT_EQ(e->Stats().attempts, 1);  // and not retried
}

// Sleeping on a Retry-After of a minute (the fake clock's time).
TEST_F(OpenAiEmbedderTest, ACancelEndsTheWaitForRetryAfter) {
  server_->Script({RateLimited({{"retry-after", "60"}})});
  auto e = Make(Options());
  std::atomic<bool> cancel{false};
  clock_.OnSleep([&] {
    if (clock_.slept_ms() >= 1'000) cancel = true;  // the deadline passes a second into the wait
  });
  Result<EmbeddingBatch> got = e->Embed({"a"}, &cancel);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kCancelled) << got.status().ToString();
  EXPECT_LE(clock_.slept_ms(), 1'000 + kAbortPollMs);
  EXPECT_EQ(server_->requests().size(), 1u);
}

// Waiting for the client-side rate limiter: one request a minute, the
// second batch waits for the budget. That wait did not look at the cancel
// flag and slept the whole minute.
TEST_F(OpenAiEmbedderTest, ACancelEndsTheWaitForTheRateLimiter) {
  OpenAiEmbedderOptions o = Options();
  o.requests_per_minute = 1;
  o.max_inputs_per_request = 1;
  o.concurrency = 1;
  auto e = Make(o);
  std::atomic<bool> cancel{false};
  clock_.OnSleep([&] {
    if (clock_.slept_ms() >= 1'000) cancel = true;
  });
  Result<EmbeddingBatch> got = e->Embed({"a", "b"}, &cancel);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kCancelled) << got.status().ToString();
  EXPECT_LE(clock_.slept_ms(), 1'000 + kAbortPollMs) << "waited for the budget past the cancel";
  EXPECT_EQ(server_->requests().size(), 1u);  // the second request never left
}

}  // namespace
}  // namespace docpipe
