#include "index/hnsw_file.h"

#include <hnswlib/hnswlib.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_util.h"

namespace docpipe {
namespace {

constexpr int kHnswTestDim = 16;

std::vector<float> HnswTestUnit(std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> v(kHnswTestDim);
  float sum = 0;
  for (float& x : v) {
    x = normal(rng);
    sum += x * x;
  }
  for (float& x : v) x /= std::sqrt(sum);
  return v;
}

using HnswPairs = std::vector<std::pair<float, size_t>>;

HnswPairs Drain(std::priority_queue<std::pair<float, size_t>> q) {
  HnswPairs out;
  for (; !q.empty(); q.pop()) out.push_back(q.top());
  return out;
}

class HnswFileTest : public ::testing::Test {
 protected:
  // A graph of `n` points (labels 1000 + i), saved to hnsw.bin.
  void Build(size_t n, size_t capacity) {
    graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(&space_, capacity, 8, 40, 7);
    for (size_t i = 0; i < n; ++i) {
      points_.push_back(HnswTestUnit(rng_));
      graph_->addPoint(points_.back().data(), 1000 + i);
    }
  }
  void Save() { graph_->saveIndex(file_); }

  // Every query at every (k, ef) gives what hnswlib's own search gives:
  // the same labels and distances, in the same order.
  void ExpectSameAsHnswlib(const HnswFile& file) {
    for (int query = 0; query < 40; ++query) {
      const std::vector<float> q = HnswTestUnit(rng_);
      for (size_t ef : {4u, 10u, 64u}) {
        graph_->setEf(ef);
        for (size_t k : {1u, 10u, 30u}) {
          auto got = file.SearchKnn(q.data(), k, ef, space_.get_dist_func(), space_.get_dist_func_param());
          ASSERT_TRUE(got.ok()) << got.status().message();
          const HnswPairs want = Drain(graph_->searchKnn(q.data(), k));
          const HnswPairs have = Drain(*got);
          ASSERT_EQ(have.size(), want.size()) << "query " << query << " ef " << ef << " k " << k;
          for (size_t i = 0; i < want.size(); ++i) {
            EXPECT_EQ(have[i].second, want[i].second) << "query " << query << " ef " << ef << " k " << k << " #" << i;
            EXPECT_EQ(have[i].first, want[i].first) << "query " << query << " ef " << ef << " k " << k << " #" << i;
          }
        }
      }
    }
  }

  // Opening `bytes` as a graph file fails with a message naming the file.
  void ExpectOpenFails(const std::string& bytes, const std::string& why) {
    testing::WriteFile(file_, bytes);
    auto opened = HnswFile::Open(file_, kHnswTestDim * sizeof(float));
    ASSERT_FALSE(opened.ok()) << why;
    EXPECT_EQ(opened.status().code(), Status::Code::kInvalidInput) << why << ": " << opened.status().message();
    EXPECT_NE(opened.status().message().find(file_), std::string::npos) << opened.status().message();
    EXPECT_NE(opened.status().message().find("damaged"), std::string::npos) << opened.status().message();
  }

  testing::TempDir dir_;
  std::string file_ = dir_.Join("hnsw.bin");
  std::mt19937 rng_{17};
  hnswlib::InnerProductSpace space_{kHnswTestDim};
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph_;
  std::vector<std::vector<float>> points_;
};

TEST_F(HnswFileTest, SearchesAsHnswlibDoes) {
  Build(3000, 4000);  // capacity above the count, as a grown graph's
  Save();
  auto file = HnswFile::Open(file_, kHnswTestDim * sizeof(float));
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ((*file)->size(), 3000u);
  EXPECT_GT((*file)->header().max_level, 0) << "a graph with upper layers";
  ExpectSameAsHnswlib(**file);
}

TEST_F(HnswFileTest, SkipsDeletedElementsAsHnswlibDoes) {
  Build(2000, 2000);
  for (size_t i = 0; i < 2000; i += 3) graph_->markDelete(1000 + i);  // the entry point too, likely
  Save();
  auto file = HnswFile::Open(file_, kHnswTestDim * sizeof(float));
  ASSERT_TRUE(file.ok()) << file.status().message();
  ExpectSameAsHnswlib(**file);
  // And nothing deleted comes back.
  const std::vector<float> q = HnswTestUnit(rng_);
  auto got = (*file)->SearchKnn(q.data(), 50, 64, space_.get_dist_func(), space_.get_dist_func_param());
  ASSERT_TRUE(got.ok());
  for (const auto& [d, label] : Drain(*got)) EXPECT_NE((label - 1000) % 3, 0u) << label;
}

TEST_F(HnswFileTest, EmptyAndTinyGraphs) {
  Build(0, 10);
  Save();
  auto empty = HnswFile::Open(file_, kHnswTestDim * sizeof(float));
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  const std::vector<float> q = HnswTestUnit(rng_);
  auto none = (*empty)->SearchKnn(q.data(), 5, 10, space_.get_dist_func(), space_.get_dist_func_param());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  Build(3, 10);
  Save();
  auto tiny = HnswFile::Open(file_, kHnswTestDim * sizeof(float));
  ASSERT_TRUE(tiny.ok()) << tiny.status().message();
  auto all = (*tiny)->SearchKnn(q.data(), 10, 10, space_.get_dist_func(), space_.get_dist_func_param());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
}

TEST_F(HnswFileTest, AShortOrPaddedFileIsAnErrorNamingIt) {
  Build(500, 500);
  Save();
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
  Build(500, 500);
  Save();
  const std::string good = testing::ReadFile(file_);
  auto patched = [&](size_t at, auto value) {
    std::string bytes = good;
    std::memcpy(bytes.data() + at, &value, sizeof value);
    return bytes;
  };
  ExpectOpenFails(patched(16, size_t{501}), "more elements than the file holds");    // cur_element_count
  ExpectOpenFails(patched(24, size_t{3}), "a record too small for a vector");        // size_data_per_element
  ExpectOpenFails(patched(52, uint32_t{500}), "an entry point past the elements");   // enterpoint_node
  ExpectOpenFails(patched(48, int{40}), "a top level the entry point lacks");         // maxlevel
  ExpectOpenFails(patched(64, size_t{0}), "no room for level-0 links");              // maxM0
  ExpectOpenFails(patched(80, double{-1}), "a negative level multiplier");          // mult
}

TEST_F(HnswFileTest, ABadLinkInAVisitedRecordIsAnErrorNotACrash) {
  Build(500, 500);
  Save();
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
    return (*file)->SearchKnn(q.data(), 10, 10, space_.get_dist_func(), space_.get_dist_func_param()).status();
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
  Build(2000, 2000);
  Save();
  auto file = HnswFile::Open(file_, kHnswTestDim * sizeof(float));
  ASSERT_TRUE(file.ok());
  // Another process truncates it in place (the descriptor sees the change).
  ASSERT_EQ(::truncate(file_.c_str(), 96 + 10 * static_cast<off_t>((*file)->header().size_data_per_element)), 0);
  int errors = 0;
  for (int i = 0; i < 10; ++i) {
    const std::vector<float> q = HnswTestUnit(rng_);
    auto got = (*file)->SearchKnn(q.data(), 10, 10, space_.get_dist_func(), space_.get_dist_func_param());
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
