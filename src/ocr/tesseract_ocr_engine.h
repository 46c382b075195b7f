#pragma once

#include <string>

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
Result<OcrEnginePtr> NewTesseractOcrEngine(const OcrOptions& options);

// The Debian package holding Tesseract language `lang` ("ara" ->
// "tesseract-ocr-ara", "chi_sim" -> "tesseract-ocr-chi-sim").
std::string TesseractLanguagePackage(const std::string& lang);

}  // namespace docpipe
