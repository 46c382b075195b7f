// Characters, scripts and scans end to end: scanned PDFs and image files go
// through OCR into searchable chunks; a document with no text at all fails
// saying so; real right-to-left manuals from Debian's texlive packages come
// out in logical order (word recall against poppler's pdftotext).
#include <sys/stat.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <map>

#include "e2e/cli_fixture.h"
#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "support/page_images.h"
#include "support/pdf_maker.h"

namespace docpipe::testing {
namespace {

const char kInstallTesseract[] = "apt-get install tesseract-ocr-eng tesseract-ocr-osd";
const char kInstallArabicDocs[] = "apt-get install texlive-lang-arabic";

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Words as a search engine would see them: NFKC (presentation forms and
// ligatures folded), case-folded, split at anything that is not a letter,
// mark or digit. Bidi control marks (pdftotext emits them) and zero-width
// joiners (pdftotext drops them inside Persian words) are dropped.
std::vector<std::string> SearchWords(const std::string& utf8) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  icu::UnicodeString text = nfkc->normalize(icu::UnicodeString::fromUTF8(utf8), status);
  text.foldCase();
  std::vector<std::string> words;
  icu::UnicodeString word;
  auto flush = [&] {
    if (!word.isEmpty()) {
      std::string w;
      word.toUTF8String(w);
      words.push_back(w);
      word.remove();
    }
  };
  for (int32_t i = 0; i < text.length(); i = text.moveIndex32(i, 1)) {
    UChar32 c = text.char32At(i);
    if (u_isalnum(c) || u_getCombiningClass(c) > 0 || u_charType(c) == U_NON_SPACING_MARK) {
      word.append(c);
    } else if (c != 0x200C && c != 0x200D && c != 0x200E && c != 0x200F && (c < 0x202A || c > 0x202E)) {
      flush();
    }
  }
  flush();
  return words;
}

// Share of `reference` words (with multiplicity) found in `ours`.
double WordRecall(const std::vector<std::string>& ours, const std::vector<std::string>& reference) {
  std::map<std::string, int> have;
  for (const std::string& w : ours) ++have[w];
  size_t found = 0;
  for (const std::string& w : reference) {
    auto it = have.find(w);
    if (it != have.end() && it->second > 0) {
      --it->second;
      ++found;
    }
  }
  return reference.empty() ? 1.0 : static_cast<double>(found) / reference.size();
}

std::string ExtractAll(const std::string& path) {
  ExtractorPtr pdf = NewPdfExtractor();
  std::string text;
  Result<ExtractSummary> r = pdf->Extract(path, path, {}, [&](ExtractedPage&& p) {
    text += p.markdown + "\n";
    return Status::Ok();
  });
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return text;
}

class ScriptsAndScansTest : public CliTest {
 protected:
  // Two pages of known text, as a scanner would deliver them.
  void MakeScans() {
    PdfSpec spec;
    spec.pages.push_back(PdfPageBuilder()
                             .Line("Budget Committee Minutes", 20, PdfFont::kSansBold)
                             .Gap(10)
                             .Line("The committee approved the budget for the new library on Monday.")
                             .Line("Members thanked the treasurer for her careful work this year.")
                             .Build());
    spec.pages.push_back(PdfPageBuilder()
                             .Line("Next Steps", 20, PdfFont::kSansBold)
                             .Gap(10)
                             .Line("Construction of the library starts in the spring.")
                             .Build());
    const std::string text_pdf = dir_.Join("minutes.pdf");
    ASSERT_TRUE(MakePdf(spec, text_pdf).ok());
    std::filesystem::create_directories(Docs());
    ASSERT_TRUE(MakeImageOnlyPdf(text_pdf, Docs() + "/scanned-minutes.pdf", 300).ok());
    OcrImage first, second;
    ASSERT_TRUE(RenderPdfPage(text_pdf, 0, 300, &first).ok());
    ASSERT_TRUE(RenderPdfPage(text_pdf, 1, 300, &second).ok());
    ASSERT_TRUE(WriteImages({first, second}, "tiff", Docs() + "/minutes.tiff").ok());
    ASSERT_TRUE(WriteImages({second}, "png", Docs() + "/next-steps.png").ok());
  }

  std::string Chunks(const std::string& id) {
    std::string all;
    nlohmann::json chunks = nlohmann::json::parse(ReadFile(StorePath("chunks/" + id + ".json")));
    for (const auto& c : chunks["chunks"]) all += c["text"].get<std::string>() + "\n";
    return all;
  }
};

TEST_F(ScriptsAndScansTest, ScannedPdfAndImagesAreReadByOcrIntoChunks) {
  ASSERT_TRUE(Exists("/usr/share/tesseract-ocr/5/tessdata/eng.traineddata")) << kInstallTesseract;
  MakeScans();
  ProcessResult r = Docpipe({"ingest", "--json", Docs()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  nlohmann::json scan = RecordFor("scanned-minutes.pdf");
  ASSERT_EQ(scan["status"], "COMPLETED") << scan.dump();
  EXPECT_EQ(scan["page_count"], 2);
  const std::string id = scan["document_id"];
  nlohmann::json meta = nlohmann::json::parse(ReadFile(StorePath("extracted/" + id + "/metadata.json")));
  ASSERT_EQ(meta["ocr_pages"].size(), 2u) << meta.dump();
  for (const auto& p : meta["ocr_pages"]) {
    EXPECT_EQ(p["reason"], "no_text_layer");
    EXPECT_GT(p["confidence"].get<double>(), 85);
    EXPECT_EQ(p["rotation"], 0);
  }
  EXPECT_EQ(meta["pages_without_text"], nlohmann::json::array({1, 2}));
  // Headings come out of the same structure pass as native text.
  ASSERT_EQ(meta["outline"].size(), 2u) << meta["outline"].dump();
  EXPECT_EQ(meta["outline"][0]["text"], "Budget Committee Minutes");
  EXPECT_EQ(meta["outline"][1]["text"], "Next Steps");
  EXPECT_EQ(meta["outline"][1]["page"], 2);
  const std::string chunks = Chunks(id);
  EXPECT_NE(chunks.find("The committee approved the budget for the new library on Monday. Members thanked the "
                        "treasurer for her careful work this year."),
            std::string::npos)
      << chunks;

  nlohmann::json tiff = RecordFor("minutes.tiff");
  ASSERT_EQ(tiff["status"], "COMPLETED") << tiff.dump();
  EXPECT_EQ(tiff["page_count"], 2);
  EXPECT_NE(Chunks(tiff["document_id"]).find("Construction of the library starts in the spring."), std::string::npos);
  nlohmann::json png = RecordFor("next-steps.png");
  ASSERT_EQ(png["status"], "COMPLETED") << png.dump();
  EXPECT_NE(Chunks(png["document_id"]).find("Construction of the library starts in the spring."), std::string::npos);

  // Search finds the scanned text.
  nlohmann::json hits = DocpipeJson({"search", "--json", "treasurer careful work"});
  ASSERT_FALSE(hits.empty()) << hits.dump();
}

TEST_F(ScriptsAndScansTest, DocumentWithoutTextFailsSayingSo) {
  ASSERT_TRUE(Exists("/usr/share/tesseract-ocr/5/tessdata/eng.traineddata")) << kInstallTesseract;
  MakeScans();
  std::filesystem::remove(Docs() + "/minutes.tiff");
  std::filesystem::remove(Docs() + "/next-steps.png");
  PdfSpec blank;
  blank.pages.push_back(PdfPageSpec{});
  blank.pages.push_back(PdfPageSpec{});
  ASSERT_TRUE(MakePdf(blank, Docs() + "/blank.pdf").ok());
  ProcessResult r = Docpipe({"ingest", "--json", Docs()}, {{"DOCPIPE_OCR", "false"}});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  nlohmann::json summary = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out << r.err;
  std::map<std::string, nlohmann::json> by_file;
  for (const auto& d : summary["documents"]) {
    std::string key = d["source_key"];
    by_file[key.substr(key.rfind('/') + 1)] = d;
  }
  const nlohmann::json& scan = by_file["scanned-minutes.pdf"];
  ASSERT_EQ(scan["status"], "FAILED") << scan.dump();
  EXPECT_EQ(scan["error"],
            "input/docs/scanned-minutes.pdf: no text found: none of its 2 pages has a text layer (OCR is off: set "
            "ocr.enabled = true to read scanned pages)");
  EXPECT_EQ(scan["retry_count"], 0);
  // Ingesting `path` (named `name`) fails with `error`.
  auto expect_fails_with = [&](const std::string& path, const std::string& name, const std::string& error) {
    ProcessResult run = Docpipe({"ingest", "--json", path});
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    nlohmann::json rec = RecordFor(name);
    ASSERT_EQ(rec["status"], "FAILED") << rec.dump();
    EXPECT_EQ(rec["last_error"], error) << rec.dump();
  };
  // With OCR on, a blank document still fails: OCR found nothing to read.
  expect_fails_with(Docs() + "/blank.pdf", "blank.pdf",
                    "input/blank.pdf: no text found: none of its 2 pages has a text layer, and OCR found no text on "
                    "the 2 pages it looked at");
  // An image is a page without a text layer too (its format is "png", not "pdf").
  OcrImage white;
  ASSERT_TRUE(RenderPdfPage(Docs() + "/blank.pdf", 0, 100, &white).ok());
  ASSERT_TRUE(WriteImages({white}, "png", dir_.Join("blank.png")).ok());
  expect_fails_with(dir_.Join("blank.png"), "blank.png",
                    "input/blank.png: no text found: none of its 1 pages has a text layer, and OCR found no text on "
                    "the 1 pages it looked at");
}

// Real right-to-left documents from texlive-lang-arabic: Persian text drawn
// in visual order without space glyphs comes out in logical order with its
// word spaces, as poppler's pdftotext reads it. (Documents where pdftotext
// itself errs are left out: it reads sexam's dingbat borders as "b" and "g",
// and glues numbers to Arabic words.)
TEST(RightToLeftDocumentsTest, PersianAndArabicManualsMatchPdftotext) {
  const std::vector<std::string> docs = {
      "/usr/share/doc/texlive-doc/xelatex/xepersian/xepersian-doc.pdf",
      "/usr/share/doc/texlive-doc/latex/lshort-persian/lshort.pdf",
      "/usr/share/doc/texlive-doc/xelatex/persian-bib/Persian-bib-userguide.pdf",
  };
  for (const std::string& path : docs) {
    SCOPED_TRACE(path);
    ASSERT_TRUE(Exists(path)) << kInstallArabicDocs;
    ProcessResult ref = RunProcess({"pdftotext", "-q", "-enc", "UTF-8", path, "-"});
    ASSERT_EQ(ref.exit_code, 0) << "pdftotext (apt-get install poppler-utils): " << ref.err;
    const std::vector<std::string> ours = SearchWords(ExtractAll(path));
    const std::vector<std::string> theirs = SearchWords(ref.out);
    EXPECT_GE(WordRecall(ours, theirs), 0.9);
    EXPECT_GE(WordRecall(theirs, ours), 0.9);  // precision: what we add is there too
  }
}

// A German manual set with TeX's \" accents (texlive-plain-generic's abstyles
// documentation): the diaeresis is drawn as its own glyph before the letter.
TEST(TexAccentsTest, GermanManualHasItsUmlauts) {
  const std::string path = "/usr/share/doc/texlive-doc/bibtex/abstyles/abstdok.pdf";
  ASSERT_TRUE(Exists(path)) << "apt-get install texlive-plain-generic";
  const std::string text = ExtractAll(path);
  // "zur Verfügung, um Bibliographien zu Artikeln, Berichten, Büchern"
  EXPECT_NE(text.find("zur Verf\xC3\xBCgung, um Bibliographien zu Artikeln, Berichten, B\xC3\xBC" "chern"),
            std::string::npos)
      << text.substr(0, 1500);
  size_t fuer = 0;
  for (size_t p = text.find("f\xC3\xBCr"); p != std::string::npos; p = text.find("f\xC3\xBCr", p + 1)) ++fuer;
  EXPECT_GE(fuer, 35u);  // pdftotext finds 38, decomposed (u + U+0308)
  EXPECT_EQ(text.find("\xC2\xA8"), std::string::npos) << "a spacing diaeresis was left";
  ProcessResult ref = RunProcess({"pdftotext", "-q", "-enc", "UTF-8", path, "-"});
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  EXPECT_GE(WordRecall(SearchWords(text), SearchWords(ref.out)), 0.97);
}

// Chinese and Japanese paragraphs wrapped over lines (polyglossia's examples,
// texlive-latex-recommended-doc) join without a space at the line break.
TEST(CjkDocumentsTest, WrappedParagraphsJoinWithoutSpaces) {
  const std::string zh = "/usr/share/doc/texlive-doc/latex/polyglossia/example-chinese.pdf";
  const std::string ja = "/usr/share/doc/texlive-doc/latex/polyglossia/example-japanese.pdf";
  ASSERT_TRUE(Exists(zh) && Exists(ja)) << "apt-get install texlive-latex-recommended-doc";
  // "人人生而自由、在尊严和权利上一律平等。他们赋有理性和良心、并应以兄弟" | "关系的精神相对待。"
  EXPECT_NE(ExtractAll(zh).find("\xE5\xB9\xB6\xE5\xBA\x94\xE4\xBB\xA5\xE5\x85\x84\xE5\xBC\x9F"
                                "\xE5\x85\xB3\xE7\xB3\xBB\xE7\x9A\x84\xE7\xB2\xBE\xE7\xA5\x9E"),
            std::string::npos);
  // "...尊厳と権利とにつ" | "いて平等である。" and "...同胞の精" | "神をもって"
  const std::string japanese = ExtractAll(ja);
  EXPECT_NE(japanese.find("\xE3\x81\xA8\xE3\x81\xAB\xE3\x81\xA4\xE3\x81\x84\xE3\x81\xA6"), std::string::npos)
      << japanese;
  EXPECT_NE(japanese.find("\xE5\x90\x8C\xE8\x83\x9E\xE3\x81\xAE\xE7\xB2\xBE\xE7\xA5\x9E"), std::string::npos);
}

TEST(RightToLeftDocumentsTest, PersianTableOfContentsLineIsLogicalWithSpaces) {
  const std::string path = "/usr/share/doc/texlive-doc/latex/lshort-persian/lshort.pdf";
  ASSERT_TRUE(Exists(path)) << kInstallArabicDocs;
  ExtractorPtr pdf = NewPdfExtractor();
  std::string page10;
  ASSERT_TRUE(pdf->Extract(path, path, {}, [&](ExtractedPage&& p) {
                   if (p.number == 10) page10 = p.markdown;
                   return Status::Ok();
                 }).ok());
  // "فهرست مطالب" (table of contents), base letters (not presentation forms),
  // first word first, one space between the words.
  EXPECT_NE(page10.find("\xD9\x81\xD9\x87\xD8\xB1\xD8\xB3\xD8\xAA \xD9\x85\xD8\xB7\xD8\xA7\xD9\x84\xD8\xA8"),
            std::string::npos)
      << page10.substr(0, 400);
  EXPECT_EQ(page10.find("\xEF\xBF\xBD"), std::string::npos);  // no U+FFFD
}

}  // namespace
}  // namespace docpipe::testing
