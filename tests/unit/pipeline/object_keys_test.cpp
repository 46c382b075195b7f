#include "pipeline/object_keys.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TEST(ObjectKeysTest, EveryKeyOfADocument) {
  EXPECT_EQ(ExtractedPageKey("d1", 7), "extracted/d1/page-0007.md");
  EXPECT_EQ(ExtractedMetadataKey("d1"), "extracted/d1/metadata.json");
  EXPECT_EQ(ChunksKey("d1"), "chunks/d1.json");
  EXPECT_EQ(EnrichedKey("d1"), "enriched/d1.json");
  EXPECT_EQ(RedactedKey("d1"), "redacted/d1.json");
  EXPECT_EQ(EmbeddingsKey("d1"), "embeddings/d1.json");
  EXPECT_EQ(ErrorKey("d1"), "errors/d1.json");
  EXPECT_EQ(ExtractedPageNumber("d1", "extracted/d1/page-0012.md"), 12);
  EXPECT_EQ(ExtractedPageNumber("d1", "extracted/d1/metadata.json"), 0);
  EXPECT_EQ(ExtractedPageNumber("d1", "extracted/d2/page-0001.md"), 0);
  EXPECT_EQ(ExtractedPageNumber("d1", "extracted/d1/page-0001.mdx"), 0);
  std::vector<std::string> outputs = OutputKeys("d1");
  EXPECT_EQ(outputs.size(), 5u);
}

TEST(ObjectKeysTest, DashedIdsKeepTheirDashes) {
  EXPECT_EQ(ExtractedPageKey("d-1", 7), "extracted/d-1/page-0007.md");
  EXPECT_EQ(ChunksKey("d-1"), "chunks/d-1.json");
  EXPECT_EQ(ErrorKey("d-1"), "errors/d-1.json");
}

}  // namespace
}  // namespace docpipe
