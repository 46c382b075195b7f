// The Tesseract adapter's engine, built as the module docpipe-ocr-tesseract.so
// (src/libraries.cmake): it alone links libtesseract and Leptonica, and
// tesseract_ocr_loader.cpp loads it on first use.
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

#include <fmt/format.h>

#include "ocr/tesseract_ocr_engine.h"

namespace docpipe {
namespace {

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
// libgomp comes with libtesseract, and this module is loaded RTLD_LOCAL, so
// its libraries' symbols are not in the global scope: asked of libgomp itself.
void SingleThreadedOpenMp() {
  using SetMaxActiveLevels = void (*)(int);
  static const auto set = [] {
    void* gomp = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD);
    return reinterpret_cast<SetMaxActiveLevels>(gomp != nullptr ? dlsym(gomp, "omp_set_max_active_levels")
                                                                : nullptr);
  }();
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
  TesseractOcrEngine(OcrOptions options, std::string tessdata)
      : options_(std::move(options)), tessdata_(std::move(tessdata)) {
    for (const std::string& lang : SplitTesseractLanguages(options_.languages)) scripts_.insert(ScriptOfLanguage(lang));
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
    for (const std::string& lang : SplitTesseractLanguages(langs)) {
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

// The loader's engine (tesseract_ocr_loader.cpp) has checked the image and
// the language data before calling this.
Result<OcrPage> TesseractOcrEngine::Recognize(OcrImage image) {
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

OcrEnginePtr MakeTesseractOcrEngine(const OcrOptions& options, const std::string& tessdata) {
  return std::make_unique<TesseractOcrEngine>(options, tessdata);
}

Result<OcrImage> DecodeWebp(const uint8_t* data, size_t size, int64_t max_pixels, int default_dpi) {
  l_int32 w = 0, h = 0, spp = 0;
  if (readHeaderMemWebP(data, size, &w, &h, &spp) != 0 || w <= 0 || h <= 0)
    return Status::InvalidInput("not a readable WebP image (bad header)");
  if (static_cast<int64_t>(w) * h > max_pixels)
    return Status::InvalidInput(fmt::format("image too large ({} x {} pixels; at most {} megapixels)", w, h,
                                            max_pixels / 1'000'000));
  PixPtr rgba(pixReadMemWebP(data, size));
  if (!rgba) return Status::InvalidInput("cannot decode the WebP image data");
  PixPtr flat(pixGetSpp(rgba.get()) == 4 ? pixAlphaBlendUniform(rgba.get(), 0xffffff00) : pixClone(rgba.get()));
  PixPtr grey(flat ? pixConvertTo8(flat.get(), 0) : nullptr);
  if (!grey) return Status::InvalidInput("cannot convert the WebP image to grey");
  OcrImage out;
  out.width = static_cast<int>(pixGetWidth(grey.get()));
  out.height = static_cast<int>(pixGetHeight(grey.get()));
  out.channels = 1;
  const l_int32 xres = pixGetXRes(grey.get());
  out.dpi = xres >= 70 && xres <= 2400 ? xres : default_dpi;
  out.pixels.resize(static_cast<size_t>(out.width) * out.height);
  const l_uint32* pixels = pixGetData(grey.get());
  const l_int32 wpl = pixGetWpl(grey.get());
  for (int y = 0; y < out.height; ++y) {
    const l_uint32* line = pixels + static_cast<size_t>(y) * wpl;
    uint8_t* row = out.pixels.data() + static_cast<size_t>(y) * out.width;
    for (int x = 0; x < out.width; ++x) row[x] = static_cast<uint8_t>(GET_DATA_BYTE(line, x));
  }
  return out;
}

}  // namespace
}  // namespace docpipe

// The module's entry point (src/ocr/tesseract_ocr_loader.cpp loads it).
extern "C" __attribute__((visibility("default"))) const docpipe::TesseractModule* docpipe_tesseract_module() {
  static const docpipe::TesseractModule module{&docpipe::MakeTesseractOcrEngine, &docpipe::DecodeWebp};
  return &module;
}
