#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

// Optical character recognition: the port through which extractors read text
// from page images (scanned PDF pages, image files, pictures in office
// documents). Adapters beside it: tesseract_ocr_engine.cpp.
namespace docpipe {

// A page image: 8-bit grey (1 channel) or RGB (3 channels), rows top-down.
struct OcrImage {
  int width = 0, height = 0;
  int channels = 1;
  int dpi = 300;  // resolution the page was rendered or scanned at
  std::vector<uint8_t> pixels;  // height rows of width * channels bytes
};

// Recognised text with its geometry, in pixels of the image as given (after
// any rotation the engine applied, see OcrPage::rotation), y downwards.
struct OcrWord {
  std::string text;  // UTF-8
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  float confidence = 0;  // 0-100
  bool bold = false;
  bool mono = false;
};

struct OcrLine {
  std::vector<OcrWord> words;  // in reading order
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  float size = 0;  // font size estimate in pixels (ascender to descender)
};

struct OcrBlock {
  std::vector<OcrLine> lines;  // a paragraph, column block or caption
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

struct OcrPage {
  int width = 0, height = 0;  // of the recognised (possibly rotated) image
  int dpi = 300;
  std::vector<OcrBlock> blocks;  // in reading order
  float mean_confidence = 0;     // 0-100, over all words; 0 when none
  int rotation = 0;              // degrees the image was turned clockwise before reading
  std::string script;            // detected script ("Latin", "Arabic"); "" when undetected
  std::string languages;         // the language models used ("eng+ara")
};

// Reads the text of page images. Implementations are thread-safe: callers
// may recognise several images at once (the Tesseract adapter keeps one
// recogniser per concurrent call).
class OcrEngine {
 public:
  virtual ~OcrEngine() = default;
  //! Recognises `image`. An image without text gives an OcrPage without
  //! blocks (OK). InvalidInput for an empty or malformed image; Unavailable
  //! when the engine cannot start (language data missing: the message names
  //! the package to install). Takes the image: its pixels are freed as soon
  //! as the engine holds its own copy (a 300-dpi page is 8 MB).
  virtual Result<OcrPage> Recognize(OcrImage image) = 0;
  //! The configured languages ("eng", "eng+ara").
  virtual std::string Languages() const = 0;
};

using OcrEnginePtr = std::unique_ptr<OcrEngine>;

}  // namespace docpipe
