#include "pipeline/document_id.h"

#include <gtest/gtest.h>

namespace docpipe {
namespace {

TEST(DocumentIdTest, StableReadableAndDistinct) {
  std::string a = DocumentIdForKey("input/manuals/Guide v2.pdf");
  EXPECT_EQ(a, DocumentIdForKey("input/manuals/Guide v2.pdf"));
  EXPECT_EQ(a.rfind("guide-v2-", 0), 0u) << a;
  EXPECT_NE(a, DocumentIdForKey("input/other/Guide v2.pdf"));  // same name, other key
  for (char c : a) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') << a;
  std::string weird = DocumentIdForKey("input/Ünïcødé ✓.pdf");
  EXPECT_LE(weird.size(), 53u);
  EXPECT_EQ(DocumentIdForKey("input/___.pdf").rfind("doc-", 0), 0u);
  std::string longname = DocumentIdForKey(std::string("input/").append(300, 'x').append(".pdf"));
  EXPECT_LE(longname.size(), 53u);
}

}  // namespace
}  // namespace docpipe
