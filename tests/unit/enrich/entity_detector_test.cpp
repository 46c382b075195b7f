#include "enrich/entity_detector.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace docpipe {
namespace {

class EntityDetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<EntityDetectorPtr> d = NewEntityDetector();
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    detector_ = std::move(d).value();
  }

  // (type, text) of every entity found.
  std::vector<std::pair<std::string, std::string>> Found(const std::string& text) const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const Entity& e : detector_->Detect(text)) out.emplace_back(e.type, e.text);
    return out;
  }

  EntityDetectorPtr detector_;
};

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST_F(EntityDetectorTest, MoneyAndPercentagesAreQuantities) {
  EXPECT_EQ(Found("It costs $5.00, up 12% on last year."),
            (Pairs{{"QUANTITY", "$5.00"}, {"QUANTITY", "12%"}}));
  EXPECT_EQ(Found("Revenue reached €3.2 million and 1,500 USD in fees."),
            (Pairs{{"QUANTITY", "€3.2 million"}, {"QUANTITY", "1,500 USD"}}));
  EXPECT_EQ(Found("Margins fell 4.5 percent."), (Pairs{{"QUANTITY", "4.5 percent"}}));
}

TEST_F(EntityDetectorTest, MeasuresAndCounts) {
  EXPECT_EQ(
      Found("A 5 kg box with 10 MB of logs, a 3.5 GHz CPU and a 60W lamp."),
      (Pairs{{"QUANTITY", "5 kg"}, {"QUANTITY", "10 MB"}, {"QUANTITY", "3.5 GHz"}, {"QUANTITY", "60W"}}));
  EXPECT_EQ(Found("The report runs to 200 pages."), (Pairs{{"QUANTITY", "200 pages"}}));
}

TEST_F(EntityDetectorTest, NearMissesAreNotQuantities) {
  // A bare number, a year, a decade and a number followed by an ordinary word.
  EXPECT_TRUE(Found("Chapter 5 in the 1990s, room 42 in 2024.").empty());
  EXPECT_TRUE(Found("We met 3 in the morning.").empty());
}

TEST_F(EntityDetectorTest, Dates) {
  EXPECT_EQ(Found("Filed 2024-03-15, heard March 18, 2024, closed 2 April 2024."),
            (Pairs{{"DATE", "2024-03-15"}, {"DATE", "March 18, 2024"}, {"DATE", "2 April 2024"}}));
  EXPECT_TRUE(Found("Filed 2024-02-30.").empty());
}

TEST_F(EntityDetectorTest, OffsetsAndScores) {
  const std::string text = "Prix: ½ — 12% de réduction";
  std::vector<Entity> found = detector_->Detect(text);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text, "12%");
  EXPECT_EQ(found[0].begin_offset, 10);  // "Prix: ½ — " is 10 code points
  EXPECT_EQ(found[0].begin_byte, static_cast<int64_t>(text.find("12%")));
  EXPECT_GT(found[0].score, 0.7);
  EXPECT_LE(found[0].score, 1.0);
}

}  // namespace
}  // namespace docpipe
