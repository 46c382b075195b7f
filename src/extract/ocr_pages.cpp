#include "extract/ocr_pages.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "extract/text_normalizer.h"

namespace docpipe {
namespace {

// A page whose text is more than this share garbage is read by OCR instead.
constexpr double kMaxGarbageShare = 0.3;
constexpr int kMinGarbageChars = 10;

int CodePoints(const std::string& s) {
  int n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Private-use and control characters: what broken font encodings produce.
int GarbageChars(const std::string& s) {
  int n = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    char32_t cp = c;
    int len = 1;
    if (c >= 0xF0) cp = c & 0x07, len = 4;
    else if (c >= 0xE0) cp = c & 0x0F, len = 3;
    else if (c >= 0xC0) cp = c & 0x1F, len = 2;
    for (int k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
    i += len;
    if ((cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000 || (cp < 0x20 && cp != '\t') || (cp >= 0x7F && cp < 0xA0))
      ++n;
  }
  return n;
}

int LayoutChars(const PageLayout& layout) {
  int n = 0;
  for (const TextBlock& b : layout.blocks)
    for (const TextLine& l : b.lines)
      for (const TextSpan& s : l.spans) n += s.chars;
  return n;
}

}  // namespace

PageLayout LayoutFromOcr(const OcrPage& page) {
  const float scale = 72.0f / static_cast<float>(page.dpi > 0 ? page.dpi : 300);
  PageLayout layout;
  layout.width = static_cast<float>(page.width) * scale;
  layout.height = static_cast<float>(page.height) * scale;
  for (const OcrBlock& ob : page.blocks) {
    TextBlock block;
    block.x0 = ob.x0 * scale, block.y0 = ob.y0 * scale, block.x1 = ob.x1 * scale, block.y1 = ob.y1 * scale;
    for (const OcrLine& ol : ob.lines) {
      if (ol.words.empty()) continue;
      TextLine line{{}, ol.x0 * scale, ol.y0 * scale, ol.x1 * scale, ol.y1 * scale};
      // Sizes to the half point, as native text reports them.
      const float size = std::max(1.0f, std::round(ol.size * scale * 2) / 2);
      float last_x1 = 0, last_x0 = 0;
      for (const OcrWord& w : ol.words) {
        if (w.text.empty()) continue;
        const float x0 = w.x0 * scale, x1 = w.x1 * scale;
        // Words come in reading order; right-to-left lines run leftwards.
        const float gap_width = line.spans.empty() ? 0 : (x0 >= last_x0 ? x0 - last_x1 : last_x0 - x1);
        const bool gap = !line.spans.empty() && gap_width > kCellGapEm * size;
        TextSpan* span = line.spans.empty() ? nullptr : &line.spans.back();
        if (!span || gap || span->bold != w.bold || span->mono != w.mono) {
          if (span && !gap) span->text += ' ';
          line.spans.push_back(TextSpan{{}, x0, x1, size, w.bold, w.mono, 0, gap});
          span = &line.spans.back();
        } else {
          span->text += ' ';
        }
        span->text += w.text;
        span->x0 = std::min(span->x0, x0);
        span->x1 = std::max(span->x1, x1);
        last_x0 = x0;
        last_x1 = x1;
      }
      for (TextSpan& s : line.spans) s.chars = CodePoints(s.text);
      if (!line.spans.empty()) block.lines.push_back(std::move(line));
    }
    if (!block.lines.empty()) layout.blocks.push_back(std::move(block));
  }
  NormalizeLayoutText(layout);
  return layout;
}

bool TextIsUnusable(const PageLayout& layout, int unmapped_chars) {
  int total = unmapped_chars, garbage = unmapped_chars;
  for (const TextBlock& b : layout.blocks)
    for (const TextLine& l : b.lines)
      for (const TextSpan& s : l.spans) {
        total += s.chars;
        garbage += GarbageChars(s.text);
      }
  return garbage >= kMinGarbageChars && garbage > kMaxGarbageShare * total;
}

OrderedPages::OrderedPages(OcrPool* pool, const ExtractOptions& options, const std::string& name, Finish finish)
    : pool_(pool),
      options_(options),
      name_(name),
      finish_(std::move(finish)),
      abandon_(std::make_shared<std::atomic<bool>>(false)) {}

OrderedPages::~OrderedPages() { abandon_->store(true); }

Status OrderedPages::AddNative(ExtractedPage page, PageLayout layout) {
  if (pending_.empty()) return finish_(std::move(page), std::move(layout));
  pending_.push_back({std::move(page), std::move(layout), std::nullopt});
  return Status::Ok();
}

Status OrderedPages::AddOcr(ExtractedPage page, OcrImage image, PageLayout fallback) {
  if (!pool_) return AddNative(std::move(page), std::move(fallback));
  DOCPIPE_RETURN_IF_ERROR(MakeRoom());
  pending_.push_back({std::move(page), std::move(fallback), pool_->Submit(std::move(image), abandon_)});
  ++ocr_in_flight_;
  return Status::Ok();
}

Status OrderedPages::MakeRoom() {
  // Bound the images in flight (each 8 MB at 300 dpi, and Tesseract's
  // copies): one queued beyond those being read; hand on the oldest first.
  while (pool_ && ocr_in_flight_ >= pool_->Threads() + 1) DOCPIPE_RETURN_IF_ERROR(DeliverFront());
  return Status::Ok();
}

Status OrderedPages::Flush() {
  while (!pending_.empty()) DOCPIPE_RETURN_IF_ERROR(DeliverFront());
  return Status::Ok();
}

Status OrderedPages::Wait(std::future<Result<OcrPage>>& f, int page_number) {
  while (f.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    const std::string where = name_ + ": stopped while reading page " + std::to_string(page_number) + " by OCR";
    if (options_.cancel && options_.cancel->load()) return Status::Cancelled(where + " (cancelled)");
    if (options_.deadline_ms > 0 && ExtractNowMs(options_) >= options_.deadline_ms)
      return Status::Timeout(where + " (deadline passed)");
  }
  return Status::Ok();
}

Status OrderedPages::DeliverFront() {
  Pending p = std::move(pending_.front());
  pending_.pop_front();
  if (p.ocr) {
    --ocr_in_flight_;
    DOCPIPE_RETURN_IF_ERROR(Wait(*p.ocr, p.page.number));
    Result<OcrPage> result = p.ocr->get();
    const std::string where = "page " + std::to_string(p.page.number) + ": ";
    if (!result.ok()) {
      if (result.status().code() == Status::Code::kCancelled) return result.status().Annotate(name_);
      // An engine that cannot start fails every page the same way: the
      // document fails with its message (it names the package to install).
      if (result.status().code() == Status::Code::kUnavailable) return result.status().Annotate(name_);
      warnings_.push_back(where + "OCR failed: " + result.status().message());
    } else {
      PageLayout ocr_layout = LayoutFromOcr(*result);
      const int ocr_chars = LayoutChars(ocr_layout);
      if (ocr_chars > 0) {
        p.layout = std::move(ocr_layout);
        p.page.chars = ocr_chars;
        p.page.ocr = true;
        p.page.ocr_confidence = result->mean_confidence;
        p.page.ocr_script = result->script;
        p.page.ocr_rotation = result->rotation;
        p.page.unmapped_chars = 0;
      } else {
        if (!p.layout.blocks.empty()) warnings_.push_back(where + "OCR found no text; the text layer is kept");
      }
    }
  }
  return finish_(std::move(p.page), std::move(p.layout));
}

}  // namespace docpipe
