// Exact-structure tests of the non-PDF extractors on documents with known
// content: pandoc (Debian) writes DOCX, PPTX, ODT, EPUB, HTML and RTF from one
// Markdown source; XLSX, CSV and e-mail are written here. Then the bad inputs
// of issue 15: zip bombs, XML entities, wrong suffixes, encrypted OOXML,
// truncated archives, the memory cap.
#include <gtest/gtest.h>
#include <zip.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "extract/extractor_registry.h"
#include "extract/number_format.h"
#include "support/pdf_maker.h"
#include "support/test_util.h"

namespace docpipe {
namespace {

using testing::TempDir;
using testing::WriteFile;
using testing::MakePdf;
using testing::PdfFont;
using testing::PdfPageSpec;
using testing::PdfSpec;

// The Markdown every pandoc-written document is made from.
constexpr const char* kSource = R"(---
title: Sample Report
---

# Introduction

Plain paragraph with a [link](https://example.com/a) and **bold** text.[^1]

## Lists

- Apple
    - Green apple
    - Red apple
- Banana

1. First
2. Second
    1. Second point one

## Table

| Name | Qty |
|------|-----|
| Bolt | 10 |
| Nut | 20 |

```
int main() { return 0; }
```

### Deep heading

Last paragraph.

[^1]: The footnote text.
)";

// The body every format must produce (after its title), as the PDF path would.
constexpr const char* kBody = R"(# Introduction

Plain paragraph with a [link](https://example.com/a) and bold text.[^1]

## Lists

- Apple
  - Green apple
  - Red apple
- Banana

1. First
2. Second
   1. Second point one

## Table

| Name | Qty |
| --- | --- |
| Bolt | 10 |
| Nut | 20 |

```
int main() { return 0; }
```

### Deep heading

Last paragraph.)";

struct Extracted {
  Status status;
  ExtractSummary summary;
  std::vector<ExtractedPage> pages;
  std::vector<EmbeddedDocument> embedded;
  std::string All() const {
    std::string s;
    for (const ExtractedPage& p : pages) s += (s.empty() ? "" : "\n<page>\n") + p.markdown;
    return s;
  }
};

Extracted Extract(const std::string& path, const std::string& key = "", FormatOptions options = {}) {
  std::vector<ExtractorPtr> extractors = NewDefaultExtractors(options);
  std::ifstream in(path, std::ios::binary);
  std::string head(1024, '\0');
  in.read(head.data(), 1024);
  head.resize(static_cast<size_t>(in.gcount()));
  Extracted out;
  const std::string name = key.empty() ? path : key;
  Result<Extractor*> e = SelectExtractor(extractors, name, head);
  if (!e.ok()) {
    out.status = e.status();
    return out;
  }
  EmbeddedSink embedded = [&](EmbeddedDocument&& d) {
    out.embedded.push_back(std::move(d));
    return Status::Ok();
  };
  ExtractOptions eo;
  eo.embedded = &embedded;
  Result<ExtractSummary> s = (*e)->Extract(path, name, eo, [&](ExtractedPage&& p) {
    out.pages.push_back(std::move(p));
    return Status::Ok();
  });
  if (s.ok()) out.summary = *s;
  else out.status = s.status();
  return out;
}

// pandoc is a test peer: missing, the test fails with the command to install it.
std::string Pandoc(const TempDir& dir, const std::string& to, const std::string& source = kSource) {
  if (!testing::OnPath("pandoc")) {
    ADD_FAILURE() << "pandoc is missing: apt-get install -y pandoc";
    return "";
  }
  WriteFile(dir.Join("s.md"), source);
  const std::string out = dir.Join("s." + to);
  const std::string cmd = "cd '" + dir.path() + "' && pandoc -s s.md -o '" + out + "' 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return out;
}

std::string Footnote(const std::string& md) { return md + "\n\n[^1]: The footnote text."; }

TEST(FormatsTest, DocxHasHeadingsNestedListsTableCodeLinksAndFootnotes) {
  TempDir dir;
  Extracted x = Extract(Pandoc(dir, "docx"));
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.format, "docx");
  EXPECT_EQ(x.summary.title, "Sample Report");
  ASSERT_EQ(x.pages.size(), 1u);
  EXPECT_EQ(x.pages[0].markdown, Footnote("# Sample Report\n\n" + std::string(kBody)));
  ASSERT_GE(x.summary.outline.size(), 5u);
  EXPECT_EQ(x.summary.outline[4].level, 3);
  EXPECT_EQ(x.summary.outline[4].text, "Deep heading");
}

TEST(FormatsTest, OdtReadsAsDocx) {
  TempDir dir;
  Extracted x = Extract(Pandoc(dir, "odt"));
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.format, "odt");
  ASSERT_EQ(x.pages.size(), 1u);
  EXPECT_EQ(x.pages[0].markdown, Footnote("# Sample Report\n\n" + std::string(kBody)));
}

TEST(FormatsTest, RtfHasParagraphsTablesHeadingsAndLists) {
  TempDir dir;
  Extracted x = Extract(Pandoc(dir, "rtf"));
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.format, "rtf");
  ASSERT_EQ(x.pages.size(), 1u);
  // pandoc writes the title as a bold paragraph, not a heading.
  EXPECT_EQ(x.pages[0].markdown, Footnote("Sample Report\n\n" + std::string(kBody)));
}

TEST(FormatsTest, HtmlKeepsMainContentOnly) {
  TempDir dir;
  Extracted x = Extract(Pandoc(dir, "html"));
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.format, "html");
  EXPECT_EQ(x.summary.title, "Sample Report");
  ASSERT_EQ(x.pages.size(), 1u);
  // pandoc's HTML title block is a <header>, dropped with navigation; the
  // footnote is an ordered list at the end, its back-link dropped.
  std::string body = kBody;
  body.replace(body.find("text.[^1]"), 9, "text.1");
  EXPECT_EQ(x.pages[0].markdown, body + "\n\n1. The footnote text.");
}

TEST(FormatsTest, EpubChaptersInSpineOrderAsPages) {
  TempDir dir;
  Extracted x = Extract(Pandoc(dir, "epub"));
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.format, "epub");
  EXPECT_EQ(x.summary.title, "Sample Report");
  ASSERT_EQ(x.pages.size(), 2u);
  EXPECT_EQ(x.pages[0].markdown, "# Sample Report");
  EXPECT_EQ(x.pages[0].number, 1);
  EXPECT_EQ(x.pages[1].number, 2);
  EXPECT_EQ(x.pages[1].markdown.substr(0, 15), "# Introduction\n");
  EXPECT_NE(x.pages[1].markdown.find("| Name | Qty |\n| --- | --- |\n| Bolt | 10 |"), std::string::npos);
  EXPECT_NE(x.pages[1].markdown.find("- Apple\n  - Green apple"), std::string::npos);
}

TEST(FormatsTest, PptxOnePagePerSlideTitleAsHeadingTablesInReadingOrder) {
  TempDir dir;
  Extracted x = Extract(Pandoc(dir, "pptx"));
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.format, "pptx");
  ASSERT_GE(x.pages.size(), 3u);
  EXPECT_EQ(x.pages[0].markdown, "# Sample Report");
  const std::string& s2 = x.pages[1].markdown;
  EXPECT_EQ(s2.substr(0, 16), "# Introduction\n\n");
  // The text column (left) before the table (right).
  const size_t list = s2.find("- Apple\n  - Green apple\n  - Red apple\n- Banana");
  const size_t table = s2.find("| Name | Qty |\n| --- | --- |\n| Bolt | 10 |\n| Nut | 20 |");
  ASSERT_NE(list, std::string::npos) << s2;
  ASSERT_NE(table, std::string::npos) << s2;
  EXPECT_LT(list, table);
  EXPECT_NE(s2.find("1. First\n2. Second\n   1. Second point one"), std::string::npos) << s2;
  EXPECT_NE(x.All().find("```\nint main() { return 0; }\n```"), std::string::npos);
}

// Replaces member `name` of the zip at `path` with `data`.
void ReplaceZipMember(const std::string& path, const std::string& name, const std::string& data) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), 0, &err);
  ASSERT_NE(z, nullptr) << path;
  const zip_int64_t index = zip_name_locate(z, name.c_str(), 0);
  ASSERT_GE(index, 0) << name;
  zip_source_t* src = zip_source_buffer(z, data.data(), data.size(), 0);
  ASSERT_EQ(zip_file_replace(z, static_cast<zip_uint64_t>(index), src, 0), 0) << zip_strerror(z);
  ASSERT_EQ(zip_close(z), 0);
}

std::string ReadZipMember(const std::string& path, const std::string& name) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (!z) return "";
  std::string out;
  zip_stat_t st;
  if (zip_stat(z, name.c_str(), 0, &st) == 0) {
    zip_file_t* f = zip_fopen(z, name.c_str(), 0);
    out.resize(st.size);
    if (!f || zip_fread(f, out.data(), st.size) != static_cast<zip_int64_t>(st.size)) out.clear();
    if (f) zip_fclose(f);
  }
  zip_discard(z);
  return out;
}

// A pandoc deck with speaker notes on two slides; the second of those is then
// hidden (<p:sld show="0">, what PowerPoint writes for "Hide Slide"). Hidden:
// its page stays (slide numbers keep matching the deck) but neither its text
// nor its notes are read. Notes: on by default, off when configured.
TEST(FormatsTest, PptxSpeakerNotesConfigurableAndHiddenSlidesSkipped) {
  TempDir dir;
  const std::string deck = Pandoc(dir, "pptx", R"(---
title: Deck
---

# First

- One
- Two

::: notes
Say hello first.

Then the **second** point.
:::

# Second

Hidden body.

::: notes
Secret note.
:::

# Third

Last words.
)");
  ASSERT_FALSE(deck.empty());
  std::string slide = ReadZipMember(deck, "ppt/slides/slide3.xml");
  const size_t open = slide.find("<p:sld ");
  ASSERT_NE(open, std::string::npos) << slide;
  ASSERT_NE(slide.find("Hidden body."), std::string::npos) << "slide 3 is not the one to hide: " << slide;
  slide.insert(open + 7, "show=\"0\" ");
  ReplaceZipMember(deck, "ppt/slides/slide3.xml", slide);

  Extracted x = Extract(deck);
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  ASSERT_EQ(x.pages.size(), 4u) << x.All();
  EXPECT_EQ(x.pages[0].markdown, "# Deck");
  EXPECT_EQ(x.pages[1].markdown, "# First\n\n- One\n- Two\n\nNotes: Say hello first.\n\nThen the second point.");
  EXPECT_EQ(x.pages[2].markdown, "");
  EXPECT_EQ(x.pages[2].number, 3);
  EXPECT_EQ(x.pages[3].markdown, "# Third\n\nLast words.");
  EXPECT_EQ(x.All().find("Secret"), std::string::npos);
  EXPECT_EQ(x.All().find("Hidden body"), std::string::npos);

  FormatOptions no_notes;
  no_notes.pptx_speaker_notes = false;
  Extracted y = Extract(deck, "", no_notes);
  ASSERT_TRUE(y.status.ok()) << y.status.ToString();
  ASSERT_EQ(y.pages.size(), 4u);
  EXPECT_EQ(y.pages[1].markdown, "# First\n\n- One\n- Two");
}

// ---- hand-made containers ---------------------------------------------------------

void WriteZip(const std::string& path, const std::vector<std::pair<std::string, std::string>>& members) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  ASSERT_NE(z, nullptr);
  for (const auto& [name, data] : members) {
    zip_source_t* src = zip_source_buffer(z, data.data(), data.size(), 0);
    ASSERT_GE(zip_file_add(z, name.c_str(), src, ZIP_FL_OVERWRITE), 0);
  }
  ASSERT_EQ(zip_close(z), 0);
}

const char* kOoxmlRels =
    R"(<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="%s"/></Relationships>)";

std::string ContentTypes(const std::string& part, const std::string& type) {
  return R"(<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/)" +
         part + R"(" ContentType="application/vnd.openxmlformats-officedocument.)" + type + R"(.main+xml"/></Types>)";
}

std::string Rels(const std::string& target) {
  // Appended piece by piece: GCC 12 at -O3 warns (falsely) about replace() here.
  const std::string_view pattern = kOoxmlRels;
  const size_t at = pattern.find("%s");
  std::string s(pattern.substr(0, at));
  s.append(target).append(pattern.substr(at + 2));
  return s;
}

// A DOCX with `body` (w:body content) and nothing else.
void WriteDocx(const std::string& path, const std::string& body, const std::string& prolog = "") {
  WriteZip(path, {{"[Content_Types].xml", ContentTypes("word/document.xml", "wordprocessingml.document")},
                  {"_rels/.rels", Rels("word/document.xml")},
                  {"word/document.xml",
                   prolog + R"(<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>)" +
                       body + "</w:body></w:document>"}});
}

std::string P(const std::string& text, const std::string& ppr = "") {
  return "<w:p>" + (ppr.empty() ? "" : "<w:pPr>" + ppr + "</w:pPr>") + "<w:r><w:t xml:space=\"preserve\">" + text +
         "</w:t></w:r></w:p>";
}

TEST(FormatsTest, DocxTrackedChangesMergedCellsOutlineLevelsAndPageBreaks) {
  TempDir dir;
  const std::string body =
      P("Chapter", "<w:outlineLvl w:val=\"0\"/>") +
      "<w:p><w:r><w:t>Kept </w:t></w:r><w:ins><w:r><w:t>inserted </w:t></w:r></w:ins>"
      "<w:del><w:r><w:delText>deleted </w:delText></w:r></w:del><w:r><w:t>text.</w:t></w:r></w:p>"
      "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Region</w:t></w:r></w:p></w:tc><w:tc><w:tcPr><w:gridSpan w:val=\"2\"/></w:tcPr>"
      "<w:p><w:r><w:t>Q1</w:t></w:r></w:p></w:tc></w:tr>"
      "<w:tr><w:tc><w:tcPr><w:vMerge w:val=\"restart\"/></w:tcPr><w:p><w:r><w:t>North</w:t></w:r></w:p></w:tc>"
      "<w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>2</w:t></w:r></w:p></w:tc></w:tr>"
      "<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc>"
      "<w:tc><w:p><w:r><w:t>3</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>4</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
      "<w:p><w:r><w:br w:type=\"page\"/><w:t>Second page</w:t></w:r></w:p>"
      "<w:p><w:r><w:drawing><wp:inline xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\">"
      "<wp:docPr id=\"1\" name=\"Picture 1\" descr=\"Revenue chart\"/></wp:inline></w:drawing></w:r></w:p>";
  WriteDocx(dir.Join("a.docx"), body);
  Extracted x = Extract(dir.Join("a.docx"));
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  ASSERT_EQ(x.pages.size(), 2u);
  EXPECT_EQ(x.pages[0].markdown,
            "# Chapter\n\nKept inserted text.\n\n| Region | Q1 | Q1 |\n| --- | --- | --- |\n| North | 1 | 2 |\n"
            "| North | 3 | 4 |");
  EXPECT_EQ(x.pages[1].markdown, "Second page\n\nImage: Revenue chart");
  EXPECT_EQ(x.pages[1].number, 2);
}

TEST(FormatsTest, DocxCommentsOffByDefaultOnWhenConfigured) {
  TempDir dir;
  const std::string path = dir.Join("c.docx");
  WriteZip(path, {{"[Content_Types].xml", ContentTypes("word/document.xml", "wordprocessingml.document")},
                  {"_rels/.rels", Rels("word/document.xml")},
                  {"word/_rels/document.xml.rels",
                   R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="comments.xml"/></Relationships>)"},
                  {"word/comments.xml",
                   R"(<w:comments xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:comment w:id="0" w:author="Ann"><w:p><w:r><w:t>Check this</w:t></w:r></w:p></w:comment></w:comments>)"},
                  {"word/document.xml",
                   R"(<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Body</w:t></w:r><w:r><w:commentReference w:id="0"/></w:r></w:p></w:body></w:document>)"}});
  EXPECT_EQ(Extract(path).All(), "Body");
  FormatOptions with;
  with.docx_comments = true;
  EXPECT_EQ(Extract(path, "", with).All(), "Body\n\nComment (Ann): Check this");
}

TEST(FormatsTest, XlsxSheetsAsPagesValuesAsDisplayedMergesRepeatedHiddenSkipped) {
  TempDir dir;
  const std::string ns = R"( xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships")";
  const std::string path = dir.Join("t.xlsx");
  WriteZip(path,
           {{"[Content_Types].xml", ContentTypes("xl/workbook.xml", "spreadsheetml.sheet")},
            {"_rels/.rels", Rels("xl/workbook.xml")},
            {"xl/workbook.xml", "<workbook" + ns +
                                    R"(><sheets><sheet name="Sales" sheetId="1" r:id="rId1"/><sheet name="Hidden" sheetId="2" state="hidden" r:id="rId2"/><sheet name="Notes" sheetId="3" r:id="rId3"/></sheets></workbook>)"},
            {"xl/_rels/workbook.xml.rels",
             R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet3.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>)"},
            {"xl/sharedStrings.xml", "<sst" + ns +
                                         R"(><si><t>Region</t></si><si><t>Date</t></si><si><t>Amount</t></si><si><t>Share</t></si><si><r><t>No</t></r><r><t>rth</t></r></si><si><t>South</t></si></sst>)"},
            {"xl/styles.xml", "<styleSheet" + ns +
                                  R"(><numFmts><numFmt numFmtId="164" formatCode="&quot;$&quot;#,##0.00"/></numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="10"/></cellXfs></styleSheet>)"},
            {"xl/worksheets/sheet1.xml",
             "<worksheet" + ns +
                 R"(><sheetData><row r="2"><c r="B2" t="s"><v>0</v></c><c r="C2" t="s"><v>1</v></c><c r="D2" t="s"><v>2</v></c><c r="E2" t="s"><v>3</v></c></row><row r="3"><c r="B3" t="s"><v>4</v></c><c r="C3" s="1"><v>45292</v></c><c r="D3" s="2"><v>1234.5</v></c><c r="E3" s="3"><v>0.1234</v></c></row><row r="4"><c r="C4" s="1"><v>45293</v></c><c r="D4" s="2"><v>-20</v></c><c r="E4"><v>0.333333333333333</v></c></row><row r="5"><c r="B5" t="s"><v>5</v></c><c r="C5" t="inlineStr"><is><t>n/a</t></is></c><c r="D5" t="b"><v>1</v></c><c r="E5" t="e"><v>#DIV/0!</v></c></row></sheetData><mergeCells><mergeCell ref="B3:B4"/></mergeCells></worksheet>)"},
            {"xl/worksheets/sheet2.xml", "<worksheet" + ns +
                                             R"(><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>secret</t></is></c></row></sheetData></worksheet>)"},
            {"xl/worksheets/sheet3.xml",
             "<worksheet" + ns +
                 R"(><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>k</t></is></c><c r="B1" t="inlineStr"><is><t>v</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>a|b</t></is></c><c r="B2"><v>12345678901234</v></c></row></sheetData></worksheet>)"}});
  Extracted x = Extract(path);
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.format, "xlsx");
  ASSERT_EQ(x.pages.size(), 3u);
  EXPECT_EQ(x.pages[0].markdown,
            "# Sales\n\n| Region | Date | Amount | Share |\n| --- | --- | --- | --- |\n"
            "| North | 2024-01-01 | $1,234.50 | 12.34% |\n| North | 2024-01-02 | -$20.00 | 0.3333333333 |\n"
            "| South | n/a | TRUE | #DIV/0! |");
  EXPECT_EQ(x.pages[1].markdown, "");  // hidden sheet: its page number stays, its content does not
  EXPECT_EQ(x.pages[2].markdown, "# Notes\n\n| k | v |\n| --- | --- |\n| a\\|b | 1.23457E+13 |");
}

// ---- OpenDocument presentations and spreadsheets (as their OOXML counterparts) ----

constexpr const char* kOdfNamespaces =
    R"( xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3")";

void WriteOdf(const std::string& path, const std::string& kind, const std::string& styles, const std::string& body) {
  WriteZip(path, {{"mimetype", "application/vnd.oasis.opendocument." + kind},
                  {"META-INF/manifest.xml",
                   R"(<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.)" +
                       kind + R"("/></manifest:manifest>)"},
                  {"content.xml", std::string("<office:document-content") + kOdfNamespaces +
                                      "><office:automatic-styles>" + styles + "</office:automatic-styles><office:body>" +
                                      body + "</office:body></office:document-content>"}});
}

// One page per slide; the title frame first as the heading whatever its
// place in the file; outline frames as nested bullets; text boxes by position
// (top to bottom); a table frame; a picture's description; page numbers and
// footers dropped; speaker notes configurable; a hidden slide keeps its page
// but not its content.
TEST(FormatsTest, OdpSlidesAsPagesLikePptx) {
  TempDir dir;
  const std::string path = dir.Join("deck.odp");
  const std::string styles =
      R"(<style:style style:name="dp1" style:family="drawing-page"><style:drawing-page-properties presentation:visibility="visible"/></style:style>)"
      R"(<style:style style:name="dp2" style:family="drawing-page"><style:drawing-page-properties presentation:visibility="hidden"/></style:style>)";
  const std::string body =
      R"(<office:presentation>)"
      R"(<draw:page draw:name="s1" draw:style-name="dp1">)"
      R"(<draw:frame presentation:class="outline" svg:x="2cm" svg:y="5cm" svg:width="20cm" svg:height="10cm"><draw:text-box>)"
      R"(<text:list><text:list-item><text:p>Revenue up</text:p><text:list><text:list-item><text:p>Europe first</text:p></text:list-item></text:list></text:list-item>)"
      R"(<text:list-item><text:p>Costs flat</text:p></text:list-item></text:list></draw:text-box></draw:frame>)"
      R"(<draw:frame presentation:class="title" svg:x="2cm" svg:y="1cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>Quarterly <text:span>results</text:span></text:p></draw:text-box></draw:frame>)"
      R"(<draw:frame presentation:class="page-number" svg:x="20cm" svg:y="19cm"><draw:text-box><text:p>1</text:p></draw:text-box></draw:frame>)"
      R"(<presentation:notes><draw:frame presentation:class="notes"><draw:text-box><text:p>Mention the new office.</text:p><text:p>Then questions.</text:p></draw:text-box></draw:frame></presentation:notes>)"
      R"(</draw:page>)"
      R"(<draw:page draw:name="s2" draw:style-name="dp2">)"
      R"(<draw:frame presentation:class="title" svg:x="2cm" svg:y="1cm"><draw:text-box><text:p>Draft slide</text:p></draw:text-box></draw:frame>)"
      R"(<presentation:notes><draw:frame presentation:class="notes"><draw:text-box><text:p>Do not show.</text:p></draw:text-box></draw:frame></presentation:notes>)"
      R"(</draw:page>)"
      R"(<draw:page draw:name="s3" draw:style-name="dp1">)"
      R"(<draw:frame presentation:class="title" svg:x="2cm" svg:y="1cm"><draw:text-box><text:p>Figures</text:p></draw:text-box></draw:frame>)"
      R"(<draw:frame svg:x="2cm" svg:y="12cm" svg:width="8cm" svg:height="6cm"><draw:image xlink:href="Pictures/chart.png"/><svg:desc>Bar chart of revenue</svg:desc></draw:frame>)"
      R"(<draw:frame svg:x="2cm" svg:y="4cm" svg:width="16cm" svg:height="4cm"><table:table><table:table-row><table:table-cell><text:p>Region</text:p></table:table-cell><table:table-cell><text:p>Sales</text:p></table:table-cell></table:table-row>)"
      R"(<table:table-row><table:table-cell><text:p>North</text:p></table:table-cell><table:table-cell><text:p>12</text:p></table:table-cell></table:table-row></table:table></draw:frame>)"
      R"(<draw:frame presentation:class="footer" svg:x="2cm" svg:y="19cm"><draw:text-box><text:p>Company confidential</text:p></draw:text-box></draw:frame>)"
      R"(</draw:page>)"
      R"(</office:presentation>)";
  WriteOdf(path, "presentation", styles, body);
  Extracted x = Extract(path, "input/deck.bin");  // chosen by its mimetype, not its suffix
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.format, "odp");
  ASSERT_EQ(x.pages.size(), 3u) << x.All();
  EXPECT_EQ(x.pages[0].markdown,
            "# Quarterly results\n\n- Revenue up\n  - Europe first\n- Costs flat\n\n"
            "Notes: Mention the new office. Then questions.");
  EXPECT_EQ(x.pages[1].markdown, "");
  EXPECT_EQ(x.pages[1].number, 2);
  EXPECT_EQ(x.pages[2].markdown,
            "# Figures\n\n| Region | Sales |\n| --- | --- |\n| North | 12 |\n\nImage: Bar chart of revenue");
  EXPECT_EQ(x.pages[2].number, 3);

  FormatOptions no_notes;
  no_notes.pptx_speaker_notes = false;
  Extracted y = Extract(path, "", no_notes);
  ASSERT_TRUE(y.status.ok()) << y.status.ToString();
  EXPECT_EQ(y.pages[0].markdown, "# Quarterly results\n\n- Revenue up\n  - Europe first\n- Costs flat");
}

// One page per sheet, the sheet name as heading; values as displayed (the
// cell's text, not office:value); spans repeated; a million repeated empty
// rows at the end cost nothing; a hidden sheet keeps its page, empty; a long
// sheet is cut into tables that repeat the header.
TEST(FormatsTest, OdsSheetsAsPagesLikeXlsx) {
  TempDir dir;
  const std::string path = dir.Join("book.ods");
  const std::string styles =
      R"(<style:style style:name="ta1" style:family="table"><style:table-properties table:display="true"/></style:style>)"
      R"(<style:style style:name="ta2" style:family="table"><style:table-properties table:display="false"/></style:style>)";
  auto cell = [](const std::string& text, const std::string& attrs = "") {
    return "<table:table-cell" + attrs + "><text:p>" + text + "</text:p></table:table-cell>";
  };
  // Appended piece by piece: GCC 12 at -O3 warns (falsely) about
  // operator+(const char*, std::string&&).
  std::string long_rows;
  for (int i = 1; i <= 5; ++i) {
    std::string label = "r", value_attr = R"( office:value-type="float" office:value=")";
    label.append(std::to_string(i));
    value_attr.append(std::to_string(i * 10)).append("\"");
    long_rows.append("<table:table-row>").append(cell(label)).append(cell(std::to_string(i * 10), value_attr));
    long_rows.append("</table:table-row>");
  }
  const std::string body =
      R"(<office:spreadsheet>)"
      R"(<table:table table:name="Sales" table:style-name="ta1">)"
      "<table:table-row>" + cell("Region") + cell("Date") + cell("Amount") + "</table:table-row>"
      "<table:table-row>" + cell("North", R"( table:number-rows-spanned="2")") +
      cell("01/02/2024", R"( office:value-type="date" office:date-value="2024-01-02")") +
      cell("$1,234.50", R"( office:value-type="currency" office:currency="USD" office:value="1234.5")") + "</table:table-row>"
      "<table:table-row><table:covered-table-cell/>" + cell("01/03/2024", R"( office:value-type="date" office:date-value="2024-01-03")") +
      cell("12.5%", R"( office:value-type="percentage" office:value="0.125")") + "</table:table-row>"
      "<table:table-row>" + cell("Total", R"( table:number-columns-spanned="2")") + "<table:covered-table-cell/>" +
      cell("$1,234.63", R"( office:value-type="currency" office:value="1234.625")") + "</table:table-row>"
      R"(<table:table-row table:number-rows-repeated="1048571"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>)"
      R"(</table:table>)"
      R"(<table:table table:name="Secret" table:style-name="ta2"><table:table-row>)" + cell("hidden value") +
      R"(</table:table-row></table:table>)"
      R"(<table:table table:name="Long" table:style-name="ta1"><table:table-row>)" + cell("Row") + cell("Value") +
      "</table:table-row>" + long_rows + R"(</table:table>)"
      R"(</office:spreadsheet>)";
  WriteOdf(path, "spreadsheet", styles, body);
  FormatOptions options;
  options.sheet_rows_per_table = 3;
  Extracted x = Extract(path, "", options);
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.format, "ods");
  ASSERT_EQ(x.pages.size(), 3u) << x.All();
  EXPECT_EQ(x.pages[0].markdown,
            "# Sales\n\n| Region | Date | Amount |\n| --- | --- | --- |\n| North | 01/02/2024 | $1,234.50 |\n"
            "| North | 01/03/2024 | 12.5% |\n| Total | Total | $1,234.63 |");
  EXPECT_EQ(x.pages[1].markdown, "");
  EXPECT_EQ(x.pages[1].number, 2);
  EXPECT_EQ(x.pages[2].markdown,
            "# Long\n\n| Row | Value |\n| --- | --- |\n| r1 | 10 |\n| r2 | 20 |\n| r3 | 30 |\n\n"
            "| Row | Value |\n| --- | --- |\n| r4 | 40 |\n| r5 | 50 |");
  EXPECT_EQ(x.All().find("hidden value"), std::string::npos);
}

TEST(FormatsTest, NumberFormatsAsDisplayed) {
  EXPECT_EQ(FormatNumber(45292, "yyyy-mm-dd"), "2024-01-01");
  EXPECT_EQ(FormatNumber(45292.75, "d mmmm yyyy h:mm AM/PM"), "1 January 2024 6:00 PM");
  EXPECT_EQ(FormatNumber(45292, "dddd"), "Monday");
  EXPECT_EQ(FormatNumber(1.5, "[h]:mm"), "36:00");
  EXPECT_EQ(FormatNumber(1234567.891, "#,##0.00"), "1,234,567.89");
  EXPECT_EQ(FormatNumber(-5, "0.00;(0.00)"), "(5.00)");
  EXPECT_EQ(FormatNumber(0, "0;-0;\"zero\""), "zero");
  EXPECT_EQ(FormatNumber(0.5, "0%"), "50%");
  EXPECT_EQ(FormatNumber(12345, "0.00E+00"), "1.23E+04");
  EXPECT_EQ(FormatNumber(1500000, "#,##0,,\"M\""), "2M");
  EXPECT_EQ(FormatNumber(1, "yyyy-mm-dd", /*date1904=*/true), "1904-01-02");
  EXPECT_EQ(FormatGeneral(0.1 + 0.2), "0.3");
  EXPECT_EQ(FormatGeneral(1e20), "1E+20");
}

TEST(FormatsTest, LargeSheetIsCutIntoTablesThatRepeatTheHeader) {
  TempDir dir;
  std::string csv = "id,name\n";
  for (int i = 1; i <= 5; ++i) csv += std::to_string(i) + ",n" + std::to_string(i) + "\n";
  WriteFile(dir.Join("big.csv"), csv);
  FormatOptions o;
  o.sheet_rows_per_table = 2;
  Extracted x = Extract(dir.Join("big.csv"), "", o);
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.All(),
            "| id | name |\n| --- | --- |\n| 1 | n1 |\n| 2 | n2 |\n\n"
            "| id | name |\n| --- | --- |\n| 3 | n3 |\n| 4 | n4 |\n\n"
            "| id | name |\n| --- | --- |\n| 5 | n5 |");
}

TEST(FormatsTest, CsvQuotingAndDelimiterSniffing) {
  TempDir dir;
  WriteFile(dir.Join("t.csv"), "name;qty;note\nbolt;10;\"has ; and \"\"quotes\"\"\"\nnut;20;\"multi\nline\"\n");
  Extracted x = Extract(dir.Join("t.csv"));
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.All(), "| name | qty | note |\n| --- | --- | --- |\n| bolt | 10 | has ; and \"quotes\" |\n"
                     "| nut | 20 | multi line |");
}

TEST(FormatsTest, HtmlCharsetNavigationScriptsAndMergedCells) {
  TempDir dir;
  WriteFile(dir.Join("p.htm"),
            "<html><head><meta charset=\"iso-8859-1\"><title>T\xE9st</title><style>p{}</style>"
            "<script>var x='hidden';</script></head><body><nav><a href=\"/\">Home</a></nav>"
            "<main><h2>Caf\xE9</h2><p>Text <code>x()</code> <img alt=\"logo\" src=\"l.png\"></p>"
            "<pre class=\"language-cpp\">int a;\n  int b;</pre>"
            "<table><tr><th>A</th><th>B</th></tr><tr><td rowspan=\"2\">1</td><td>2</td></tr><tr><td>3</td></tr></table>"
            "<div hidden>gone</div></main><footer>(c)</footer></body></html>");
  Extracted x = Extract(dir.Join("p.htm"));
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.title, "T\xC3\xA9st");
  EXPECT_EQ(x.All(),
            "## Caf\xC3\xA9\n\nText `x()` (Image: logo)\n\n```cpp\nint a;\n  int b;\n```\n\n"
            "| A | B |\n| --- | --- |\n| 1 | 2 |\n| 1 | 3 |");
}

TEST(FormatsTest, EmailHeadersBodyAndAttachments) {
  TempDir dir;
  WriteFile(dir.Join("m.eml"),
            "From: Alice Example <alice@example.com>\r\nTo: Bob <bob@example.com>\r\n"
            "Subject: =?UTF-8?Q?Quarterly_r=C3=A9sum=C3=A9?=\r\nDate: Tue, 1 Oct 2024 10:00:00 +0200\r\n"
            "Message-ID: <abc@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
            "--XX\r\nContent-Type: multipart/alternative; boundary=\"YY\"\r\n\r\n--YY\r\n"
            "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            "Hello Bob,\r\n\r\nThe figures:\r\n- one\r\n- two\r\n\r\nCaf=E9 tomorrow?\r\n--YY\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>Bob</b></p>\r\n--YY--\r\n--XX\r\n"
            "Content-Type: text/csv; name=\"data.csv\"\r\nContent-Disposition: attachment; filename=\"data.csv\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nYSxiCjEsMgo=\r\n--XX--\r\n");
  // Content decides: no .eml suffix needed.
  Extracted x = Extract(dir.Join("m.eml"), "input/mail/message-1");
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.format, "email");
  EXPECT_EQ(x.summary.properties["subject"], "Quarterly r\xC3\xA9sum\xC3\xA9");
  EXPECT_EQ(x.summary.properties["from"], "Alice Example <alice@example.com>");
  EXPECT_EQ(x.summary.properties["to"], "Bob <bob@example.com>");
  EXPECT_EQ(x.summary.properties["date"], "2024-10-01T10:00:00+02");
  EXPECT_EQ(x.All(),
            "# Quarterly r\xC3\xA9sum\xC3\xA9\n\nFrom: Alice Example <alice@example.com>\n\nTo: Bob <bob@example.com>\n\n"
            "Date: 2024-10-01T10:00:00+02\n\nHello Bob,\n\nThe figures:\n\n- one\n- two\n\nCaf\xC3\xA9 tomorrow?\n\n"
            "Attachments: data.csv");
  ASSERT_EQ(x.embedded.size(), 1u);
  EXPECT_EQ(x.embedded[0].file_name, "data.csv");
  EXPECT_EQ(x.embedded[0].content_type, "text/csv");
  EXPECT_EQ(x.embedded[0].data, "a,b\n1,2\n");
}

TEST(FormatsTest, RealEpubFromDebian) {
  const std::string path = "/usr/share/doc/live-manual/epub/live-manual.en.epub";
  std::ifstream probe(path);
  ASSERT_TRUE(probe.good()) << path << " is missing: apt-get install -y live-manual-epub";
  Extracted x = Extract(path);
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.format, "epub");
  EXPECT_GE(x.pages.size(), 5u);
  EXPECT_GE(x.summary.outline.size(), 20u);
  for (size_t i = 0; i < x.pages.size(); ++i) EXPECT_EQ(x.pages[i].number, static_cast<int>(i) + 1);
  EXPECT_NE(x.All().find("live-build"), std::string::npos);
}

// ---- real office files from Debian packages (scripts/install-deps.sh test) ----------

// The file, or a failure naming the package that ships it.
std::string RealFile(const std::string& path, const std::string& package) {
  std::ifstream probe(path);
  if (!probe.good()) ADD_FAILURE() << path << " is missing: apt-get install -y " << package;
  return probe.good() ? path : "";
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The Debian Live manual as SiSU writes it in ODT (live-manual-odf): a
// generated contents list made of headings that only reference the real
// ones (read as paragraphs, so each chapter is one outline entry), 19
// numbered chapters, English and Japanese.
TEST(FormatsTest, RealOdtLiveManualFromDebian) {
  const std::string en = RealFile("/usr/share/doc/live-manual/odt/live-manual.en.odt", "live-manual-odf");
  ASSERT_FALSE(en.empty());
  Extracted x = Extract(en);
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.format, "odt");
  int chapters = 0, about = 0;
  for (const HeadingEntry& h : x.summary.outline) {
    if (h.text.rfind("1. About this manual", 0) == 0) ++about;
    if (h.level == 4 && !h.text.empty() && std::isdigit(static_cast<unsigned char>(h.text[0]))) ++chapters;
  }
  EXPECT_EQ(about, 1);
  EXPECT_EQ(chapters, 19);
  const std::string all = x.All();
  const size_t heading = all.find("#### 1. About this manual");
  const size_t body = all.find("This manual serves as a single access point to all documentation");
  ASSERT_NE(heading, std::string::npos);
  ASSERT_NE(body, std::string::npos);
  EXPECT_LT(heading, body);
  EXPECT_NE(all.find("##### 1.1 For the impatient"), std::string::npos);
  EXPECT_EQ(all.find("\xEF\xBF\xBD"), std::string::npos);  // no U+FFFD

  const std::string ja = RealFile("/usr/share/doc/live-manual/odt/live-manual.ja.odt", "live-manual-odf");
  ASSERT_FALSE(ja.empty());
  Extracted j = Extract(ja);
  ASSERT_TRUE(j.status.ok()) << j.status.ToString();
  EXPECT_NE(j.All().find("#### 1. このマニュアルについて"), std::string::npos);
  EXPECT_EQ(j.All().find("\xEF\xBF\xBD"), std::string::npos);
}

// Excel workbooks shipped with R's readxl (r-cran-readxl): notes above and
// below the data, merged cells, booleans and dates (built-in format 14,
// written as ISO dates), a 1,000-row sheet cut into tables of 200 rows that
// each repeat the header; the same workbooks in Excel 97-2003 are refused
// with the reason.
TEST(FormatsTest, RealXlsxFromDebian) {
  const std::string dir = "/usr/lib/R/site-library/readxl/extdata/";
  const std::string deaths = RealFile(dir + "deaths.xlsx", "r-cran-readxl");
  ASSERT_FALSE(deaths.empty());
  Extracted d = Extract(deaths);
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_EQ(d.summary.format, "xlsx");
  ASSERT_EQ(d.pages.size(), 2u);
  EXPECT_EQ(d.pages[0].markdown.substr(0, 8), "# arts\n\n");
  EXPECT_EQ(d.pages[1].markdown.substr(0, 9), "# other\n\n");
  EXPECT_NE(d.pages[0].markdown.find("| or | merging | merging | merging | merging | cells |"), std::string::npos);
  EXPECT_NE(d.pages[0].markdown.find("| Name | Profession | Age | Has kids | Date of birth | Date of death |\n"
                                     "| David Bowie | musician | 69 | TRUE | 1947-01-08 | 2016-01-10 |"),
            std::string::npos)
      << d.pages[0].markdown;

  const std::string datasets = RealFile(dir + "datasets.xlsx", "r-cran-readxl");
  ASSERT_FALSE(datasets.empty());
  Extracted s = Extract(datasets);
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  ASSERT_EQ(s.pages.size(), 4u);
  EXPECT_EQ(s.pages[0].markdown.substr(0, 8), "# iris\n\n");
  EXPECT_NE(s.pages[0].markdown.find("| Sepal.Length | Sepal.Width | Petal.Length | Petal.Width | Species |\n"
                                     "| --- | --- | --- | --- | --- |\n| 5.1 | 3.5 | 1.4 | 0.2 | setosa |"),
            std::string::npos);
  EXPECT_EQ(s.pages[3].markdown.substr(0, 10), "# quakes\n\n");
  EXPECT_EQ(Count(s.pages[3].markdown, "| lat | long | depth | mag | stations |\n| --- |"), 5u);
  // Every quake is south of the equator: 1,000 rows with a negative latitude.
  EXPECT_EQ(Count(s.pages[3].markdown, "\n| -") - Count(s.pages[3].markdown, "\n| ---"), 1000u);

  const std::string xls = RealFile(dir + "deaths.xls", "r-cran-readxl");
  ASSERT_FALSE(xls.empty());
  Extracted legacy = Extract(xls, "input/deaths.xls");
  EXPECT_EQ(legacy.status.code(), Status::Code::kInvalidInput);
  EXPECT_NE(legacy.status.message().find("input/deaths.xls: Excel 97-2003 (.xls) is a legacy binary format"),
            std::string::npos)
      << legacy.status.message();
}

// LibreOffice's own files (libreoffice-common): an Impress template whose
// slides hold several captioned boxes (one title frame each), and a Calc
// test sheet with values as LibreOffice displays them (decimal commas) and
// a merged cell.
TEST(FormatsTest, RealOdpAndOdsFromLibreOffice) {
  const std::string otp =
      RealFile("/usr/lib/libreoffice/share/template/common/presnt/Yellow_Idea.otp", "libreoffice-common");
  ASSERT_FALSE(otp.empty());
  Extracted p = Extract(otp);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.summary.format, "odp");
  ASSERT_EQ(p.pages.size(), 9u);
  EXPECT_EQ(p.pages[0].markdown.substr(0, 24), "# YELLOW IDEA TEMPLATE\n\n");
  const std::string& grid = p.pages[3].markdown;  // four boxes, two columns: left column first
  const size_t lorem = grid.find("# Lorem\n\nLorem ipsum dolor sit amet");
  const size_t ipsum = grid.find("\n## Ipsum\n\nLorem ipsum");
  const size_t dolor = grid.find("\n## Dolor\n\nLorem ipsum");
  const size_t sit = grid.find("\n## Sit\n\nLorem ipsum");
  ASSERT_EQ(lorem, 0u) << grid;
  ASSERT_NE(ipsum, std::string::npos) << grid;
  ASSERT_NE(dolor, std::string::npos) << grid;
  ASSERT_NE(sit, std::string::npos) << grid;
  EXPECT_LT(ipsum, dolor);
  EXPECT_LT(dolor, sit);
  EXPECT_EQ(p.pages[8].markdown.substr(0, 13), "# THANK YOU\n\n");

  const std::string ods = RealFile("/usr/lib/libreoffice/program/opencl/cl-test.ods", "libreoffice-common");
  ASSERT_FALSE(ods.empty());
  Extracted c = Extract(ods);
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(c.summary.format, "ods");
  ASSERT_GE(c.pages.size(), 1u);
  EXPECT_EQ(c.pages[0].markdown.substr(0, 15), "# OpenCLTest\n\n|");
  EXPECT_NE(c.pages[0].markdown.find("| Tolerance | 1,00E-12 |"), std::string::npos);
  EXPECT_NE(c.pages[0].markdown.find("| Max | We paste a =MAX(results) into here, after re-calculation. | We paste"),
            std::string::npos);
}

// ---- bad input --------------------------------------------------------------------

TEST(FormatsBadInputTest, ZipBombByRatioAndByEntryCount) {
  TempDir dir;
  WriteDocx(dir.Join("bomb.docx"), "<w:p><w:r><w:t>" + std::string(20 << 20, 'a') + "</w:t></w:r></w:p>");
  Extracted x = Extract(dir.Join("bomb.docx"));
  EXPECT_EQ(x.status.code(), Status::Code::kInvalidInput);
  EXPECT_NE(x.status.message().find("bomb.docx"), std::string::npos) << x.status.message();
  EXPECT_NE(x.status.message().find("compression ratio"), std::string::npos) << x.status.message();

  std::vector<std::pair<std::string, std::string>> many = {
      {"[Content_Types].xml", ContentTypes("word/document.xml", "wordprocessingml.document")}};
  for (int i = 0; i < 50; ++i) many.push_back({std::string("f").append(std::to_string(i)), "x"});
  WriteZip(dir.Join("many.docx"), many);
  FormatOptions o;
  o.limits.max_zip_entries = 20;
  Extracted y = Extract(dir.Join("many.docx"), "", o);
  EXPECT_EQ(y.status.code(), Status::Code::kInvalidInput);
  EXPECT_NE(y.status.message().find("51 entries (limit 20)"), std::string::npos) << y.status.message();

  FormatOptions small;
  small.limits.max_entry_bytes = 1 << 20;
  WriteDocx(dir.Join("big.docx"), "<w:p><w:r><w:t>" + std::string(2 << 20, 'b') + "</w:t></w:r></w:p>");
  Extracted z = Extract(dir.Join("big.docx"), "", small);
  EXPECT_NE(z.status.message().find("unpacks to more than 1 MB"), std::string::npos) << z.status.message();
}

TEST(FormatsBadInputTest, XmlEntitiesAreNeverExpanded) {
  TempDir dir;
  WriteFile(dir.Join("secret.txt"), "TOP-SECRET");
  const std::string prolog = "<?xml version=\"1.0\"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM \"file://" +
                             dir.Join("secret.txt") +
                             "\"><!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>";
  WriteDocx(dir.Join("xxe.docx"), P("x &xxe; y &b; z"), prolog);
  Extracted x = Extract(dir.Join("xxe.docx"));
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.All().find("TOP-SECRET"), std::string::npos);
  EXPECT_EQ(x.All().find("aaaaaaaaaa"), std::string::npos);
}

TEST(FormatsBadInputTest, WrongSuffixGoesByContent) {
  TempDir dir;
  PdfSpec spec;
  PdfPageSpec page;
  page.runs.push_back({72, 720, 11, PdfFont::kSerif, "A PDF named like a Word file"});
  spec.pages.push_back(page);
  ASSERT_TRUE(MakePdf(spec, dir.Join("really-a-pdf.docx")).ok());
  Extracted x = Extract(dir.Join("really-a-pdf.docx"));
  ASSERT_TRUE(x.status.ok()) << x.status.ToString();
  EXPECT_EQ(x.summary.format, "pdf");

  WriteFile(dir.Join("notes.docx"), "just some text\n");
  Extracted y = Extract(dir.Join("notes.docx"));
  EXPECT_EQ(y.status.code(), Status::Code::kInvalidInput);
  EXPECT_NE(y.status.message().find("notes.docx: not a zip-based document (file starts with \"just som\")"),
            std::string::npos)
      << y.status.message();
}

TEST(FormatsBadInputTest, EncryptedOoxmlAndLegacyBinaryAreRefusedWithTheReason) {
  TempDir dir;
  auto utf16 = [](const std::string& s) {
    std::string out;
    for (char c : s) out += std::string(1, c) + '\0';
    return out;
  };
  std::string cfb = std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + std::string(504, '\0') +
                    utf16("EncryptionInfo") + std::string(64, '\0') + utf16("EncryptedPackage");
  WriteFile(dir.Join("locked.docx"), cfb);
  Extracted x = Extract(dir.Join("locked.docx"));
  EXPECT_EQ(x.status.code(), Status::Code::kInvalidInput);
  EXPECT_NE(x.status.message().find("locked.docx: encrypted (password-protected) Office document"), std::string::npos)
      << x.status.message();
  WriteFile(dir.Join("old.doc"), std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + std::string(504, '\0') +
                                     utf16("WordDocument"));
  Extracted y = Extract(dir.Join("old.doc"));
  EXPECT_NE(y.status.message().find("Word 97-2003 (.doc) is a legacy binary format"), std::string::npos)
      << y.status.message();
}

TEST(FormatsBadInputTest, TruncatedArchiveAndMalformedXml) {
  TempDir dir;
  WriteDocx(dir.Join("full.docx"), P("hello"));
  const std::string full = testing::ReadFile(dir.Join("full.docx"));
  WriteFile(dir.Join("cut.docx"), full.substr(0, full.size() / 2));
  Extracted x = Extract(dir.Join("cut.docx"));
  EXPECT_EQ(x.status.code(), Status::Code::kInvalidInput);
  EXPECT_NE(x.status.message().find("cut.docx: "), std::string::npos);
  EXPECT_NE(x.status.message().find("truncated"), std::string::npos) << x.status.message();

  WriteDocx(dir.Join("bad.docx"), "<w:p><w:r><w:t>unclosed</w:r></w:p>");
  Extracted y = Extract(dir.Join("bad.docx"));
  EXPECT_EQ(y.status.code(), Status::Code::kInvalidInput);
  EXPECT_NE(y.status.message().find("bad.docx: word/document.xml: malformed XML"), std::string::npos)
      << y.status.message();
}

TEST(FormatsBadInputTest, MemoryCapStopsAParserWithAClearError) {
  TempDir dir;
  std::string body;
  for (int i = 0; i < 20000; ++i) body += P("paragraph " + std::to_string(i));
  WriteDocx(dir.Join("wide.docx"), body);
  FormatOptions o;
  o.limits.max_memory_bytes = 1 << 20;
  Extracted x = Extract(dir.Join("wide.docx"), "", o);
  EXPECT_EQ(x.status.code(), Status::Code::kInvalidInput);
  EXPECT_NE(x.status.message().find("memory cap of 1 MB"), std::string::npos) << x.status.message();
  EXPECT_TRUE(Extract(dir.Join("wide.docx")).status.ok());
}

// gumbo's tree is charged to the budget block by block as gumbo allocates it
// (its size per input byte is not bounded: 65x for a run of <p>), so a small
// file whose tree would pass the cap stops with the cap's error, and the
// same file parses under the default cap. The HTML reader's budget is whole
// again afterwards: a second document in the same extractor parses.
TEST(FormatsBadInputTest, HtmlTreeIsChargedAsGumboAllocatesIt) {
  TempDir dir;
  std::string paragraphs;
  for (int i = 0; i < 100000; ++i) paragraphs += "<p>";
  WriteFile(dir.Join("p.html"), "<html><body>" + paragraphs + "</body></html>");
  FormatOptions o;
  o.limits.max_memory_bytes = 4 << 20;
  Extracted x = Extract(dir.Join("p.html"), "input/p.html", o);
  EXPECT_EQ(x.status.code(), Status::Code::kInvalidInput) << x.status.ToString();
  EXPECT_NE(x.status.message().find("input/p.html: needs more than the extractor's memory cap of 4 MB"),
            std::string::npos)
      << x.status.message();
  EXPECT_TRUE(Extract(dir.Join("p.html")).status.ok());
  WriteFile(dir.Join("small.html"), "<h1>Fine</h1><p>Small page.</p>");
  Extracted small = Extract(dir.Join("small.html"), "", o);
  ASSERT_TRUE(small.status.ok()) << small.status.ToString();
  EXPECT_EQ(small.All(), "# Fine\n\nSmall page.");
}

// Nesting deeper than the walk can follow is refused with the reason (100,000
// nested <div> once overflowed the stack); 500 levels still read.
TEST(FormatsBadInputTest, HtmlNestedTooDeepIsRefusedNotACrash) {
  TempDir dir;
  std::string deep, ok;
  for (int i = 0; i < 20000; ++i) deep += "<div>";
  WriteFile(dir.Join("deep.html"), "<html><body>" + deep + "x</body></html>");
  Extracted x = Extract(dir.Join("deep.html"), "input/deep.html");
  EXPECT_EQ(x.status.code(), Status::Code::kInvalidInput) << x.status.ToString();
  EXPECT_NE(x.status.message().find("input/deep.html: HTML elements nested more than 512 deep"), std::string::npos)
      << x.status.message();
  for (int i = 0; i < 500; ++i) ok += "<div>";
  WriteFile(dir.Join("ok.html"), "<html><body>" + ok + "deep text</body></html>");
  Extracted y = Extract(dir.Join("ok.html"));
  ASSERT_TRUE(y.status.ok()) << y.status.ToString();
  EXPECT_EQ(y.All(), "deep text");
}

// A deadline that has passed stops a long HTML parse with Timeout.
TEST(FormatsBadInputTest, HtmlParseHonoursTheDeadline) {
  TempDir dir;
  std::string paragraphs;
  for (int i = 0; i < 100000; ++i) paragraphs += "<p>x";
  WriteFile(dir.Join("long.html"), paragraphs);
  std::vector<ExtractorPtr> extractors = NewDefaultExtractors();
  Result<Extractor*> e = SelectExtractor(extractors, "long.html", "<p>x<p>x");
  ASSERT_TRUE(e.ok());
  ExtractOptions eo;
  eo.deadline_ms = 1;  // long past
  Result<ExtractSummary> r = (*e)->Extract(dir.Join("long.html"), "input/long.html", eo, [](ExtractedPage&&) {
    return Status::Ok();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kTimeout) << r.status().ToString();
  EXPECT_NE(r.status().message().find("input/long.html"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace docpipe
