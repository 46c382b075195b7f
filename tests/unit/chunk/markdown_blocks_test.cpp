#include "chunk/markdown_blocks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace docpipe {
namespace {

class MarkdownBlocksTest : public ::testing::Test {};

TEST_F(MarkdownBlocksTest, EachBlockType) {
  const std::string md =
      "# Title\n"
      "\n"
      "First paragraph\nwraps here.\n"
      "\n"
      "### Sub #\n"
      "- one\n"
      "  continued\n"
      "  - nested\n"
      "* two\n"
      "\n"
      "1. first\n"
      "2. second\n"
      "\n"
      "| a | b |\n"
      "|---|---|\n"
      "| 1 | 2 |\n"
      "```cpp\n"
      "int x;\n"
      "\n"
      "# not a heading\n"
      "```\n"
      "Last words.";
  const std::vector<Block> b = ParseMarkdownBlocks(md, 7);
  ASSERT_EQ(b.size(), 8u);
  EXPECT_EQ(b[0].type, BlockType::kHeading);
  EXPECT_EQ(b[0].level, 1);
  EXPECT_EQ(b[0].title, "Title");
  EXPECT_EQ(b[0].text, "# Title");
  EXPECT_EQ(b[1].type, BlockType::kParagraph);
  EXPECT_EQ(b[1].text, "First paragraph\nwraps here.");
  EXPECT_EQ(b[2].type, BlockType::kHeading);
  EXPECT_EQ(b[2].level, 3);
  EXPECT_EQ(b[2].title, "Sub");
  EXPECT_EQ(b[3].type, BlockType::kList);
  EXPECT_EQ(b[3].text, "- one\n  continued\n  - nested\n* two");
  EXPECT_EQ(b[4].type, BlockType::kList);
  EXPECT_EQ(b[4].text, "1. first\n2. second");
  EXPECT_EQ(b[5].type, BlockType::kTable);
  EXPECT_EQ(b[5].text, "| a | b |\n|---|---|\n| 1 | 2 |");
  EXPECT_EQ(b[6].type, BlockType::kCode);
  EXPECT_EQ(b[6].text, "```cpp\nint x;\n\n# not a heading\n```");
  EXPECT_EQ(b[7].type, BlockType::kParagraph);
  EXPECT_EQ(b[7].text, "Last words.");
  for (const Block& block : b) EXPECT_EQ(block.page, 7);
}

TEST_F(MarkdownBlocksTest, NotHeadingsAndTildeFences) {
  const std::vector<Block> b = ParseMarkdownBlocks("#hashtag\n####### seven\n\n~~~\n```\n~~~", 1);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].type, BlockType::kParagraph);
  EXPECT_EQ(b[1].type, BlockType::kCode);
  EXPECT_EQ(b[1].text, "~~~\n```\n~~~");
}

TEST_F(MarkdownBlocksTest, UnclosedFenceEndsWithPage) {
  const std::vector<Block> b = ParseMarkdownBlocks("text\n\n```\ncode\nmore", 2);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].type, BlockType::kCode);
  EXPECT_EQ(b[1].text, "```\ncode\nmore");
}

TEST_F(MarkdownBlocksTest, WrappedNumberDoesNotStartList) {
  const std::vector<Block> b = ParseMarkdownBlocks("It was released in\n1990. Then it grew.\n- but a bullet does", 1);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].type, BlockType::kParagraph);
  EXPECT_EQ(b[0].text, "It was released in\n1990. Then it grew.");
  EXPECT_EQ(b[1].type, BlockType::kList);
}

TEST_F(MarkdownBlocksTest, ParagraphAcrossPagesStaysTwoBlocks) {
  std::vector<ExtractedPage> pages(2);
  pages[0].number = 3;
  pages[0].markdown = "## Intro\n\nThe sentence starts on one page";
  pages[1].number = 4;
  pages[1].markdown = "and ends on the next.\n";
  const std::vector<Block> b = ParseMarkdownPages(pages);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[1].page, 3);
  EXPECT_EQ(b[1].text, "The sentence starts on one page");
  EXPECT_EQ(b[2].page, 4);
  EXPECT_EQ(b[2].text, "and ends on the next.");
}

TEST_F(MarkdownBlocksTest, EmptyAndBlankPages) {
  EXPECT_TRUE(ParseMarkdownBlocks("", 1).empty());
  EXPECT_TRUE(ParseMarkdownBlocks("\n  \n\t\n", 1).empty());
}

}  // namespace
}  // namespace docpipe
