#include <leptonica/allheaders.h>
#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>
#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "ocr/tesseract_ocr_engine.h"

namespace docpipe {
namespace {

constexpr const char* kDefaultTessdata = "/usr/share/tesseract-ocr/5/tessdata";
// Orientation below this OSD confidence is not trusted (Tesseract's own tools
// warn below 2 on small samples; a full page scores far higher).
constexpr float kMinOrientationConfidence = 1.5f;
constexpr float kMinScriptConfidence = 1.0f;
// Recognisers kept idle per language set beyond those in use.
constexpr size_t kMaxIdle = 8;

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> SplitLanguages(const std::string& langs) {
  std::vector<std::string> out;
  std::stringstream in(langs);
  std::string lang;
  while (std::getline(in, lang, '+'))
    if (!lang.empty()) out.push_back(lang);
  return out;
}

// The script a Tesseract language is written in, as OSD names scripts.
std::string ScriptOfLanguage(const std::string& lang) {
  static const std::map<std::string, std::string> kScripts = {
      {"ara", "Arabic"},     {"fas", "Arabic"},     {"urd", "Arabic"},   {"pus", "Arabic"},
      {"heb", "Hebrew"},     {"yid", "Hebrew"},     {"rus", "Cyrillic"}, {"ukr", "Cyrillic"},
      {"bul", "Cyrillic"},   {"srp", "Cyrillic"},   {"bel", "Cyrillic"}, {"mkd", "Cyrillic"},
      {"ell", "Greek"},      {"chi_sim", "Han"},    {"chi_tra", "Han"},  {"jpn", "Japanese"},
      {"kor", "Hangul"},     {"hin", "Devanagari"}, {"mar", "Devanagari"}, {"nep", "Devanagari"},
      {"tha", "Thai"},       {"hye", "Armenian"},   {"kat", "Georgian"}, {"ben", "Bengali"},
      {"tam", "Tamil"},
  };
  auto it = kScripts.find(lang);
  return it == kScripts.end() ? "Latin" : it->second;
}

// The language pack read for a detected script nobody configured.
std::string LanguageOfScript(const std::string& script) {
  static const std::map<std::string, std::string> kLanguages = {
      {"Arabic", "ara"}, {"Hebrew", "heb"}, {"Cyrillic", "rus"}, {"Greek", "ell"},   {"Han", "chi_sim"},
      {"Japanese", "jpn"}, {"Hangul", "kor"}, {"Devanagari", "hin"}, {"Thai", "tha"}, {"Armenian", "hye"},
      {"Georgian", "kat"}, {"Bengali", "ben"}, {"Tamil", "tam"},
  };
  auto it = kLanguages.find(script);
  return it == kLanguages.end() ? "" : it->second;
}

// Debian's Tesseract spreads one page over 4 OpenMP threads; docpipe reads
// pages in parallel instead (OcrPool), and both at once oversubscribe the
// cores (measured here: 2.3 x the CPU time per page, half of it spinning).
// max-active-levels = 0 makes the calling thread's parallel regions
// single-threaded: what Tesseract's docs advise with OMP_THREAD_LIMIT=1, which
// libgomp reads only at start-up. It is a per-thread setting in libgomp 12,
// hence called by each recognising thread. Looked up rather than linked:
// libgomp comes with libtesseract.
void SingleThreadedOpenMp() {
  using SetMaxActiveLevels = void (*)(int);
  static const auto set = reinterpret_cast<SetMaxActiveLevels>(dlsym(RTLD_DEFAULT, "omp_set_max_active_levels"));
  if (set) set(0);
}

struct PixDeleter {
  void operator()(Pix* p) const { pixDestroy(&p); }
};
using PixPtr = std::unique_ptr<Pix, PixDeleter>;

// Leptonica image of `image` (8-bit grey or 32-bit RGB).
PixPtr ToPix(const OcrImage& image) {
  const int depth = image.channels == 1 ? 8 : 32;
  PixPtr pix(pixCreate(image.width, image.height, depth));
  if (!pix) return nullptr;
  l_uint32* data = pixGetData(pix.get());
  const int wpl = pixGetWpl(pix.get());
  const size_t stride = static_cast<size_t>(image.width) * static_cast<size_t>(image.channels);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* row = image.pixels.data() + static_cast<size_t>(y) * stride;
    l_uint32* line = data + static_cast<ptrdiff_t>(y) * wpl;
    for (int x = 0; x < image.width; ++x) {
      if (depth == 8) {
        SET_DATA_BYTE(line, x, row[x]);
      } else {
        const uint8_t* p = row + static_cast<size_t>(x) * 3;
        composeRGBPixel(p[0], p[1], p[2], line + x);
      }
    }
  }
  pixSetResolution(pix.get(), image.dpi, image.dpi);
  return pix;
}

class TesseractOcrEngine final : public OcrEngine {
 public:
  TesseractOcrEngine(OcrOptions options, std::string tessdata, std::string missing)
      : options_(std::move(options)), tessdata_(std::move(tessdata)), missing_(std::move(missing)) {
    for (const std::string& lang : SplitLanguages(options_.languages)) scripts_.insert(ScriptOfLanguage(lang));
  }

  ~TesseractOcrEngine() override {
    for (auto& [langs, api] : idle_) api->End();
  }

  std::string Languages() const override { return options_.languages; }

  Result<OcrPage> Recognize(OcrImage image) override;

 private:
  using ApiPtr = std::unique_ptr<tesseract::TessBaseAPI>;

  // An initialised recogniser for `langs` (from the idle set or new).
  Result<ApiPtr> Acquire(const std::string& langs, tesseract::OcrEngineMode mode);
  void Release(const std::string& langs, ApiPtr api);
  // Orientation (degrees to turn clockwise) and script of `pix`.
  void DetectOrientation(Pix* pix, int* rotate, std::string* script, float* script_conf);
  // The languages for a page of `script`: the configured ones, plus the
  // installed pack of a script they do not cover.
  std::string LanguagesFor(const std::string& script, float script_conf) const;

  const OcrOptions options_;
  const std::string tessdata_;
  const std::string missing_;  // why the language data cannot load; "" = all there
  std::set<std::string> scripts_;  // scripts the configured languages cover
  std::mutex mu_;
  std::multimap<std::string, ApiPtr> idle_;
  std::mutex osd_mu_;  // held while detecting orientation
};

Result<TesseractOcrEngine::ApiPtr> TesseractOcrEngine::Acquire(const std::string& langs,
                                                                tesseract::OcrEngineMode mode) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.find(langs);
    if (it != idle_.end()) {
      ApiPtr api = std::move(it->second);
      idle_.erase(it);
      return api;
    }
  }
  auto api = std::make_unique<tesseract::TessBaseAPI>();
  if (api->Init(tessdata_.c_str(), langs.c_str(), mode) != 0) {
    std::string packages;
    for (const std::string& lang : SplitLanguages(langs)) {
      packages += ' ';
      packages += TesseractLanguagePackage(lang);
    }
    return Status::Unavailable(
        fmt::format("OCR: Tesseract cannot load language data '{}' from {} (apt-get install{})", langs, tessdata_,
                    packages));
  }
  // Tesseract logs "Detected N diacritics" and the like on stderr; docpipe
  // logs JSON lines only.
  api->SetVariable("debug_file", "/dev/null");
  return api;
}

void TesseractOcrEngine::Release(const std::string& langs, ApiPtr api) {
  api->Clear();
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.emplace(langs, std::move(api));
}

void TesseractOcrEngine::DetectOrientation(Pix* pix, int* rotate, std::string* script, float* script_conf) {
  *rotate = 0;
  script->clear();
  *script_conf = 0;
  if (!options_.detect_orientation) return;
  // One detector for all threads: detection takes a fraction of the time of
  // recognition, and each detector holds tens of megabytes.
  std::lock_guard<std::mutex> one_at_a_time(osd_mu_);
  Result<ApiPtr> osd = Acquire("osd", tesseract::OEM_TESSERACT_ONLY);
  if (!osd.ok()) return;  // no OSD data: read as is
  (*osd)->SetPageSegMode(tesseract::PSM_OSD_ONLY);
  (*osd)->SetImage(pix);
  int orient_deg = 0;
  float orient_conf = 0;
  const char* script_name = nullptr;
  if ((*osd)->DetectOrientationScript(&orient_deg, &orient_conf, &script_name, script_conf)) {
    // orient_deg is how far the page was turned clockwise; turning it a
    // further 360 - orient_deg degrees clockwise sets it upright.
    if (orient_conf >= kMinOrientationConfidence) *rotate = (360 - ((orient_deg % 360) + 360) % 360) % 360;
    if (script_name) *script = script_name;
  }
  Release("osd", std::move(*osd));
}

std::string TesseractOcrEngine::LanguagesFor(const std::string& script, float script_conf) const {
  if (!options_.add_detected_script || script.empty() || script_conf < kMinScriptConfidence ||
      scripts_.count(script) > 0)
    return options_.languages;
  const std::string extra = LanguageOfScript(script);
  if (extra.empty() || !FileExists(tessdata_ + "/" + extra + ".traineddata")) return options_.languages;
  return options_.languages + "+" + extra;
}

Result<OcrPage> TesseractOcrEngine::Recognize(OcrImage image) {
  if (image.width <= 0 || image.height <= 0 || (image.channels != 1 && image.channels != 3) ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels)
    return Status::InvalidInput("OCR: malformed image (" + std::to_string(image.width) + "x" +
                                std::to_string(image.height) + "x" + std::to_string(image.channels) + ")");
  if (!missing_.empty()) return Status::Unavailable(missing_);
  SingleThreadedOpenMp();
  PixPtr pix = ToPix(image);
  std::vector<uint8_t>().swap(image.pixels);  // the Pix is the copy from here on
  if (!pix) return Status::Internal("OCR: cannot allocate the page image");

  OcrPage page;
  page.dpi = image.dpi;
  float script_conf = 0;
  DetectOrientation(pix.get(), &page.rotation, &page.script, &script_conf);
  if (page.rotation != 0) {
    PixPtr turned(pixRotateOrth(pix.get(), page.rotation / 90));
    if (turned) pix = std::move(turned);
  }
  page.width = static_cast<int>(pixGetWidth(pix.get()));
  page.height = static_cast<int>(pixGetHeight(pix.get()));
  page.languages = LanguagesFor(page.script, script_conf);

  Result<ApiPtr> api = Acquire(page.languages, tesseract::OEM_LSTM_ONLY);
  if (!api.ok()) return api.status();
  tesseract::TessBaseAPI& t = **api;
  t.SetPageSegMode(tesseract::PSM_AUTO);
  t.SetImage(pix.get());
  pix.reset();  // SetImage made Tesseract's own copy
  t.SetSourceResolution(image.dpi);
  if (t.Recognize(nullptr) != 0) {
    Release(page.languages, std::move(*api));
    return Status::Internal("OCR: Tesseract failed to recognise the page");
  }
  std::unique_ptr<tesseract::ResultIterator> it(t.GetIterator());
  double confidence_sum = 0;
  int words = 0;
  if (it) {
    using tesseract::RIL_BLOCK;
    using tesseract::RIL_TEXTLINE;
    using tesseract::RIL_WORD;
    do {
      std::unique_ptr<char[]> text(it->GetUTF8Text(RIL_WORD));
      if (!text || text[0] == '\0') continue;
      if (page.blocks.empty() || it->IsAtBeginningOf(RIL_BLOCK)) {
        OcrBlock block;
        int l, tp, r, b;
        if (it->BoundingBox(RIL_BLOCK, &l, &tp, &r, &b)) block = {{}, float(l), float(tp), float(r), float(b)};
        page.blocks.push_back(std::move(block));
      }
      OcrBlock& block = page.blocks.back();
      if (block.lines.empty() || it->IsAtBeginningOf(RIL_TEXTLINE)) {
        OcrLine line;
        int l, tp, r, b;
        if (it->BoundingBox(RIL_TEXTLINE, &l, &tp, &r, &b)) {
          line.x0 = float(l), line.y0 = float(tp), line.x1 = float(r), line.y1 = float(b);
        }
        // The row's point size, which Tesseract derives from the row's
        // x-height and the resolution, is steadier than the line's box
        // (which grows with ascenders and descenders); rounded to whole
        // points, body lines agree and headings stand out.
        bool fb = false, fi = false, fu = false, fm = false, fs = false, fsc = false;
        int pointsize = 0, font_id = 0;
        it->WordFontAttributes(&fb, &fi, &fu, &fm, &fs, &fsc, &pointsize, &font_id);
        if (pointsize > 0) {
          line.size = static_cast<float>(pointsize) * static_cast<float>(image.dpi) / 72.0f;
        } else {
          float row_height = 0, descenders = 0, ascenders = 0;
          it->RowAttributes(&row_height, &descenders, &ascenders);
          line.size = row_height - descenders > 0 ? row_height - descenders : line.y1 - line.y0;
        }
        block.lines.push_back(std::move(line));
      }
      OcrWord word;
      word.text = text.get();
      int l, tp, r, b;
      if (it->BoundingBox(RIL_WORD, &l, &tp, &r, &b)) {
        word.x0 = float(l), word.y0 = float(tp), word.x1 = float(r), word.y1 = float(b);
      }
      word.confidence = it->Confidence(RIL_WORD);
      bool bold = false, italic = false, underlined = false, mono = false, serif = false, smallcaps = false;
      int pointsize = 0, font_id = 0;
      if (it->WordFontAttributes(&bold, &italic, &underlined, &mono, &serif, &smallcaps, &pointsize, &font_id)) {
        word.bold = bold;
        word.mono = mono;
      }
      confidence_sum += word.confidence;
      ++words;
      block.lines.back().words.push_back(std::move(word));
    } while (it->Next(tesseract::RIL_WORD));
  }
  it.reset();
  page.mean_confidence = words > 0 ? static_cast<float>(confidence_sum / words) : 0;
  Release(page.languages, std::move(*api));
  return page;
}

}  // namespace

std::string TesseractLanguagePackage(const std::string& lang) {
  std::string pkg = "tesseract-ocr-";
  pkg += lang;
  std::replace(pkg.begin(), pkg.end(), '_', '-');
  return pkg;
}

Result<OcrEnginePtr> NewTesseractOcrEngine(const OcrOptions& options) {
  const std::string tessdata = options.tessdata_dir.empty() ? kDefaultTessdata : options.tessdata_dir;
  const std::string& l = options.languages;
  if (l.empty() || l.front() == '+' || l.back() == '+' || l.find("++") != std::string::npos)
    return Status::InvalidInput("OCR languages '" + l + "': expected codes joined by '+' (\"eng\", \"eng+ara\")");
  std::vector<std::string> langs = SplitLanguages(options.languages);
  std::string missing;
  for (const std::string& lang : langs) {
    if (lang.empty() || lang.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
                            std::string::npos)
      return Status::InvalidInput("OCR language '" + lang + "': not a Tesseract language code");
    if (missing.empty() && !FileExists(tessdata + "/" + lang + ".traineddata"))
      missing = "OCR language '" + lang + "': no " + tessdata + "/" + lang + ".traineddata (apt-get install " +
                TesseractLanguagePackage(lang) + ")";
  }
  return OcrEnginePtr(std::make_unique<TesseractOcrEngine>(options, tessdata, std::move(missing)));
}

}  // namespace docpipe
