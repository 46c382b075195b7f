// docpipe's BPE ids must equal js-tiktoken's (run through node by
// tests/tokenize/js_tiktoken_ids.mjs) on: real manuals (pdftotext, generated
// here), text in every script found on the machine, hand-picked edge cases,
// every code point up to U+323AF, invalid UTF-8 and 10,000 seeded random
// strings. Fails when node is not installed.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/test_util.h"
#include "tokenize/bpe_tokenizer.h"

namespace docpipe {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunProcess;
using testing::TempDir;

struct Record {
  std::string label;
  std::string bytes;
  bool allow_all_special = false;
};

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::vector<fs::path> Glob(const std::string& dir, const std::regex& name) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && std::regex_match(e.path().filename().string(), name)) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// pdftotext output of the manuals the benchmarks also use.
void AddManuals(const TempDir& tmp, std::vector<Record>* corpus) {
  std::vector<fs::path> pdfs = Glob("/usr/share/doc/glpk-doc", std::regex(R"(.*\.pdf)"));
  pdfs.push_back("/usr/share/doc/libtasn1-doc/libtasn1.pdf");
  int n = 0;
  for (const auto& pdf : pdfs) {
    ASSERT_TRUE(fs::exists(pdf)) << pdf << " is missing (Debian packages glpk-doc, libtasn1-doc): " << testing::kInstallTestPeers;
    const std::string txt = tmp.Join("manual" + std::to_string(n++) + ".txt");
    const auto r = RunProcess({"pdftotext", "-q", "-enc", "UTF-8", pdf.string(), txt});
    ASSERT_EQ(r.exit_code, 0) << "pdftotext (poppler-utils) failed on " << pdf << ": " << r.err;
    corpus->push_back({pdf.filename().string(), ReadFile(txt)});
  }
}

// "<U0053><U006F>..." strings of glibc's locale sources, decoded: month and
// day names, currency symbols, etc. of several hundred languages.
std::string DecodeLocaleEscapes(const std::string& src) {
  static const std::regex kRun(R"((?:<U[0-9A-Fa-f]{4,8}>)+)");
  std::string out;
  for (auto it = std::sregex_iterator(src.begin(), src.end(), kRun); it != std::sregex_iterator(); ++it) {
    const std::string run = it->str();
    for (size_t i = 0; i < run.size();) {
      const size_t close = run.find('>', i);
      const uint32_t cp = static_cast<uint32_t>(std::stoul(run.substr(i + 2, close - i - 2), nullptr, 16));
      if (cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF)) AppendUtf8(cp, &out);
      i = close + 1;
    }
    out += ' ';
  }
  return out;
}

void AddMultilingual(std::vector<Record>* corpus) {
  for (const auto& dir : Glob("/usr/share/vim", std::regex(R"(vim[0-9]+)"))) {
    for (const auto& f : Glob(dir.string() + "/tutor", std::regex(R"(tutor.*)"))) {
      // *.utf-8 and the plain ASCII/Latin-1 tutors; the legacy encodings
      // (euc, sjis, cp1251...) are invalid UTF-8 and exercise the repair.
      std::string text = ReadFile(f.string());
      if (text.size() > 8 * 1024) text.resize(8 * 1024);  // the script matters, not the length
      corpus->push_back({f.filename().string(), text});
    }
  }
  std::string locales;
  for (const auto& f : Glob("/usr/share/i18n/locales", std::regex(R"([a-z].*)"))) {
    std::string decoded = DecodeLocaleEscapes(ReadFile(f.string()));
    if (decoded.size() > 2048) decoded.resize(2048);  // may cut a sequence: more invalid UTF-8
    locales += decoded;
    if (locales.size() > 64 * 1024) {
      corpus->push_back({"i18n locales", locales});
      locales.clear();
    }
  }
  if (!locales.empty()) corpus->push_back({"i18n locales", locales});
  for (const auto& dir : Glob("/usr/share/X11/locale", std::regex(R"(.*\.UTF-8)"))) {
    const fs::path compose = dir / "Compose";
    if (!fs::exists(compose)) continue;
    std::string text = ReadFile(compose.string());
    if (text.size() > 24 * 1024) text.resize(24 * 1024);
    corpus->push_back({compose.string(), text});
  }
  // Translated messages (binary .mo files: real text between invalid bytes).
  for (const auto& lang : Glob("/usr/share/locale", std::regex(R"([a-z][a-z_A-Z@]*)"))) {
    for (const auto& f : Glob(lang.string() + "/LC_MESSAGES", std::regex(R"(.*\.mo)"))) {
      std::string data = ReadFile(f.string());
      if (data.size() > 32 * 1024) data.resize(32 * 1024);
      corpus->push_back({f.string(), data});
      break;  // one file per language
    }
  }
}

void AddEdgeCases(std::vector<Record>* corpus) {
  const std::vector<std::string> cases = {
      "",
      "Hello, world! It's a test. I'LL SEE YOU'RE THERE, we'd've done it; she'S HE'd they'Ll",
      "don't DON'T Don't 's 'S 'll 'LL 'Ll 'lL 're 'RE 'Re 'rE 've 'VE 'd 'D 'm 'M 't 'T x'sy",
      "Ǆemal ǅemal ǆemal ʰʲʷ ᾈᾉ ΣΑΣ σας ǈ'S ǅ'LL",
      "👨‍👩‍👧‍👦 👩🏽‍💻 🏳️‍🌈 🇫🇷🇩🇪 ❤️ 1️⃣ #️⃣ 🫶🏿 🧑‍🤝‍🧑",
      "e\u0301 a\u0308\u0323 \u0915\u093F \u0645\u064E\u0646\u0652 \u05E9\u05C1\u05B8 n\u0303\u0303\u0303\u0303",
      "\u1100\u1161\u11A8 \u0BA4\u0BAE\u0BBF\u0BB4\u0BCD \u0E20\u0E32\u0E29\u0E32\u0E44\u0E17\u0E22",
      std::string(1000, ' '),
      std::string(257, ' ') + "x" + std::string(300, '\n') + "y" + std::string(77, '\t'),
      " \n \n\n  \r\n\r\n   \t\n \u00A0\u00A0x \u3000\u3000y \u2028\u2029 \uFEFFz \u0085 \u180E",
      "0123456789 1234567890123 ٣٤٥ ५६७ ⅫⅣ ½¾ 12.34 1,000,000 3.14159e-10 0x1F 0b1010 v1.2.3",
      "!!!???... --- === *** ((()))[[]]{{}} <<>> ::= -> => //// \\\\\\ ''' \"\"\" ```` ~~~ ^^^ %%% $$$ ###",
      "https://example.com/a/b?c=d&e=f#g  user@example.org  C:\\Windows\\System32  /usr/share/doc/",
      "int main(int argc, char** argv) {\n    return argc > 1 ? 0 : -1;\n}\n\tif (x) { y(); }\n",
      "| a | b |\n|---|---|\n| 1 | 2 |\n\n# Heading\n\n* item\n* item 2\n\n> quote\n",
      "<|endoftext|> <|fim_prefix|>x<|fim_middle|>y<|fim_suffix|> <|endofprompt|> <|endoftext",
      "\xEF\xBB\xBF" "BOM at the start",
      "中文测试，日本語のテキスト、한국어 텍스트。Русский текст. Ελληνικά. עברית. العربية. हिन्दी.",
      // Pieces longer than kQuadraticMergeMax take the heap merge. (js-tiktoken
      // is cubic on long pieces, so these stay a few hundred bytes.)
      std::string(700, 'a'),
      std::string(500, '=') + std::string(300, '-') + "\n",
      "ab" + std::string(200, '\xF0') + "cd",
      "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichenherstellungsfabrikdirektorenversammlungsraum",
  };
  int i = 0;
  for (const auto& c : cases) corpus->push_back({"edge case " + std::to_string(i++), c});
  corpus->push_back({"specials allowed", "a<|endoftext|>b <|fim_prefix|><|fim_middle|> <|endofprompt|>c", true});
  corpus->push_back({"specials allowed 2", "<|endoftext|><|endoftext|>\n<|endoftext|>x<|endoftext", true});

  const std::vector<std::string> invalid = {
      "\x80",         "\xFF\xFE",         "abc\xC3",          "\xC3\x28",         "\xC0\xAF\xC1\xBF",
      "\xE0\x80\xAF", "\xE0\xA0",         "\xED\xA0\x80",     "\xED\xBF\xBF x",   "\xF4\x90\x80\x80",
      "\xF0\x8F\xBF\xBF", "\xF5\x80\x80\x80", "\xF0\x9F\x98",  "\xF0\x9F\x98x",    "\xE2\x82\xE2\x82\xAC",
      "a\xC3\xA9\xC3", "\xC3\xA9\x80\x80\xA9", "x\xF8\x88\x80\x80\x80y", "\xFC\x84\x80\x80\x80\x80",
      "don\x92t \x93quoted\x94",  // Windows-1252 punctuation
  };
  for (const auto& c : invalid) corpus->push_back({"invalid UTF-8", c});
}

// Every scalar value from U+0000 to U+323AF (all planes with assignments up
// to Unicode 17) plus the tag/variation-selector block, 96 at a time with
// separators, so each character class is compared code point by code point.
void AddAllCodePoints(std::vector<Record>* corpus) {
  std::string s;
  int in_record = 0;
  auto add = [&](uint32_t cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) return;
    AppendUtf8(cp, &s);
    if (cp % 7 == 0) s += ' ';
    if (cp % 11 == 0) s += "'s";
    if (++in_record == 96) {
      corpus->push_back({"code points", s});
      s.clear();
      in_record = 0;
    }
  };
  for (uint32_t cp = 0; cp <= 0x323AF; ++cp) add(cp);
  for (uint32_t cp = 0xE0000; cp <= 0xE01EF; ++cp) add(cp);
  if (!s.empty()) corpus->push_back({"code points", s});
}

void AddRandom(std::vector<Record>* corpus) {
  std::mt19937 rng(20261126);
  const std::vector<std::string> pool = {
      "a", "e", "t", "s", "Z", "Q", "the", " the", "ing", "The", "HTTP", "x", "q", "ll", "re", "ve",
      "0", "1", "7", "42", "999", "2026",
      " ", " ", " ", "  ", "\t", "\n", "\n\n", "\r\n", "\r", "\v", "\f", "\u00A0", "\u3000", "\u2028", "\uFEFF",
      "\u0085", "\u180E", "\u2009",
      ".", ",", "!", "?", ";", ":", "-", "_", "(", ")", "[", "]", "{", "}", "<", ">", "/", "\\", "\"", "'", "`",
      "@", "#", "$", "%", "^", "&", "*", "+", "=", "|", "~",
      "'s", "'S", "'t", "'T", "'re", "'RE", "'Re", "'rE", "'ve", "'VE", "'m", "'M", "'ll", "'LL", "'lL", "'d", "'D",
      "é", "ß", "Ω", "ω", "Ж", "ж", "ע", "ب", "क", "ि", "ก", "中", "文", "あ", "ア", "한", "ǅ", "ǈ", "ʰ", "ー", "々",
      "\u0301", "\u0308", "\u0327", "\u093F", "\u064E", "\u20DD", "\uFE0F", "\u200D", "\u200B", "\u00AD",
      "\U0001E4D0", "\U00031350", "\U0002B739", "\U00011F00", "\U0001E030", "\U0001CCF0",  // Unicode 15-17 letters/marks/digits
      "٣", "५", "Ⅻ", "½", "²", "𝟘", "𝐀", "𝒶",
      "😀", "👍", "🏽", "👨‍👩‍👧", "🇫🇷", "❤️", "✨", "🫠", "€", "™", "©", "→", "∑", "≤", "“", "”", "…", "—", "·",
      "\U000F0000", "\uE000", "\U000E0041",
      "\x80", "\xFF", "\xC3", "\xE2\x82", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xC0\xAF", "\xF0\x9F\x98",
      "<|endoftext|>", "<|fim_prefix|>", "<|endofprompt|>", "<|", "|>",
  };
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  std::uniform_int_distribution<int> len(0, 48);
  std::uniform_int_distribution<int> percent(0, 99);
  std::uniform_int_distribution<uint32_t> any_cp(0, 0x10FFFF);
  std::uniform_int_distribution<int> any_byte(0, 255);
  for (int i = 0; i < 10000; ++i) {
    std::string s;
    const int n = len(rng);
    for (int k = 0; k < n; ++k) {
      const int p = percent(rng);
      if (p < 80) {
        s += pool[pick(rng)];
      } else if (p < 85) {
        const uint32_t cp = any_cp(rng);
        if (cp < 0xD800 || cp > 0xDFFF) AppendUtf8(cp, &s);
      } else if (p < 92) {
        s.push_back(static_cast<char>(any_byte(rng)));
      } else if (p < 95) {
        s += std::string(1 + len(rng) * (percent(rng) < 10 ? 5 : 1), " \n\t=-.0a"[percent(rng) % 8]);
      } else {
        std::string word;
        for (int w = 0, wl = 1 + len(rng) / 4; w < wl; ++w) word.push_back(static_cast<char>('a' + percent(rng) % 26));
        if (percent(rng) < 30) word[0] = static_cast<char>(word[0] - 32);
        s += (percent(rng) < 60 ? " " : "") + word;
      }
    }
    corpus->push_back({"random " + std::to_string(i), s, percent(rng) < 10});
  }
}

std::string Hex(const std::string& s, size_t max = 80) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return s.size() > max ? out + "..." : out;
}

std::string IdList(const std::vector<uint32_t>& ids, size_t max = 24) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < max; ++i) {
    if (i > 0) out += ',';
    out.append(std::to_string(ids[i]));
  }
  if (ids.size() > max) out.append(",...");
  return out;
}

TEST(BpeConformanceTest, IdenticalToJsTiktoken) {
  if (!testing::OnPath("node")) FAIL() << "node is not installed; it runs js-tiktoken as the reference: " << testing::kInstallTestPeers;
  TempDir tmp;
  std::vector<Record> corpus;
  AddManuals(tmp, &corpus);
  if (::testing::Test::HasFatalFailure()) return;
  AddMultilingual(&corpus);
  AddEdgeCases(&corpus);
  AddAllCodePoints(&corpus);
  AddRandom(&corpus);

  std::string file;
  size_t bytes = 0;
  for (const auto& r : corpus) {
    file.push_back(r.allow_all_special ? 1 : 0);
    const auto n = static_cast<uint32_t>(r.bytes.size());
    for (int k = 0; k < 4; ++k) file.push_back(static_cast<char>((n >> (8 * k)) & 0xFF));
    file += r.bytes;
    bytes += r.bytes.size();
  }
  testing::WriteFile(tmp.Join("corpus.bin"), file);
  // One node process per encoding, in parallel.
  const std::vector<std::string> encodings = {"cl100k_base", "o200k_base"};
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<testing::ChildProcess>> nodes;
  for (const auto& enc : encodings) {
    nodes.push_back(std::make_unique<testing::ChildProcess>(std::vector<std::string>{
        "node", std::string(DOCPIPE_SOURCE_DIR) + "/tests/tokenize/js_tiktoken_ids.mjs", tmp.Join("corpus.bin"),
        tmp.Join(enc + ".ids"), enc}));
  }
  std::string ids;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto run = nodes[i]->Wait(900);
    if (!run.err.empty()) std::printf("%s", run.err.c_str());
    ASSERT_EQ(run.exit_code, 0) << "node js_tiktoken_ids.mjs failed (is node_modules installed? the build runs npm ci): "
                                << run.err;
    ids += ReadFile(tmp.Join(encodings[i] + ".ids"));
  }
  std::printf("[ conformance ] js-tiktoken took %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());

  size_t off = 0;
  auto u32 = [&]() {
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) v |= static_cast<uint32_t>(static_cast<unsigned char>(ids.at(off + k))) << (8 * k);
    off += 4;
    return v;
  };
  for (const auto& enc : encodings) {
    auto tok = OpenBpeTokenizer(enc);
    ASSERT_TRUE(tok.ok()) << tok.status().ToString();
    size_t tokens = 0, mismatches = 0;
    for (const auto& r : corpus) {
      std::vector<uint32_t> want(u32());
      for (auto& id : want) id = u32();
      EncodeOptions opt;
      opt.allow_all_special = r.allow_all_special;
      const std::vector<uint32_t> got = (*tok)->Encode(r.bytes, opt);
      tokens += want.size();
      if (got != want && ++mismatches <= 10) {
        size_t at = 0;
        while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
        ADD_FAILURE() << enc << " differs on " << r.label << " (" << r.bytes.size() << " bytes, hex " << Hex(r.bytes)
                      << ") at token " << at << "\n  docpipe:     " << IdList({got.begin() + at, got.end()})
                      << "\n  js-tiktoken: " << IdList({want.begin() + at, want.end()});
      }
    }
    std::printf("[ conformance ] %s: %zu strings, %zu bytes, %zu tokens compared, %zu differ\n", enc.c_str(),
                corpus.size(), bytes, tokens, mismatches);
    EXPECT_EQ(mismatches, 0u) << enc;
  }
  EXPECT_EQ(off, ids.size());
}

}  // namespace
}  // namespace docpipe
