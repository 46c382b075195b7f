// NewTesseractOcrEngine: checks the options and the language data here, and
// loads the engine's module (docpipe-ocr-tesseract.so, with Tesseract and
// Leptonica) only when the first image is read; DecodeWebpToGrey through the
// same module.
#include <sys/stat.h>

#include <mutex>

#include "common/module_loader.h"
#include "ocr/tesseract_ocr_engine.h"
#include "ocr/webp_image.h"

namespace docpipe {
namespace {

constexpr const char* kDefaultTessdata = "/usr/share/tesseract-ocr/5/tessdata";

// The module's entry table (dlopen counts references: loading again is cheap).
Result<const TesseractModule*> LoadTesseractModule() {
  Result<void*> entry = LoadModuleSymbol(kTesseractModuleFile, kTesseractModuleSymbol);
  if (!entry.ok()) return Status::Unavailable("OCR: " + entry.status().message());
  using Entry = const TesseractModule* (*)();
  return reinterpret_cast<Entry>(*entry)();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Stands for the module's engine until an image is read.
class LazyTesseractOcrEngine final : public OcrEngine {
 public:
  LazyTesseractOcrEngine(OcrOptions options, std::string tessdata, std::string missing)
      : options_(std::move(options)), tessdata_(std::move(tessdata)), missing_(std::move(missing)) {}

  std::string Languages() const override { return options_.languages; }

  Result<OcrPage> Recognize(OcrImage image) override {
    if (image.width <= 0 || image.height <= 0 || (image.channels != 1 && image.channels != 3) ||
        image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels)
      return Status::InvalidInput("OCR: malformed image (" + std::to_string(image.width) + "x" +
                                  std::to_string(image.height) + "x" + std::to_string(image.channels) + ")");
    if (!missing_.empty()) return Status::Unavailable(missing_);
    std::call_once(loaded_, [this] {
      Result<const TesseractModule*> module = LoadTesseractModule();
      if (module.ok()) engine_ = (*module)->make(options_, tessdata_);
      else load_error_ = module.status();
    });
    if (!engine_) return load_error_;
    return engine_->Recognize(std::move(image));
  }

 private:
  const OcrOptions options_;
  const std::string tessdata_;
  const std::string missing_;  // why the language data cannot load; "" = all there
  std::once_flag loaded_;
  OcrEnginePtr engine_;   // set once by the first Recognize that loads the module
  Status load_error_;     // why it could not, otherwise
};

}  // namespace

Result<OcrEnginePtr> NewTesseractOcrEngine(const OcrOptions& options) {
  const std::string tessdata = options.tessdata_dir.empty() ? kDefaultTessdata : options.tessdata_dir;
  const std::string& l = options.languages;
  if (l.empty() || l.front() == '+' || l.back() == '+' || l.find("++") != std::string::npos)
    return Status::InvalidInput("OCR languages '" + l + "': expected codes joined by '+' (\"eng\", \"eng+ara\")");
  std::string missing;
  for (const std::string& lang : SplitTesseractLanguages(options.languages)) {
    if (lang.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
        std::string::npos)
      return Status::InvalidInput("OCR language '" + lang + "': not a Tesseract language code");
    if (missing.empty() && !FileExists(tessdata + "/" + lang + ".traineddata"))
      missing = "OCR language '" + lang + "': no " + tessdata + "/" + lang + ".traineddata (apt-get install " +
                TesseractLanguagePackage(lang) + ")";
  }
  return OcrEnginePtr(std::make_unique<LazyTesseractOcrEngine>(options, tessdata, std::move(missing)));
}

Result<OcrImage> DecodeWebpToGrey(const uint8_t* data, size_t size, int64_t max_pixels, int default_dpi) {
  Result<const TesseractModule*> module = LoadTesseractModule();
  if (!module.ok()) return module.status();
  return (*module)->decode_webp(data, size, max_pixels, default_dpi);
}

}  // namespace docpipe
