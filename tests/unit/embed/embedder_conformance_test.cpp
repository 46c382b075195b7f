// The Embedder port's contract (embed/embedder.h), run against every adapter:
// the local feature-hashing embedder and the OpenAI embedder against the fake
// OpenAI server. What is particular to one adapter (packing, retries, the
// hashing features) stays in its own test file.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "embed/local_embedder.h"
#include "embed/openai_embedder.h"
#include "http/curl_http_client.h"
#include "support/conformance.h"
#include "support/fake_clock.h"
#include "unit/embed/fake_openai_server.h"

namespace docpipe {
namespace {

// One adapter under test, with whatever it needs kept alive beside it.
struct EmbedderUnderTest {
  virtual ~EmbedderUnderTest() = default;
  virtual Embedder& embedder() = 0;
};

struct LocalUnderTest : EmbedderUnderTest {
  EmbedderPtr e = NewLocalEmbedder({.dimension = 96, .threads = 2});
  Embedder& embedder() override { return *e; }
};

struct OpenAiUnderTest : EmbedderUnderTest {
  // The client goes before the server (kept-alive connections).
  testing::FakeClock clock;
  testing::FakeOpenAiServer server{clock};
  HttpClientPtr http = NewCurlHttpClient();
  EmbedderPtr e;
  OpenAiUnderTest() {
    OpenAiEmbedderOptions o;
    o.base_url = server.base_url();
    o.api_key = server.options().api_key;
    o.dimensions = 64;
    o.timeout_ms = 5000;
    Result<EmbedderPtr> made = NewOpenAiEmbedder(*http, clock, o);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (made.ok()) e = std::move(*made);
  }
  Embedder& embedder() override { return *e; }
};

using EmbedderAdapter = testing::ConformanceAdapter<EmbedderUnderTest>;

class EmbedderConformanceTest : public ::testing::TestWithParam<EmbedderAdapter> {
 protected:
  void SetUp() override {
    under_test_ = GetParam().make();
    ASSERT_NE(under_test_, nullptr);
  }
  Embedder& e() { return under_test_->embedder(); }

 private:
  std::unique_ptr<EmbedderUnderTest> under_test_;
};

double L2Norm(const std::vector<float>& v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  return std::sqrt(sum);
}

TEST_P(EmbedderConformanceTest, NamesItsModelAndDimension) {
  EXPECT_FALSE(e().Model().empty());
  EXPECT_GT(e().Dimension(), 0);
}

TEST_P(EmbedderConformanceTest, OneUnitVectorPerTextInOrder) {
  const std::vector<std::string> texts = {"the simplex method", "integer programming with branch and bound",
                                          "München und naïve 東京", "glp_simplex returns 0"};
  Result<EmbeddingBatch> got = e().Embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->vectors.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_EQ(got->vectors[i].size(), static_cast<size_t>(e().Dimension())) << i;
    for (float x : got->vectors[i]) ASSERT_TRUE(std::isfinite(x)) << i;
    EXPECT_NEAR(L2Norm(got->vectors[i]), 1.0, 1e-3) << i;
    // In order: each vector is the one the text gets alone.
    Result<EmbeddingBatch> alone = e().Embed({texts[i]});
    ASSERT_TRUE(alone.ok()) << alone.status().ToString();
    EXPECT_EQ(alone->vectors.at(0), got->vectors[i]) << i;
  }
  EXPECT_NE(got->vectors[0], got->vectors[1]);
  EXPECT_GT(got->tokens, 0);
  EXPECT_GE(got->cost_usd, 0);
  EXPECT_GE(got->requests, 0);
}

TEST_P(EmbedderConformanceTest, SameTextSameVector) {
  Result<EmbeddingBatch> a = e().Embed({"feasible basis", "dual bound"});
  Result<EmbeddingBatch> b = e().Embed({"feasible basis", "dual bound"});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->vectors, b->vectors);
}

TEST_P(EmbedderConformanceTest, EmptyTextIsInvalidInput) {
  Result<EmbeddingBatch> got = e().Embed({"fine", ""});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kInvalidInput) << got.status().ToString();
}

TEST_P(EmbedderConformanceTest, InvalidUtf8GetsAVector) {
  Result<EmbeddingBatch> got = e().Embed({std::string("caf\xc3 \xff bar", 9)});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->vectors.size(), 1u);
  EXPECT_EQ(got->vectors[0].size(), static_cast<size_t>(e().Dimension()));
}

TEST_P(EmbedderConformanceTest, ManyTextsInOneCall) {
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) texts.push_back("chunk " + std::to_string(i) + " of the manual");
  Result<EmbeddingBatch> got = e().Embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->vectors.size(), texts.size());
  Result<EmbeddingBatch> last = e().Embed({texts.back()});
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(got->vectors.back(), last->vectors.at(0));
}

INSTANTIATE_TEST_SUITE_P(
    Adapters, EmbedderConformanceTest,
    ::testing::Values(EmbedderAdapter{"Local", [] { return std::make_unique<LocalUnderTest>(); }},
                      EmbedderAdapter{"OpenAiFake", [] { return std::make_unique<OpenAiUnderTest>(); }}),
    testing::AdapterName());

}  // namespace
}  // namespace docpipe
