#include "index/hnsw_file.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "index/local_vector_index.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

constexpr int kHnswTestDim = 16;
constexpr int kHnswTestDocChunks = 100;

std::vector<float> HnswTestUnit(std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> v(kHnswTestDim);
  double sum = 0;
  for (float& x : v) {
    x = normal(rng);
    sum += static_cast<double>(x) * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(sum));
  return v;
}

// 1 - dot product, hnswlib's inner-product distance (DISTFUNC's signature).
float HnswTestDistance(const void* a, const void* b, const void* n) {
  const float* x = static_cast<const float*>(a);
  const float* y = static_cast<const float*>(b);
  float dot = 0;
  for (size_t i = 0; i < *static_cast<const size_t*>(n); ++i) dot += x[i] * y[i];
  return 1.0f - dot;
}

using HnswPairs = std::vector<std::pair<float, size_t>>;

HnswPairs Drain(std::priority_queue<std::pair<float, size_t>> q) {
  HnswPairs out;
  for (; !q.empty(); q.pop()) out.push_back(q.top());
  return out;
}

// hnsw.bin as the index writes it (hnswlib's saveIndex): documents of 100
// chunks, labels 1, 2, ... in the order added (document d's chunk j has
// label 100 d + j + 1).
class HnswFileTest : public ::testing::Test {
 protected:
  void Build(int documents, const std::set<int>& deleted = {}) {
    LocalVectorIndexOptions o;
    o.directory = dir_.Join("index");
    o.dimension = kHnswTestDim;
    auto index = NewLocalVectorIndex(o);
    ASSERT_TRUE(index.ok()) << index.status().ToString();
    for (int d = 0; d < documents; ++d) {
      const std::string doc = "d" + std::to_string(d);
      std::vector<IndexedChunk> chunks;
      for (int j = 0; j < kHnswTestDocChunks; ++j) {
        IndexedChunk c;
        c.chunk_id = doc + ":" + std::to_string(j);
        c.document_id = doc;
        c.processing_version = "v1";
        c.text = "stone " + std::to_string(j);
        c.vector = HnswTestUnit(rng_);
        points_.push_back(c.vector);
        chunks.push_back(std::move(c));
      }
      ASSERT_TRUE((*index)->ReplaceDocument(doc, "v1", chunks).ok());
    }
    for (int d : deleted) ASSERT_TRUE((*index)->DeleteDocument("d" + std::to_string(d)).ok());
    deleted_ = deleted;
  }  // closing saves hnsw.bin

  // Opening `bytes` as a graph file fails with a message naming the file.
  void ExpectOpenFails(const std::string& bytes, const std::string& why) {
    testing::WriteFile(file_, bytes);
    auto opened = HnswFile::Open(file_, kHnswTestDim * sizeof(float));
    ASSERT_FALSE(opened.ok()) << why;
    EXPECT_EQ(opened.status().code(), Status::Code::kInvalidInput) << why << ": " << opened.status().message();
    EXPECT_NE(opened.status().message().find(file_), std::string::npos) << opened.status().message();
    EXPECT_NE(opened.status().message().find("damaged"), std::string::npos) << opened.status().message();
  }

  Result<std::priority_queue<std::pair<float, size_t>>> Search(const HnswFile& file, const std::vector<float>& q,
                                                               size_t k, size_t ef) {
    return file.SearchKnn(q.data(), k, ef, &HnswTestDistance, &dimension_);
  }

  testing::TempDir dir_;
  std::string file_ = dir_.Join("index/hnsw.bin");
  std::mt19937 rng_{17};
  size_t dimension_ = kHnswTestDim;
  std::vector<std::vector<float>> points_;  // by label - 1
  std::set<int> deleted_;
};

// Equality with hnswlib's own search, step for step, is checked through the
// index (LocalVectorIndexTest.ALoadedGraphSearchesFromTheFileThenFromMemory):
// hnswlib's headers cannot be linked twice into one test binary.
TEST_F(HnswFileTest, FindsTheNearestLiveElementsWithTheirDistances) {
  Build(20, {3, 11});
  auto file = HnswFile::Open(file_, kHnswTestDim * sizeof(float));
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ((*file)->size(), 2000u);
  EXPECT_GT((*file)->header().max_level, 0) << "a graph with upper layers";
  size_t found = 0, wanted = 0;
  for (int query = 0; query < 40; ++query) {
    const std::vector<float> q = HnswTestUnit(rng_);
    // The exact answer: the 10 live labels nearest q.
    std::vector<std::pair<float, size_t>> exact;
    for (size_t i = 0; i < points_.size(); ++i) {
      if (deleted_.count(static_cast<int>(i / kHnswTestDocChunks)) != 0) continue;
      exact.push_back({HnswTestDistance(q.data(), points_[i].data(), &dimension_), i + 1});
    }
    std::sort(exact.begin(), exact.end());
    std::set<size_t> best;
    for (size_t i = 0; i < 10; ++i) best.insert(exact[i].second);
    auto got = Search(**file, q, 10, 64);
    ASSERT_TRUE(got.ok()) << got.status().message();
    const HnswPairs have = Drain(*got);
    ASSERT_EQ(have.size(), 10u);
    for (size_t i = 0; i < have.size(); ++i) {
      const auto [distance, label] = have[i];
      ASSERT_GE(label, 1u);
      ASSERT_LE(label, points_.size());
      EXPECT_EQ(deleted_.count(static_cast<int>((label - 1) / kHnswTestDocChunks)), 0u) << "deleted label " << label;
      EXPECT_NEAR(distance, HnswTestDistance(q.data(), points_[label - 1].data(), &dimension_), 1e-5) << label;
      if (i > 0) {
        EXPECT_GE(have[i - 1].first, distance) << "the farthest on top, as hnswlib's queue";
      }
      found += best.count(label);
    }
    wanted += 10;
  }
  EXPECT_GE(static_cast<double>(found) / static_cast<double>(wanted), 0.95) << found << " of " << wanted;
}

TEST_F(HnswFileTest, AskingForMoreThanTheGraphHoldsReturnsEveryLiveElement) {
  Build(1, {});
  auto file = HnswFile::Open(file_, kHnswTestDim * sizeof(float));
  ASSERT_TRUE(file.ok()) << file.status().message();
  auto all = Search(**file, HnswTestUnit(rng_), 500, 10);
  ASSERT_TRUE(all.ok()) << all.status().message();
  std::set<size_t> labels;
  for (const auto& [d, label] : Drain(*all)) labels.insert(label);
  EXPECT_EQ(labels.size(), 100u);
}

TEST_F(HnswFileTest, AShortOrPaddedFileIsAnErrorNamingIt) {
  Build(5);
  const std::string good = testing::ReadFile(file_);
  const size_t record = (*HnswFile::Open(file_, kHnswTestDim * sizeof(float)))->header().size_data_per_element;
  ExpectOpenFails("", "empty");
  ExpectOpenFails(good.substr(0, 50), "inside the header");
  ExpectOpenFails(good.substr(0, 96), "the header alone");
  ExpectOpenFails(good.substr(0, 96 + 200 * record + 7), "inside the level-0 block");
  ExpectOpenFails(good.substr(0, good.size() - 1), "inside the last link list");
  ExpectOpenFails(good + std::string(4, '\0'), "bytes after the end");
  ExpectOpenFails(std::string(good.size(), '\xff'), "garbage");
}

TEST_F(HnswFileTest, ADamagedHeaderIsAnErrorNamingTheFile) {
  Build(5);
  const std::string good = testing::ReadFile(file_);
  auto patched = [&](size_t at, auto value) {
    std::string bytes = good;
    std::memcpy(bytes.data() + at, &value, sizeof value);
    return bytes;
  };
  ExpectOpenFails(patched(16, size_t{100000}), "more elements than the file holds");  // cur_element_count
  ExpectOpenFails(patched(24, size_t{3}), "a record too small for a vector");        // size_data_per_element
  ExpectOpenFails(patched(52, uint32_t{500}), "an entry point past the elements");   // enterpoint_node
  ExpectOpenFails(patched(48, int{40}), "a top level the entry point lacks");         // maxlevel
  ExpectOpenFails(patched(64, size_t{0}), "no room for level-0 links");              // maxM0
  ExpectOpenFails(patched(80, double{-1}), "a negative level multiplier");          // mult
}

TEST_F(HnswFileTest, ABadLinkInAVisitedRecordIsAnErrorNotACrash) {
  Build(5);
  std::string bytes = testing::ReadFile(file_);
  auto opened = HnswFile::Open(file_, kHnswTestDim * sizeof(float));
  ASSERT_TRUE(opened.ok());
  const HnswFile::Header h = (*opened)->header();
  const std::vector<float> q = HnswTestUnit(rng_);
  auto search = [&](const std::string& damaged) {
    testing::WriteFile(file_, damaged);
    auto file = HnswFile::Open(file_, kHnswTestDim * sizeof(float));
    EXPECT_TRUE(file.ok()) << "level-0 links are checked as a search reads them";
    if (!file.ok()) return Status::Ok();
    return Search(**file, q, 10, 10).status();
  };
  // Every record's first link pointing past the last element.
  std::string far = bytes;
  for (size_t i = 0; i < 500; ++i) {
    const uint32_t bad = 500 + 7;
    std::memcpy(far.data() + 96 + i * h.size_data_per_element + h.offset_level0 + 4, &bad, 4);
  }
  Status st = search(far);
  EXPECT_EQ(st.code(), Status::Code::kInvalidInput) << st.message();
  EXPECT_NE(st.message().find("a link to element 507"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(file_), std::string::npos) << st.message();
  // Every record's link count above maxM0.
  std::string many = bytes;
  for (size_t i = 0; i < 500; ++i) {
    const uint16_t count = static_cast<uint16_t>(h.max_m0 + 1);
    std::memcpy(many.data() + 96 + i * h.size_data_per_element + h.offset_level0, &count, 2);
  }
  st = search(many);
  EXPECT_EQ(st.code(), Status::Code::kInvalidInput) << st.message();
  EXPECT_NE(st.message().find("links at level 0"), std::string::npos) << st.message();
}

TEST_F(HnswFileTest, AFileCutShortAfterOpeningIsAnErrorNotACrash) {
  Build(20);
  auto file = HnswFile::Open(file_, kHnswTestDim * sizeof(float));
  ASSERT_TRUE(file.ok());
  // Another process truncates it in place (the descriptor sees the change).
  ASSERT_EQ(::truncate(file_.c_str(), 96 + 10 * static_cast<off_t>((*file)->header().size_data_per_element)), 0);
  int errors = 0;
  for (int i = 0; i < 10; ++i) {
    const std::vector<float> q = HnswTestUnit(rng_);
    auto got = Search(**file, q, 10, 10);
    if (got.ok()) continue;
    ++errors;
    EXPECT_NE(got.status().message().find("past the end"), std::string::npos) << got.status().message();
  }
  EXPECT_GT(errors, 0) << "searches reach elements past the cut";
}

TEST_F(HnswFileTest, AMissingFileIsNotFound) {
  auto opened = HnswFile::Open(dir_.Join("none.bin"), kHnswTestDim * sizeof(float));
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Status::Code::kNotFound);
  EXPECT_NE(opened.status().message().find("none.bin"), std::string::npos);
}

}  // namespace
}  // namespace docpipe
