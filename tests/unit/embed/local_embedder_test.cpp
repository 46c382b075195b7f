#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "embed/embedder.h"
#include "embed/local_embedder.h"

namespace docpipe {
namespace {

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double{a[i]} * b[i];
  return s;
}

double Norm(const std::vector<float>& a) { return std::sqrt(Dot(a, a)); }

// Deterministic pseudo-random prose so the multi-text tests need no fixtures.
std::vector<std::string> SyntheticTexts(size_t count, size_t words_per_text, uint64_t seed) {
  static const std::vector<std::string> kVocab = {
      "the",      "index",     "vector",   "query",    "document", "ingestion", "pipeline",
      "chunk",    "embedding", "retrieval", "of",      "and",      "server",    "latency",
      "storage",  "bucket",    "reading",  "written",  "tables",   "configured", "a",
      "München",  "naïve",     "東京",      "résumé",   "throughput", "is",      "shards",
      "replicas", "compaction", "merging", "to",       "with",     "caching",   "evicted",
  };
  std::vector<std::string> out;
  uint64_t x = seed;
  for (size_t t = 0; t < count; ++t) {
    std::string s;
    for (size_t w = 0; w < words_per_text; ++w) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      if (w) s += (x >> 60) == 0 ? ". " : " ";
      s += kVocab[(x >> 33) % kVocab.size()];
    }
    out.push_back(std::move(s));
  }
  return out;
}

class LocalEmbedderTest : public ::testing::Test {
 protected:
  std::vector<float> EmbedText(Embedder& e, const std::string& text) {
    Result<EmbeddingBatch> r = e.Embed({text});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    EXPECT_EQ(r->vectors.size(), 1u);
    return r->vectors.at(0);
  }
  double Cosine(const std::string& a, const std::string& b) {
    return Dot(EmbedText(*embedder_, a), EmbedText(*embedder_, b));
  }

  EmbedderPtr embedder_ = NewLocalEmbedder({});
};

TEST_F(LocalEmbedderTest, ModelNameCarriesDimension) {
  EXPECT_EQ(embedder_->Model(), "docpipe-hash-v1-d512");
  EXPECT_EQ(embedder_->Dimension(), 512);
  EmbedderPtr small = NewLocalEmbedder({.dimension = 64, .threads = 1});
  EXPECT_EQ(small->Model(), "docpipe-hash-v1-d64");
  EXPECT_EQ(small->Dimension(), 64);
}

TEST_F(LocalEmbedderTest, DimensionRespectedAndUnitNorm) {
  for (int dim : {8, 64, 512, 1536}) {
    EmbedderPtr e = NewLocalEmbedder({.dimension = dim, .threads = 2});
    Result<EmbeddingBatch> r = e->Embed(SyntheticTexts(40, 30, dim));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->vectors.size(), 40u);
    for (const auto& v : r->vectors) {
      ASSERT_EQ(v.size(), static_cast<size_t>(dim));
      EXPECT_NEAR(Norm(v), 1.0, 1e-5);
    }
  }
  std::vector<float> v = EmbedText(*embedder_, "One short sentence.");
  ASSERT_EQ(v.size(), 512u);
  EXPECT_NEAR(Norm(v), 1.0, 1e-5);
}

TEST_F(LocalEmbedderTest, OptionsClampedOrRejected) {
  EXPECT_EQ(NewLocalEmbedder({.dimension = 2, .threads = 0})->Dimension(), 8);
  EXPECT_EQ(NewLocalEmbedder({.dimension = 100000, .threads = 1})->Dimension(), 8192);
  // A clamped threads value must still embed.
  EXPECT_TRUE(NewLocalEmbedder({.dimension = 16, .threads = -3})->Embed(SyntheticTexts(100, 5, 1)).ok());

  EXPECT_EQ(NewLocalEmbedderChecked({.dimension = 7, .threads = 1}).status().code(),
            Status::Code::kInvalidInput);
  EXPECT_EQ(NewLocalEmbedderChecked({.dimension = 8193, .threads = 1}).status().code(),
            Status::Code::kInvalidInput);
  EXPECT_EQ(NewLocalEmbedderChecked({.dimension = 64, .threads = 0}).status().code(),
            Status::Code::kInvalidInput);
  Result<EmbedderPtr> ok = NewLocalEmbedderChecked({.dimension = 8, .threads = 1});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)->Dimension(), 8);
}

TEST_F(LocalEmbedderTest, DeterministicAcrossCallsAndThreadCounts) {
  const std::vector<std::string> texts = SyntheticTexts(1000, 40, 42);
  EmbedderPtr one = NewLocalEmbedder({.dimension = 512, .threads = 1});
  EmbedderPtr four = NewLocalEmbedder({.dimension = 512, .threads = 4});
  Result<EmbeddingBatch> a = one->Embed(texts);
  Result<EmbeddingBatch> b = four->Embed(texts);
  Result<EmbeddingBatch> c = four->Embed(texts);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_EQ(a->vectors.size(), 1000u);
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_EQ(a->vectors[i], b->vectors[i]) << "text " << i;  // bit-identical
    ASSERT_EQ(b->vectors[i], c->vectors[i]) << "text " << i;
  }
  EXPECT_EQ(a->tokens, 1000 * 40);
  EXPECT_EQ(b->tokens, a->tokens);
  EXPECT_EQ(a->cost_usd, 0);
  EXPECT_EQ(a->requests, 0);

  // A text embedded alone matches its vector inside a large batch.
  EXPECT_EQ(EmbedText(*one, texts[517]), a->vectors[517]);
  // Different texts give different vectors (the test above would pass for a constant).
  EXPECT_NE(a->vectors[0], a->vectors[1]);
  EXPECT_LT(Dot(a->vectors[0], a->vectors[1]), 0.999);
}

TEST_F(LocalEmbedderTest, EmptyInputNamesIndex) {
  EmbedderPtr e = NewLocalEmbedder({.dimension = 64, .threads = 4});
  std::vector<std::string> texts = SyntheticTexts(200, 5, 3);
  texts[137] = " \n\t ";
  Result<EmbeddingBatch> r = e->Embed(texts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
  EXPECT_EQ(r.status().message(), "empty input at index 137");

  r = e->Embed({"fine", ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "empty input at index 1");

  // An empty batch is not an error: nothing to embed.
  r = e->Embed({});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->vectors.empty());
}

TEST_F(LocalEmbedderTest, PunctuationOnlyGivesFiniteUnitVector) {
  for (const std::string text : {"...", "!!! ??? ---", "— “ ” « » ·", "'"}) {
    std::vector<float> v = EmbedText(*embedder_, text);
    ASSERT_EQ(v.size(), 512u) << text;
    for (float x : v) ASSERT_TRUE(std::isfinite(x)) << text;
    EXPECT_NEAR(Norm(v), 1.0, 1e-6) << text;
  }
  EXPECT_EQ(EmbedText(*embedder_, "..."), EmbedText(*embedder_, "?!"));
  for (int dim = 8; dim <= 8192; dim += 7) {  // no dimension may yield 0/0
    EmbedderPtr e = NewLocalEmbedder({.dimension = dim, .threads = 1});
    Result<EmbeddingBatch> r = e->Embed({"--"});
    ASSERT_TRUE(r.ok());
    ASSERT_NEAR(Norm(r->vectors[0]), 1.0, 1e-6) << dim;
  }
  // And it is not what a real word maps to.
  EXPECT_LT(std::abs(Cosine("...", "index")), 0.5);
}

TEST_F(LocalEmbedderTest, CaseAndPunctuationInsensitive) {
  EXPECT_NEAR(Cosine("Hello, World!", "hello world"), 1.0, 1e-6);
  EXPECT_NEAR(Cosine("Don't panic", "dont panic"), 1.0, 1e-6);
  EXPECT_NEAR(Cosine("Don’t panic", "dont panic"), 1.0, 1e-6);
  // Multibyte words are words; em dashes and guillemets separate them.
  EXPECT_NEAR(Cosine("Straße—München", "straße münchen"), 1.0, 1e-6);
  EXPECT_NEAR(Cosine("«東京»", "東京"), 1.0, 1e-6);
  EXPECT_LT(Cosine("東京", "大阪"), 0.5);
}

TEST_F(LocalEmbedderTest, MorphologicalVariantsOverlap) {
  const double variant = Cosine("configure the index", "configuring indexes");
  const double unrelated = Cosine("configure the index", "the weather was sunny at the beach");
  EXPECT_GT(variant, unrelated + 0.3) << variant << " vs " << unrelated;
  EXPECT_GT(variant, 0.6);

  // Typos still overlap through character n-grams.
  const double typo = Cosine("retrieval evaluation", "retreival evaluaton");
  EXPECT_GT(typo, Cosine("retrieval evaluation", "banana smoothie recipe") + 0.2);

  EXPECT_GT(Cosine("queries", "query"), 0.6);
  EXPECT_GT(Cosine("the stopped processes", "stopping a process"), 0.5);
}

TEST_F(LocalEmbedderTest, StopwordsWeighLess) {
  // Sharing only function words counts for less than sharing a content word.
  const double shared_stop = Cosine("the cat is on the mat", "the dog is on the rug");
  const double shared_content = Cosine("a cat sat", "the cat ran");
  EXPECT_GT(shared_content, shared_stop);
}

TEST_F(LocalEmbedderTest, RetrievalSanityOnSmallCorpus) {
  const std::vector<std::string> corpus = {
      // 0 baking
      "To bake sourdough bread, feed the starter the night before, mix flour, water and salt, "
      "then let the dough rise slowly before shaping the loaf and baking it in a hot oven.",
      // 1 volcanoes
      "Volcanoes form where magma from the mantle reaches the surface. Eruptions release ash, "
      "lava and gases, and explosive eruptions can send ash clouds high into the atmosphere.",
      // 2 databases
      "A database index speeds up queries by keeping a sorted structure such as a B-tree over "
      "the indexed columns, at the cost of slower writes and extra storage.",
      // 3 football
      "The football team won the championship after scoring a late goal in extra time; the "
      "goalkeeper saved two penalties and the coach praised the defenders.",
      // 4 photosynthesis
      "Plants use photosynthesis to turn sunlight, water and carbon dioxide into glucose and "
      "oxygen; chlorophyll in the leaves absorbs mostly red and blue light.",
      // 5 taxes
      "Freelancers must file a tax return each year, report their income and expenses, and "
      "pay estimated taxes quarterly to avoid penalties from the revenue service.",
      // 6 guitar
      "Learning the guitar starts with tuning the strings, practising simple chords like G, C "
      "and D, and strumming steadily along with a metronome.",
      // 7 sleep
      "Adults need seven to nine hours of sleep. Keeping a regular bedtime, a dark bedroom and "
      "avoiding caffeine in the evening all improve sleep quality.",
      // 8 space
      "The rocket launched the satellite into orbit; after separation the spacecraft unfolded "
      "its solar panels and began transmitting data to the ground station.",
      // 9 rust memory
      "Rust prevents memory bugs at compile time: the borrow checker enforces ownership rules "
      "so that dangling pointers and data races are rejected by the compiler.",
  };
  // Paraphrases: each shares a few words (or word forms) with its target,
  // never the whole wording.
  const std::vector<std::string> queries = {
      "how long should sourdough dough rise before it is baked",
      "what happens when a volcano erupts and throws out lava",
      "why do indexes make database queries faster but writes slower",
      "which goalkeeper saved the penalties in the championship final",
      "how do leaves absorb light to make glucose",
      "paying quarterly estimated tax as a freelancer",
      "beginner chords and tuning for a guitar",
      "tips for better sleep quality at night: avoid caffeine",
      "satellites reaching orbit and deploying solar panels",
      "how the borrow checker stops data races and memory errors",
  };
  std::vector<std::string> all = corpus;
  all.insert(all.end(), queries.begin(), queries.end());
  Result<EmbeddingBatch> r = embedder_->Embed(all);
  ASSERT_TRUE(r.ok()) << r.status().ToString();

  int correct = 0;
  for (size_t q = 0; q < queries.size(); ++q) {
    const std::vector<float>& qv = r->vectors[corpus.size() + q];
    size_t best = 0;
    double best_score = -2;
    for (size_t d = 0; d < corpus.size(); ++d) {
      const double s = Dot(qv, r->vectors[d]);
      if (s > best_score) best_score = s, best = d;
    }
    if (best == q) {
      ++correct;
    } else {
      ADD_FAILURE() << "query " << q << " (" << queries[q] << ") matched paragraph " << best
                    << " (score " << best_score << ", target " << Dot(qv, r->vectors[q]) << ")";
    }
  }
  // Each miss is reported above; two misses are tolerated, more fail.
  std::printf("retrieval: %d/10 queries matched their paragraph\n", correct);
  EXPECT_GE(correct, 8);
}

TEST(LocalEmbedderThroughput, PrintsTextsPerSecond) {
  // Printed, not asserted: the machine is shared.
  const std::vector<std::string> texts = SyntheticTexts(1000, 400, 7);
  for (int threads : {1, 2}) {
    EmbedderPtr e = NewLocalEmbedder({.dimension = 512, .threads = threads});
    const auto start = std::chrono::steady_clock::now();
    Result<EmbeddingBatch> r = e->Embed(texts);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->vectors.size(), texts.size());
    std::printf("local embedder: %d thread(s): %.0f texts/s (1000 texts x 400 words, %.2fs)\n",
                threads, texts.size() / secs, secs);
  }
}

TEST(VectorBase64, RoundTrip) {
  const std::vector<float> v = {0.0f, -0.0f, 1.0f, -1.5f, 3.14159f, 1e-30f, -7e20f,
                                std::numeric_limits<float>::denorm_min()};
  const std::string s = EncodeVectorBase64(v);
  EXPECT_EQ(s.size(), (v.size() * 4 + 2) / 3 * 4);
  Result<std::vector<float>> back = DecodeVectorBase64(s, static_cast<int>(v.size()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(std::memcmp(&(*back)[i], &v[i], 4), 0) << i;  // bit-exact, including -0
  }
  // Odd lengths exercise both padding forms: 1 float = 4 bytes (==), 2 = 8 bytes (=).
  for (int n : {1, 2, 3}) {
    std::vector<float> w(n, 0.25f);
    Result<std::vector<float>> d = DecodeVectorBase64(EncodeVectorBase64(w), n);
    ASSERT_TRUE(d.ok()) << n;
    EXPECT_EQ(*d, w);
  }
  // And an embedder's output survives the trip.
  EmbedderPtr e = NewLocalEmbedder({});
  Result<EmbeddingBatch> r = e->Embed({"round trip through base64"});
  ASSERT_TRUE(r.ok());
  Result<std::vector<float>> d = DecodeVectorBase64(EncodeVectorBase64(r->vectors[0]), 512);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, r->vectors[0]);
}

TEST(VectorBase64, LittleEndianLayout) {
  // 1.0f = 0x3F800000, little-endian bytes 00 00 80 3F -> "AACAPw==".
  EXPECT_EQ(EncodeVectorBase64({1.0f}), "AACAPw==");
  Result<std::vector<float>> d = DecodeVectorBase64("AACAPw==", 1);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, std::vector<float>{1.0f});
  EXPECT_EQ(EncodeVectorBase64({}), "");
}

TEST(VectorBase64, RejectsBadInput) {
  const std::string good = EncodeVectorBase64({1.0f, 2.0f, 3.0f});  // 12 bytes, no padding
  ASSERT_TRUE(DecodeVectorBase64(good, 3).ok());
  auto code = [](const Result<std::vector<float>>& r) { return r.status().code(); };
  const auto kBad = Status::Code::kInvalidInput;
  EXPECT_EQ(code(DecodeVectorBase64(good, 4)), kBad);            // too short for dimension
  EXPECT_EQ(code(DecodeVectorBase64(good, 2)), kBad);            // too long
  EXPECT_EQ(code(DecodeVectorBase64(good, 0)), kBad);            // nonsense dimension
  EXPECT_EQ(code(DecodeVectorBase64(good.substr(1), 3)), kBad);  // length not multiple of 4
  std::string bad_char = good;
  bad_char[5] = '*';
  EXPECT_EQ(code(DecodeVectorBase64(bad_char, 3)), kBad);
  std::string with_space = good;
  with_space[4] = ' ';
  EXPECT_EQ(code(DecodeVectorBase64(with_space, 3)), kBad);
  EXPECT_EQ(code(DecodeVectorBase64("AACAPw=A", 1)), kBad);  // padding then data
  EXPECT_EQ(code(DecodeVectorBase64("AACAP===", 1)), kBad);  // three pad chars
  EXPECT_EQ(code(DecodeVectorBase64("AACAPx==", 1)), kBad);  // non-zero bits under padding
  EXPECT_EQ(code(DecodeVectorBase64("=AACAPw=", 1)), kBad);  // padding not at the end
  EXPECT_EQ(code(DecodeVectorBase64("", 1)), kBad);
  Result<std::vector<float>> r = DecodeVectorBase64(good, 4);
  EXPECT_NE(r.status().message().find("expected 4 floats"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace docpipe
