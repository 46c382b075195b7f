#pragma once

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "ocr/ocr_engine.h"

namespace docpipe {

// The Tesseract adapter of the OcrEngine port. Only the composition (app/),
// the tests and the benchmarks create it.
struct OcrOptions {
  std::string languages = "eng";  // Tesseract language codes joined by '+'
  std::string tessdata_dir;       // "" = the system's (/usr/share/tesseract-ocr/5/tessdata)
  bool detect_orientation = true; // turn pages by orientation/script detection (needs "osd")
  // Add the language pack of a detected script the configured languages do
  // not cover (Arabic page, "eng" configured: "eng+ara") when it is installed.
  bool add_detected_script = true;
};

// Tesseract (libtesseract 5). InvalidInput for a language list that is not
// Tesseract codes joined by '+'. A language whose data file is missing does
// not stop the engine from being made (commands that read no images work on
// a machine without the packages); Recognize then fails with Unavailable,
// naming the file and the apt-get command that installs it.
//
// Tesseract and Leptonica (with the image, archive and HTTP libraries they
// link, some 50 in all) live in a module of their own,
// docpipe-ocr-tesseract.so, loaded by the first Recognize that reads an
// image: linked into docpipe, every command would load them at start-up
// (docs/architecture.md, "Start-up"). Recognize fails with Unavailable,
// naming the places looked at, when the module cannot be loaded.
Result<OcrEnginePtr> NewTesseractOcrEngine(const OcrOptions& options);

// The Debian package holding Tesseract language `lang` ("ara" ->
// "tesseract-ocr-ara", "chi_sim" -> "tesseract-ocr-chi-sim").
inline std::string TesseractLanguagePackage(const std::string& lang) {
  std::string pkg = "tesseract-ocr-" + lang;
  std::replace(pkg.begin(), pkg.end(), '_', '-');
  return pkg;
}

// The language codes of a '+'-joined list ("eng+ara" -> {"eng", "ara"}).
inline std::vector<std::string> SplitTesseractLanguages(const std::string& langs) {
  std::vector<std::string> out;
  std::stringstream in(langs);
  std::string lang;
  while (std::getline(in, lang, '+'))
    if (!lang.empty()) out.push_back(lang);
  return out;
}

// What the module exports under kTesseractModuleSymbol (C linkage, so the
// loader finds it by name): makes the engine for `options` with the language
// data of `tessdata`, once NewTesseractOcrEngine has checked both.
// decode_webp is DecodeWebpToGrey's implementation (ocr/webp_image.h):
// Leptonica, which reads WebP, is in the module.
struct TesseractModule {
  OcrEnginePtr (*make)(const OcrOptions& options, const std::string& tessdata);
  Result<OcrImage> (*decode_webp)(const uint8_t* data, size_t size, int64_t max_pixels, int default_dpi);
};
inline constexpr const char* kTesseractModuleSymbol = "docpipe_tesseract_module";
inline constexpr const char* kTesseractModuleFile = "docpipe-ocr-tesseract.so";

}  // namespace docpipe
