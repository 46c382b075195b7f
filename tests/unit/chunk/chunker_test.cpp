#include "chunk/chunker.h"

#include <gtest/gtest.h>
#include <atomic>
#include <fmt/format.h>

#include <random>
#include <string>
#include <vector>

#include "tokenize/bpe_tokenizer.h"

namespace docpipe {
namespace {

class ChunkerTest : public ::testing::Test {
 protected:
  static std::vector<ExtractedPage> Pages(const std::vector<std::string>& markdown) {
    std::vector<ExtractedPage> pages;
    for (size_t i = 0; i < markdown.size(); ++i) {
      ExtractedPage p;
      p.number = static_cast<int>(i) + 1;
      p.markdown = markdown[i];
      pages.push_back(p);
    }
    return pages;
  }

  std::vector<Chunk> Run(const std::vector<std::string>& markdown, ChunkOptions o) {
    Result<std::vector<Chunk>> r = ChunkDocument("doc", "v1", Pages(markdown), *tok_, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : std::vector<Chunk>{};
  }

  static ChunkOptions Opts(int min, int target, int max, int overlap = 0) {
    ChunkOptions o;
    o.min_tokens = min;
    o.target_tokens = target;
    o.max_tokens = max;
    o.overlap_tokens = overlap;
    return o;
  }

  // Every non-whitespace byte of the pages appears, in order, in the
  // concatenated chunk texts (extra text such as repeated table headers,
  // re-added fences and overlap is allowed between them).
  static bool Covers(const std::vector<std::string>& markdown, const std::vector<Chunk>& chunks) {
    std::string all;
    for (const Chunk& c : chunks) all += c.text;
    size_t pos = 0;
    for (const std::string& page : markdown) {
      for (size_t at = 0; at < page.size(); ++at) {
        const char ch = page[at];
        if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') continue;
        const size_t found = all.find(ch, pos);
        if (found == std::string::npos) {
          ADD_FAILURE() << "missing '" << ch << "' after: " << all.substr(pos > 60 ? pos - 60 : 0, 60)
                        << "\n page context: " << page.substr(at > 60 ? at - 60 : 0, 120);
          return false;
        }
        pos = found;
        ++pos;
      }
    }
    return true;
  }

  static bool ValidUtf8(const std::string& s) {
    size_t i = 0;
    while (i < s.size()) {
      const auto c = static_cast<unsigned char>(s[i]);
      size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
      if (n == 0 || i + n > s.size()) return false;
      for (size_t k = 1; k < n; ++k) {
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
      }
      i += n;
    }
    return true;
  }

  static std::string Sentences(const std::string& stem, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      if (i > 0) s += ' ';
      s += stem + " number " + std::to_string(i) + " describes the simplex tableau in some detail.";
    }
    return s;
  }

  // The chunker counts with the embedding model's tokenizer (cl100k_base for
  // the default model).
  static TokenizerPtr Cl100k() {
    Result<TokenizerPtr> t = NewBpeTokenizer("cl100k_base");
    if (!t.ok()) ADD_FAILURE() << t.status().ToString();
    return t.ok() ? std::move(*t) : nullptr;
  }
  TokenizerPtr tok_ = Cl100k();
};

TEST_F(ChunkerTest, HeadingStartsChunkAndBreadcrumbs) {
  const std::vector<std::string> md = {
      "# Manual\n\nIntro text here.\n\n## Install\n\nRun the installer.\n\n### Linux\n\nUse apt.\n\n## Usage\n\nCall it."};
  const std::vector<Chunk> c = Run(md, Opts(1, 200, 400));
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].text, "# Manual\n\nIntro text here.");
  EXPECT_TRUE(c[0].breadcrumbs == std::vector<std::string>{"Manual"});
  EXPECT_EQ(c[1].text, "## Install\n\nRun the installer.");
  EXPECT_EQ(c[1].context_prefix, "Manual > Install");
  EXPECT_EQ(c[2].text, "### Linux\n\nUse apt.");
  EXPECT_TRUE((c[2].breadcrumbs == std::vector<std::string>{"Manual", "Install", "Linux"}));
  EXPECT_EQ(c[2].context_prefix, "Manual > Install > Linux");
  EXPECT_EQ(c[3].context_prefix, "Manual > Usage");  // sibling replaces, not nests
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_EQ(c[i].index, static_cast<int>(i));
    EXPECT_EQ(c[i].chunk_id, "doc:v1:" + std::to_string(i));
    EXPECT_EQ(c[i].type, "text");
    EXPECT_EQ(c[i].token_count, static_cast<int>(tok_->Count(c[i].text)));
  }
}

TEST_F(ChunkerTest, TextBeforeFirstHeadingHasNoBreadcrumbs) {
  const std::vector<Chunk> c = Run({"Preface words.\n\n# One\n\nBody."}, Opts(1, 100, 200));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_TRUE(c[0].breadcrumbs.empty());
  EXPECT_EQ(c[0].context_prefix, "");
}

TEST_F(ChunkerTest, HeadingWithoutTextLeadsItsSubsection) {
  const std::vector<Chunk> c = Run({"# Book\n\n## Chapter\n\nFirst words."}, Opts(1, 100, 200));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].text, "# Book\n\n## Chapter\n\nFirst words.");
  EXPECT_EQ(c[0].context_prefix, "Book > Chapter");
}

TEST_F(ChunkerTest, SmallBlocksPackedUpToTarget) {
  std::string md = "# S\n\n";
  for (int i = 0; i < 40; ++i) md += "Short paragraph " + std::to_string(i) + " of text.\n\n";
  const ChunkOptions o = Opts(5, 60, 120);
  const std::vector<Chunk> c = Run({md}, o);
  ASSERT_GT(c.size(), 2u);
  for (const Chunk& ch : c) EXPECT_LE(ch.token_count, o.target_tokens);
  EXPECT_TRUE(Covers({md}, c));
}

TEST_F(ChunkerTest, OversizeParagraphSplitAtSentences) {
  const std::string para = Sentences("Sentence", 30);
  const ChunkOptions o = Opts(10, 60, 100);
  ASSERT_GT(static_cast<int>(tok_->Count(para)), o.max_tokens);
  const std::vector<Chunk> c = Run({para}, o);
  ASSERT_GT(c.size(), 1u);
  for (const Chunk& ch : c) {
    EXPECT_LE(ch.token_count, o.max_tokens);
    // Each piece ends at a sentence end.
    EXPECT_EQ(ch.text.back(), '.') << ch.text;
    EXPECT_EQ(ch.text.substr(0, 8), "Sentence") << ch.text;
  }
  EXPECT_TRUE(Covers({para}, c));
}

TEST_F(ChunkerTest, ParagraphUnderMaxNotSplit) {
  const std::string para = Sentences("Sentence", 6);
  const ChunkOptions o = Opts(10, 30, 200);
  ASSERT_GT(static_cast<int>(tok_->Count(para)), o.target_tokens);
  const std::vector<Chunk> c = Run({para}, o);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].text, para);
}

TEST_F(ChunkerTest, OversizeSentenceSplitAtWords) {
  std::string sentence = "Begin";
  for (int i = 0; i < 300; ++i) sentence += " word" + std::to_string(i);
  sentence += ".";
  const ChunkOptions o = Opts(10, 50, 80);
  const std::vector<Chunk> c = Run({sentence}, o);
  ASSERT_GT(c.size(), 2u);
  for (const Chunk& ch : c) {
    EXPECT_LE(ch.token_count, o.max_tokens);
    EXPECT_EQ(ch.text.substr(0, 4) == "word" || ch.text.substr(0, 5) == "Begin", true) << ch.text;
  }
  EXPECT_TRUE(Covers({sentence}, c));
}

TEST_F(ChunkerTest, Utf8NeverSplitInsideSequence) {
  // No spaces and no sentence ends: only code-point cuts are possible.
  std::string cjk;
  for (int i = 0; i < 400; ++i) cjk += (i % 3 == 0) ? "线" : (i % 3 == 1) ? "é" : "😀";
  const ChunkOptions o = Opts(5, 20, 30);
  const std::vector<Chunk> c = Run({cjk}, o);
  ASSERT_GT(c.size(), 5u);
  std::string joined;
  for (const Chunk& ch : c) {
    EXPECT_TRUE(ValidUtf8(ch.text));
    EXPECT_LE(ch.token_count, o.max_tokens);
    joined += ch.text;
  }
  EXPECT_EQ(joined, cjk);
}

TEST_F(ChunkerTest, TableKeptWholeUpToMax) {
  std::string table = "| name | value |\n|---|---|\n";
  for (int i = 0; i < 10; ++i) table += "| row" + std::to_string(i) + " | " + std::to_string(i * 7) + " |\n";
  const ChunkOptions o = Opts(1, 40, 400);  // min 1: "After." is not merged into the table
  ASSERT_GT(static_cast<int>(tok_->Count(table)), o.target_tokens);
  const std::vector<Chunk> c = Run({"Before.\n\n" + table + "\nAfter."}, o);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[1].type, "table");
  EXPECT_EQ(c[1].text + "\n", table);
}

TEST_F(ChunkerTest, OversizeTableSplitByRowsWithHeader) {
  std::string table = "| name | value |\n|---|---|\n";
  for (int i = 0; i < 60; ++i) table += "| row" + std::to_string(i) + " | " + std::to_string(i * 7) + " |\n";
  const ChunkOptions o = Opts(5, 50, 80);
  ASSERT_GT(static_cast<int>(tok_->Count(table)), o.max_tokens);
  const std::vector<Chunk> c = Run({table}, o);
  ASSERT_GT(c.size(), 2u);
  for (const Chunk& ch : c) {
    EXPECT_EQ(ch.type, "table");
    EXPECT_EQ(ch.text.substr(0, 26), "| name | value |\n|---|---|") << ch.text;
    EXPECT_LE(ch.token_count, o.max_tokens);
  }
  EXPECT_TRUE(Covers({table}, c));
}

// Every table chunk consists of whole rows: each line opens and closes a cell
// row, and every piece starts with the header and its separator.
TEST_F(ChunkerTest, TableRowsNeverSplitAndHeaderRepeated) {
  std::string table = "| id | description | amount |\n| --- | --- | --- |\n";
  for (int i = 0; i < 80; ++i) {
    table += "| " + std::to_string(i) + " | item " + std::to_string(i) + " with a longer description of the row | " +
             std::to_string(i * 13) + " |\n";
  }
  const ChunkOptions o = Opts(10, 60, 120);
  const std::vector<Chunk> c = Run({"Intro text.\n\n" + table}, o);
  int table_chunks = 0;
  for (const Chunk& ch : c) {
    if (ch.text.find("| --- |") == std::string::npos) continue;
    ++table_chunks;
    const size_t start = ch.text.find("| id | description | amount |\n| --- | --- | --- |");
    ASSERT_NE(start, std::string::npos) << ch.text;
    std::string rows = ch.text.substr(start);
    size_t pos = 0;
    while (pos < rows.size()) {
      size_t end = rows.find('\n', pos);
      if (end == std::string::npos) end = rows.size();
      const std::string line = rows.substr(pos, end - pos);
      EXPECT_TRUE(line.size() >= 2 && line.front() == '|' && line.back() == '|') << "split row: " << line;
      pos = end + 1;
    }
  }
  EXPECT_GT(table_chunks, 2);
  EXPECT_TRUE(Covers({"Intro text.\n\n" + table}, c));
}

TEST_F(ChunkerTest, TableContinuedOnNextPageGetsItsHeaderBack) {
  const std::string page1 = "Text.\n\n| name | size |\n| --- | --- |\n| a | 1 |\n| b | 2 |";
  const std::string page2 = "| c | 3 |\n| --- | --- |\n| d | 4 |\n\nAfter.";
  const std::vector<Chunk> c = Run({page1, page2}, Opts(1, 20, 200));
  bool found = false;
  for (const Chunk& ch : c) {
    if (ch.text.find("| c | 3 |") == std::string::npos) continue;
    found = true;
    EXPECT_NE(ch.text.find("| name | size |\n| --- | --- |\n| c | 3 |\n| d | 4 |"), std::string::npos) << ch.text;
  }
  EXPECT_TRUE(found);
}

TEST_F(ChunkerTest, ChunksCarryPrintedPageLabels) {
  std::vector<ExtractedPage> pages = Pages({"First page text.", Sentences("Second", 2)});
  pages[0].label = "xii";
  pages[1].label = "1";
  Result<std::vector<Chunk>> r = ChunkDocument("doc", "v1", pages, *tok_, Opts(1, 1000, 2000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].page_label_start, "xii");
  EXPECT_EQ((*r)[0].page_label_end, "1");
  Result<Chunk> back = ChunkFromJson(ToJson((*r)[0]));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->page_label_end, "1");
}

TEST_F(ChunkerTest, CaptionStaysWithItsTable) {
  std::string table = "| k | v |\n| --- | --- |\n";
  for (int i = 0; i < 12; ++i) table += "| key" + std::to_string(i) + " | " + std::to_string(i) + " |\n";
  const std::string md = Sentences("Lead", 3) + "\n\nTable 2: Keys and values\n\n" + table;
  const std::vector<Chunk> c = Run({md}, Opts(1, 60, 400));
  bool found = false;
  for (const Chunk& ch : c) {
    if (ch.text.find("Table 2: Keys and values") == std::string::npos) continue;
    found = true;
    EXPECT_NE(ch.text.find("Table 2: Keys and values\n\n| k | v |"), std::string::npos) << ch.text;
  }
  EXPECT_TRUE(found);
}

// Tables of contents and indexes list titles and pages: search ranks them
// after the text (search/search.cpp), so the chunker types them.
TEST_F(ChunkerTest, ContentsAndIndexPagesAreTypedContents) {
  const std::string contents =
      "# Contents\n\n"
      "1 Introduction . . . . . . . . . . . . . . . 1\n"
      "1.1 Scope . . . . . . . . . . . . . . . . . . 2\n"
      "2 Statements and their use in a model, a title long enough\n"
      "to wrap onto a second line . . . . . . . . . 31\n"
      "2.1 Set statement ........................ 32\n"
      "Appendix A Glossary \u2026 xii\n";
  const std::string index =
      "# Index\n\n"
      "asn1_der_decoding . . . . . . . 20, 23\n\n"
      "asn1_create_element . . . . . . . 18\u201319\n\n"
      "asn1_write_value . . . . . . . 12-14\n";
  const std::string body =
      "# Statements\n\n"
      "The set statement declares a set. See the table of contents on page 2 for more. . .\n"
      "Leaders like these . . . . are rare in text, and a number at a line's end 7\n"
      "does not make a list of entries.\n";
  std::vector<Chunk> c = Run({contents, index, body}, Opts(1, 400, 800));
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].type, "contents") << c[0].text;
  EXPECT_EQ(c[1].type, "contents") << c[1].text;
  EXPECT_EQ(c[2].type, "text") << c[2].text;
  // Two entries among prose are prose.
  c = Run({"# A\n\nSome text here.\n\n1 One . . . . . 3\n\n2 Two . . . . . 4\n\nMore text.\n"},
          Opts(1, 400, 800));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].type, "text");
}

TEST_F(ChunkerTest, LinkContentsListsAndIndexesOfHtmlAreTypedContents) {
  // What the HTML and EPUB readers write for a book's contents list and a
  // Texinfo index (a table of links).
  const std::string toc =
      "# Articles\n\n"
      "- [1. Introduction to Ubuntu Development](introduction.xhtml)\n"
      "- [2. Getting Set Up](getting-set-up.xhtml)\n"
      "  - [2.1 Packaging tools](getting-set-up.xhtml#tools)\n"
      "- [3. Fixing a bug](fixing-a-bug.xhtml)\n";
  const std::string index =
      "# Concept index\n\n"
      "| | Index Entry | | Section |\n| --- | --- | --- | --- |\n| B | | | |\n"
      "| | [bug reporting](#index-bug-reporting): | | [Reporting bugs](#Reporting-bugs) |\n"
      "| | [format](#index-format): | | [Setting Format](#Setting-Format) |\n"
      "| | [version number](#index-version-number): | | [Invoking time](#Invoking-time) |\n";
  // A chapter's opening paragraph before its menu is text; so is a list of
  // links with a sentence each.
  const std::string chapter =
      "# 25 Optimization\n\n"
      "Octave comes with support for solving various kinds of optimization problems. Specifically Octave can "
      "solve problems in Linear Programming, Quadratic Programming and Nonlinear Programming.\n\n"
      "- [Linear Programming](Linear-Programming.html)\n"
      "- [Quadratic Programming](Quadratic-Programming.html)\n"
      "- [Nonlinear Programming](Nonlinear-Programming.html)\n";
  const std::string described =
      "# Functions\n\n"
      "- [strtrim](strtrim.html): removes leading and trailing whitespace\n"
      "- [deblank](deblank.html): removes trailing whitespace only\n"
      "- [regexprep](regexprep.html): replaces what a regular expression matches\n";
  std::vector<Chunk> c = Run({toc, index, chapter, described}, Opts(1, 400, 800));
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].type, "contents") << c[0].text;
  EXPECT_EQ(c[1].type, "contents") << c[1].text;
  EXPECT_EQ(c[2].type, "text") << c[2].text;
  EXPECT_NE(c[3].type, "contents") << c[3].text;
}

TEST_F(ChunkerTest, CodeKeptWholeAndOversizeSplitByLines) {
  std::string code = "```cpp\n";
  for (int i = 0; i < 8; ++i) code += "int v" + std::to_string(i) + " = f(" + std::to_string(i) + ");\n";
  code += "```";
  std::vector<Chunk> c = Run({"Text.\n\n" + code}, Opts(1, 20, 200));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].type, "code");
  EXPECT_EQ(c[1].text, code);

  std::string big = "```\n";
  for (int i = 0; i < 80; ++i) big += "call(" + std::to_string(i) + ");\n";
  big += "```";
  const ChunkOptions o = Opts(5, 40, 60);
  c = Run({big}, o);
  ASSERT_GT(c.size(), 2u);
  for (const Chunk& ch : c) {
    EXPECT_EQ(ch.type, "code");
    EXPECT_EQ(ch.text.substr(0, 4), "```\n");
    EXPECT_EQ(ch.text.substr(ch.text.size() - 4), "\n```");
    EXPECT_LE(ch.token_count, o.max_tokens);
  }
  EXPECT_TRUE(Covers({big}, c));
}

TEST_F(ChunkerTest, SmallTailMergedIntoPrevious) {
  // Two sections worth of text in one section: the last packed chunk is tiny.
  const std::string a = Sentences("Alpha", 4);
  const std::string tiny = "The tail end.";  // 48 + 4 tokens: past the target of 50
  const ChunkOptions o = Opts(20, 50, 200);
  ASSERT_GT(static_cast<int>(tok_->Count(a + "\n\n" + tiny)), o.target_tokens);
  const std::vector<Chunk> c = Run({a + "\n\n" + tiny}, o);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].text, a + "\n\n" + tiny);

  // Without min merge (min=1) the tail stands alone.
  const std::vector<Chunk> c2 = Run({a + "\n\n" + tiny}, Opts(1, 50, 200));
  ASSERT_EQ(c2.size(), 2u);
  EXPECT_EQ(c2[1].text, tiny);
}

TEST_F(ChunkerTest, SmallChunkNotMergedAcrossSections) {
  const std::string a = Sentences("Alpha", 4);
  const std::vector<Chunk> c = Run({"# A\n\n" + a + "\n\n# B\n\nTiny."}, Opts(20, 100, 200));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].text, "# B\n\nTiny.");
}

TEST_F(ChunkerTest, TinySubsectionsOfOneTopicAreJoined) {
  // An API reference entry: a section with tiny run-in subsections.
  const std::string md =
      "# API\n\n## glp_get_obj_name\n\n### Synopsis\n\n```\nconst char *glp_get_obj_name(glp_prob *P);\n```\n\n"
      "### Returns\n\nThe routine returns the objective name.\n\n"
      "## glp_set_obj_dir\n\n" + Sentences("Direction", 12);
  const std::vector<Chunk> c = Run({md}, Opts(40, 100, 400));
  ASSERT_GE(c.size(), 2u);
  EXPECT_NE(c[0].text.find("### Synopsis"), std::string::npos);
  EXPECT_NE(c[0].text.find("### Returns"), std::string::npos) << c[0].text;
  EXPECT_TRUE((c[0].breadcrumbs == std::vector<std::string>{"API", "glp_get_obj_name"})) << c[0].context_prefix;
  EXPECT_EQ(c[0].context_prefix, "API > glp_get_obj_name");
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_EQ(c[i].chunk_id, "doc:v1:" + std::to_string(i));
    EXPECT_LE(c[i].token_count, 400);
  }
  // A big sibling section stays on its own.
  EXPECT_EQ(c.back().breadcrumbs.back(), "glp_set_obj_dir");
}

TEST_F(ChunkerTest, OverlapRepeatsTailSentences) {
  const std::string para = Sentences("Sentence", 30);
  const ChunkOptions o = Opts(10, 60, 100, 20);
  const std::vector<Chunk> with = Run({para}, o);
  const std::vector<Chunk> without = Run({para}, Opts(10, 60, 100, 0));
  ASSERT_EQ(with.size(), without.size());
  ASSERT_GT(with.size(), 1u);
  for (size_t i = 1; i < with.size(); ++i) {
    EXPECT_LE(with[i].token_count, o.max_tokens);
    // The chunk ends like before and starts with the last sentence of the previous one.
    const std::string& prev = without[i - 1].text;
    const std::string last_sentence = prev.substr(prev.rfind("Sentence number"));
    EXPECT_EQ(with[i].text.substr(0, last_sentence.size()), last_sentence);
    EXPECT_EQ(with[i].text.substr(with[i].text.size() - without[i].text.size()), without[i].text);
  }
  EXPECT_EQ(with[0].text, without[0].text);
}

TEST_F(ChunkerTest, OverlapNotAcrossSections) {
  const std::vector<Chunk> c =
      Run({"# A\n\nFirst section text.\n\n# B\n\nSecond section text."}, Opts(1, 50, 100, 10));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].text, "# B\n\nSecond section text.");
}

TEST_F(ChunkerTest, OptionValidation) {
  const auto pages = Pages({"text"});
  const std::vector<ChunkOptions> bad = {Opts(0, 10, 20), Opts(20, 10, 30), Opts(5, 40, 30), Opts(5, 10, 20, 10),
                                         Opts(5, 10, 20, -1)};
  for (const ChunkOptions& o : bad) {
    Result<std::vector<Chunk>> r = ChunkDocument("d", "v", pages, *tok_, o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidInput);
    EXPECT_NE(r.status().message().find("tokens"), std::string::npos);
  }
  EXPECT_TRUE(ChunkDocument("d", "v", pages, *tok_, Opts(10, 10, 10, 9)).ok());
}

TEST_F(ChunkerTest, PageRanges) {
  const std::vector<std::string> md = {"# T\n\nThe paragraph starts here", "and continues here.\n\n## U\n\nOther.",
                                       "", "Late text."};
  const std::vector<Chunk> c = Run(md, Opts(1, 100, 200));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].page_start, 1);
  EXPECT_EQ(c[0].page_end, 2);
  EXPECT_EQ(c[1].page_start, 2);
  EXPECT_EQ(c[1].page_end, 4);
}

TEST_F(ChunkerTest, EmptyDocument) {
  EXPECT_TRUE(Run({}, Opts(1, 10, 20)).empty());
  EXPECT_TRUE(Run({"", "  \n"}, Opts(1, 10, 20)).empty());
}

TEST_F(ChunkerTest, JsonRoundTrip) {
  const std::vector<Chunk> c = Run({"# A\n\n## B\n\nSome text."}, Opts(1, 10, 20));
  ASSERT_EQ(c.size(), 1u);
  const nlohmann::json j = ToJson(c[0]);
  Result<Chunk> back = ChunkFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->chunk_id, c[0].chunk_id);
  EXPECT_EQ(back->text, c[0].text);
  EXPECT_EQ(back->breadcrumbs, c[0].breadcrumbs);
  EXPECT_EQ(back->context_prefix, c[0].context_prefix);
  EXPECT_EQ(back->page_start, c[0].page_start);
  EXPECT_EQ(back->token_count, c[0].token_count);
  EXPECT_EQ(back->char_count, c[0].char_count);
  EXPECT_EQ(back->type, c[0].type);
  nlohmann::json broken = j;
  broken.erase("text");
  EXPECT_EQ(ChunkFromJson(broken).status().code(), Status::Code::kInvalidInput);
  broken = j;
  broken["page_start"] = "one";
  EXPECT_FALSE(ChunkFromJson(broken).ok());
}

TEST_F(ChunkerTest, CharCountInCodePoints) {
  const std::vector<Chunk> c = Run({"Größe ist 线."}, Opts(1, 10, 20));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].char_count, 12);
}

// Random documents with a fixed seed: the invariants hold for all of them.
TEST_F(ChunkerTest, PropertyRandomDocuments) {
  std::mt19937 rng(20240611);
  const std::vector<std::string> words = {"the",  "simplex", "Größe", "线性规划", "basis", "x", "ÿ",
                                          "😀",   "matrix",  "row",   "column", "pivot", "a", "bound"};
  auto word = [&] { return words[rng() % words.size()]; };
  auto sentence = [&] {
    std::string s = word();
    const int n = 1 + static_cast<int>(rng() % 25);
    for (int i = 0; i < n; ++i) {
      if (rng() % 40 != 0) s += " ";  // sometimes glue words together
      s += word();
    }
    return s + (rng() % 5 == 0 ? "!" : ".");
  };
  for (int doc = 0; doc < 200; ++doc) {
    std::vector<std::string> pages;
    const int npages = 1 + static_cast<int>(rng() % 6);
    for (int p = 0; p < npages; ++p) {
      std::string md;
      const int nblocks = static_cast<int>(rng() % 8);
      for (int b = 0; b < nblocks; ++b) {
        switch (rng() % 7) {
          case 0:
            md += std::string(1 + rng() % 4, '#') + " " + word() + " " + word() + "\n\n";
            break;
          case 1: {
            md += "| h1 | h2 |\n|---|---|\n";
            const int rows = static_cast<int>(rng() % 40);
            for (int r = 0; r < rows; ++r) md += "| " + word() + " | " + sentence() + " |\n";
            md += "\n";
            break;
          }
          case 2: {
            md += "```\n";
            const int lines = static_cast<int>(rng() % 50);
            for (int l = 0; l < lines; ++l) md += "  f(" + word() + ", " + std::to_string(rng() % 1000) + ");\n";
            md += "```\n\n";
            break;
          }
          case 3: {
            const int items = 1 + static_cast<int>(rng() % 12);
            for (int k = 0; k < items; ++k) md += "- " + sentence() + "\n";
            md += "\n";
            break;
          }
          default: {
            const int n = 1 + static_cast<int>(rng() % (rng() % 4 == 0 ? 80 : 6));
            for (int k = 0; k < n; ++k) md += sentence() + (rng() % 10 == 0 ? "\n" : " ");
            md += "\n\n";
          }
        }
      }
      pages.push_back(md);
    }
    const int max = 40 + static_cast<int>(rng() % 200);
    const int target = 10 + static_cast<int>(rng() % (max - 9));
    const int min = 1 + static_cast<int>(rng() % target);
    const int overlap = static_cast<int>(rng() % std::min(target, 30));
    const ChunkOptions o = Opts(min, target, max, overlap);
    const std::vector<Chunk> c = Run(pages, o);
    SCOPED_TRACE("doc " + std::to_string(doc));
    EXPECT_TRUE(Covers(pages, c));
    int last_page = 0;
    for (size_t i = 0; i < c.size(); ++i) {
      EXPECT_LE(static_cast<int>(tok_->Count(c[i].text)), o.max_tokens);
      EXPECT_EQ(c[i].token_count, static_cast<int>(tok_->Count(c[i].text)));
      EXPECT_EQ(c[i].index, static_cast<int>(i));
      EXPECT_EQ(c[i].chunk_id, "doc:v1:" + std::to_string(i));
      EXPECT_TRUE(ValidUtf8(c[i].text));
      EXPECT_FALSE(c[i].text.empty());
      EXPECT_LE(c[i].page_start, c[i].page_end);
      EXPECT_GE(c[i].page_start, last_page);
      EXPECT_GE(c[i].page_start, 1);
      EXPECT_LE(c[i].page_end, npages);
      last_page = c[i].page_start;
    }
  }
}

}  // namespace
}  // namespace docpipe

namespace docpipe {
namespace {

// Counts with the real tokenizer and raises the stage's cancel flag (as the
// deadline watch does) after `after` counts: a cancel that lands while a
// long section is being packed.
class ChunkerCancellingTokenizer final : public Tokenizer {
 public:
  ChunkerCancellingTokenizer(const Tokenizer& inner, std::atomic<bool>& cancel, int after)
      : inner_(inner), cancel_(cancel), left_(after) {}
  std::string Name() const override { return inner_.Name(); }
  size_t Count(std::string_view text) const override {
    if (--left_ == 0) cancel_ = true;
    counted_++;
    return inner_.Count(text);
  }
  int counted() const { return counted_.load(); }

 private:
  const Tokenizer& inner_;
  std::atomic<bool>& cancel_;
  mutable std::atomic<int> left_;
  mutable std::atomic<int> counted_{0};
};

// Issue 17, item 2: the chunker ran to its end past the stage's deadline (a
// 300-page hostile PDF made 34,800 chunks); it now stops soon after the
// cancel flag the deadline watch raises.
TEST(ChunkerCancelTest, StopsSoonAfterTheCancelFlagIsRaised) {
  Result<TokenizerPtr> tok = NewBpeTokenizer("cl100k_base");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  // One heading-less section of 400 paragraphs: a single long pack.
  std::vector<ExtractedPage> pages;
  for (int p = 1; p <= 20; ++p) {
    ExtractedPage page;
    page.number = p;
    for (int i = 0; i < 20; ++i) {
      page.markdown += fmt::format("Paragraph {} of page {} describes the simplex tableau in some detail.\n\n", i, p);
    }
    pages.push_back(std::move(page));
  }
  ChunkOptions options;
  Result<std::vector<Chunk>> whole = ChunkDocument("d", "v1", pages, **tok, options);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  ASSERT_GT(whole->size(), 10u);

  std::atomic<bool> raised{true};
  Result<std::vector<Chunk>> before = ChunkDocument("d", "v1", pages, **tok, options, 1, &raised);
  EXPECT_TRUE(before.status().code() == Status::Code::kCancelled) << before.status().ToString();

  std::atomic<bool> cancel{false};
  ChunkerCancellingTokenizer counting(**tok, cancel, 50);
  Result<std::vector<Chunk>> cut = ChunkDocument("d", "v1", pages, counting, options, 1, &cancel);
  EXPECT_TRUE(cut.status().code() == Status::Code::kCancelled) << cut.status().ToString();
  std::atomic<bool> never{false};
  ChunkerCancellingTokenizer full(**tok, never, -1);
  ASSERT_TRUE(ChunkDocument("d", "v1", pages, full, options, 1, &never).ok());
  EXPECT_LT(counting.counted(), full.counted() / 4) << "it stopped soon after the flag, not at the end";
}

// Blocks are split into units on the document's threads (issue 17: a whole
// book's token counts ran on one thread); the chunks must not depend on it.
TEST(ChunkerThreadsTest, SameChunksForAnyThreadCount) {
  Result<TokenizerPtr> tok = NewBpeTokenizer("cl100k_base");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  std::mt19937 rng(17);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto sentence = [&](int words) {
    static const char* const kWords[] = {"simplex", "tableau", "pivot", "basis", "dual", "bound",
                                         "column", "row", "variable", "cost", "feasible", "ratio"};
    std::string out;
    for (int w = 0; w < words; ++w) out += std::string(w ? " " : "") + kWords[pick(12)];
    return out + ".";
  };
  std::vector<ExtractedPage> pages;
  for (int p = 1; p <= 12; ++p) {
    ExtractedPage page;
    page.number = p;
    if (p == 1) page.markdown += sentence(30) + "\n\n";  // text before any heading
    for (int b = 0; b < 12; ++b) {
      switch (pick(7)) {
        case 0:
          page.markdown += std::string(static_cast<size_t>(1 + pick(3)), '#') + " " + sentence(1 + pick(12)) + "\n\n";
          break;
        case 1: {  // a table, sometimes longer than a chunk
          page.markdown += "| a | b |\n| --- | --- |\n";
          for (int r = pick(2) ? 3 : 200; r > 0; --r) page.markdown += "| " + sentence(3) + " | " + sentence(4) + " |\n";
          page.markdown += "\n";
          break;
        }
        case 2: {  // code, sometimes longer than a chunk
          page.markdown += "```\n";
          for (int r = pick(2) ? 2 : 150; r > 0; --r) page.markdown += "x <- f(" + sentence(5) + ")\n";
          page.markdown += "```\n\n";
          break;
        }
        case 3:
          for (int r = 1 + pick(20); r > 0; --r) page.markdown += "- " + sentence(3 + pick(30)) + "\n";
          page.markdown += "\n";
          break;
        case 4: {  // a paragraph longer than a chunk
          std::string long_paragraph;
          for (int k = 0; k < 120; ++k) long_paragraph += sentence(5 + pick(10)) + " ";
          page.markdown += long_paragraph + "\n\n";
          break;
        }
        default:
          page.markdown += sentence(4 + pick(60)) + "\n\n";
      }
    }
    pages.push_back(std::move(page));
  }
  ChunkOptions options;
  options.overlap_tokens = 40;
  Result<std::vector<Chunk>> serial = ChunkDocument("d", "v1", pages, **tok, options, 1);
  ASSERT_TRUE(serial.ok()) << serial.status().ToString();
  ASSERT_GT(serial->size(), 20u);
  for (int threads : {2, 3, 8}) {
    Result<std::vector<Chunk>> parallel = ChunkDocument("d", "v1", pages, **tok, options, threads);
    ASSERT_TRUE(parallel.ok()) << parallel.status().ToString();
    ASSERT_EQ(parallel->size(), serial->size()) << threads << " threads";
    for (size_t i = 0; i < serial->size(); ++i) {
      const Chunk& a = (*serial)[i];
      const Chunk& b = (*parallel)[i];
      EXPECT_EQ(a.chunk_id, b.chunk_id);
      EXPECT_EQ(a.text, b.text) << "chunk " << i << ", " << threads << " threads";
      EXPECT_EQ(a.breadcrumbs, b.breadcrumbs) << "chunk " << i;
      EXPECT_EQ(a.token_count, b.token_count) << "chunk " << i;
      EXPECT_EQ(a.page_start, b.page_start) << "chunk " << i;
      EXPECT_EQ(a.page_end, b.page_end) << "chunk " << i;
      EXPECT_EQ(a.type, b.type) << "chunk " << i;
    }
  }
}

}  // namespace
}  // namespace docpipe
