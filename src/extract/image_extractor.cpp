#include <mupdf/fitz.h>
#include <strings.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/strings.h"
#include "extract/extractor.h"
#include "extract/extractor_registry.h"
#include "extract/ocr_pages.h"
#include "extract/page_image.h"
#include "extract/page_layout.h"
#include "extract/text_decode.h"
#include "ocr/webp_image.h"

// Image files (PNG, JPEG, TIFF, WebP) as documents: every image, or every
// page of a multi-page TIFF, is one page read by OCR. Decoding is MuPDF's,
// except WebP, which MuPDF 1.21 cannot read: Leptonica (in OCR's module, and
// built with libwebp in Debian) decodes it (ocr/webp_image.h).
namespace docpipe {
namespace {

constexpr size_t kImageStoreBytes = 64u << 20;
// Larger images are refused: decoding one costs 1 byte per pixel (grey) on
// top of the file's own colour pixels, and OCR gains nothing past 600 dpi.
constexpr int64_t kMaxPixels = 80'000'000;

enum class ImageKind { kNone, kPng, kJpeg, kTiff, kWebp };

ImageKind KindOfHead(std::string_view head) {
  if (head.size() >= 8 && head.compare(0, 8, "\x89PNG\r\n\x1a\n", 8) == 0) return ImageKind::kPng;
  if (head.size() >= 3 && head.compare(0, 3, "\xFF\xD8\xFF", 3) == 0) return ImageKind::kJpeg;
  if (head.size() >= 4 && (head.compare(0, 4, "II*\0", 4) == 0 || head.compare(0, 4, "MM\0*", 4) == 0))
    return ImageKind::kTiff;
  if (head.size() >= 12 && head.compare(0, 4, "RIFF") == 0 && head.compare(8, 4, "WEBP") == 0)
    return ImageKind::kWebp;
  return ImageKind::kNone;
}

const char* FormatName(ImageKind kind) {
  switch (kind) {
    case ImageKind::kPng: return "png";
    case ImageKind::kJpeg: return "jpeg";
    case ImageKind::kTiff: return "tiff";
    case ImageKind::kWebp: return "webp";
    case ImageKind::kNone: break;
  }
  return "image";
}

struct ImageContextDeleter {
  void operator()(fz_context* ctx) const { fz_drop_context(ctx); }
};
void Quiet(void*, const char*) {}

using ImageErrorText = char[256];

fz_buffer* ReadFile(fz_context* ctx, const char* path, ImageErrorText err) {
  fz_buffer* buf = nullptr;
  fz_var(buf);
  fz_try(ctx) buf = fz_read_file(ctx, path);
  fz_catch(ctx) {
    std::snprintf(err, sizeof(ImageErrorText), "%s", fz_caught_message(ctx));
    return nullptr;
  }
  return buf;
}

// Number of pages (TIFF directories; 1 for other images), or -1.
int CountImages(fz_context* ctx, fz_buffer* buf, ImageKind kind, ImageErrorText err) {
  if (kind != ImageKind::kTiff) return 1;
  int n = -1;
  fz_var(n);
  fz_try(ctx) n = fz_load_tiff_subimage_count(ctx, buf->data, buf->len);
  fz_catch(ctx) {
    std::snprintf(err, sizeof(ImageErrorText), "%s", fz_caught_message(ctx));
    return -1;
  }
  return n;
}

// A WebP file decoded into grey (ocr/webp_image.h). False with `err` set.
bool DecodeWebp(const fz_buffer* buf, OcrImage* out, ImageErrorText err) {
  Result<OcrImage> image = DecodeWebpToGrey(buf->data, buf->len, kMaxPixels, kOcrDpi);
  if (!image.ok()) {
    std::snprintf(err, sizeof(ImageErrorText), "%s", image.status().message().c_str());
    return false;
  }
  *out = std::move(*image);
  return true;
}

// Decoded pixels of image `index`, or nullptr with `err` set.
fz_pixmap* DecodeImage(fz_context* ctx, fz_buffer* buf, ImageKind kind, int index, ImageErrorText err) {
  fz_image* image = nullptr;
  fz_pixmap* pix = nullptr;
  fz_var(image);
  fz_var(pix);
  fz_try(ctx) {
    if (kind == ImageKind::kTiff) {
      pix = fz_load_tiff_subimage(ctx, buf->data, buf->len, index);
    } else {
      image = fz_new_image_from_buffer(ctx, buf);
      if (static_cast<int64_t>(image->w) * image->h > kMaxPixels)
        fz_throw(ctx, FZ_ERROR_GENERIC, "image too large (%d x %d pixels; at most 80 megapixels)", image->w, image->h);
      pix = fz_get_pixmap_from_image(ctx, image, nullptr, nullptr, nullptr, nullptr);
    }
  }
  fz_always(ctx) fz_drop_image(ctx, image);
  fz_catch(ctx) {
    std::snprintf(err, sizeof(ImageErrorText), "%s", fz_caught_message(ctx));
    return nullptr;
  }
  return pix;
}

class ImageExtractor final : public Extractor {
 public:
  explicit ImageExtractor(OcrPool* ocr) : ocr_(ocr) {}

  std::string Format() const override { return "image"; }

  bool CanHandle(const std::string& key, std::string_view head) const override {
    if (KindOfHead(head) != ImageKind::kNone) return true;
    for (const char* s : {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp"})
      if (HasSuffixIgnoringCase(key, s)) return true;
    return false;
  }

  Result<ExtractSummary> Extract(const std::string& path, const std::string& name, const ExtractOptions& options,
                                 const PageSink& sink) override;

 private:
  OcrPool* ocr_;  // null: OCR is off
};

Result<ExtractSummary> ImageExtractor::Extract(const std::string& path, const std::string& name,
                                               const ExtractOptions& options, const PageSink& sink) {
  DOCPIPE_RETURN_IF_ERROR(InputFileSize(path, name).status());
  if (!ocr_)
    return Status::InvalidInput(name + ": an image file is read by OCR, and OCR is off (ocr.enabled = false, "
                                       "DOCPIPE_OCR)");
  std::unique_ptr<fz_context, ImageContextDeleter> owner(fz_new_context(nullptr, nullptr, kImageStoreBytes));
  if (!owner) return Status::Internal(name + ": cannot create MuPDF context");
  fz_context* ctx = owner.get();
  fz_set_warning_callback(ctx, Quiet, nullptr);
  fz_set_error_callback(ctx, Quiet, nullptr);

  ImageErrorText err = "";
  fz_buffer* raw = ReadFile(ctx, path.c_str(), err);
  if (!raw) return Status::InvalidInput(name + ": cannot read file: " + err);
  auto drop_buffer = [ctx](fz_buffer* b) { fz_drop_buffer(ctx, b); };
  std::unique_ptr<fz_buffer, decltype(drop_buffer)> buf(raw, drop_buffer);
  const ImageKind kind =
      KindOfHead(std::string_view(reinterpret_cast<const char*>(buf->data), std::min<size_t>(buf->len, 16)));
  if (kind == ImageKind::kNone) return Status::InvalidInput(name + ": not a PNG, JPEG, TIFF or WebP image");
  const int count = CountImages(ctx, buf.get(), kind, err);
  if (count < 0) return Status::InvalidInput(name + ": cannot read " + FormatName(kind) + ": " + err);
  if (count == 0) return Status::InvalidInput(name + ": TIFF holds no image");

  ExtractSummary summary;
  summary.format = FormatName(kind);
  summary.page_count = count;
  FontSizeStats sizes;
  OrderedPages ordered(ocr_, options, name, [&](ExtractedPage&& page, PageLayout&& layout) -> Status {
    sizes.Add(layout);
    PageMarkdown md = RenderPageMarkdown(std::move(layout), sizes.BodySize(), page.number);
    page.markdown = std::move(md.markdown);
    for (HeadingEntry& h : md.headings) summary.outline.push_back(std::move(h));
    return sink(std::move(page));
  });
  int failed = 0;
  std::string first_failure;
  for (int i = 0; i < count; ++i) {
    if (options.cancel && options.cancel->load()) return Status::Cancelled(name + ": cancelled");
    ExtractedPage page;
    page.number = i + 1;
    page.has_text_layer = false;
    page.ocr_reason = "image";
    OcrImage image;
    bool ok = false;
    fz_pixmap* pix = nullptr;
    if (kind == ImageKind::kWebp) ok = DecodeWebp(buf.get(), &image, err);
    else pix = DecodeImage(ctx, buf.get(), kind, i, err);
    if (pix) {
      int xres = pix->xres;
      if (xres < 70 || xres > 2400) xres = kOcrDpi;  // no or nonsense resolution: assume a 300-dpi scan
      if (static_cast<int64_t>(pix->w) * pix->h > kMaxPixels) {
        std::snprintf(err, sizeof err, "image too large (%d x %d pixels; at most 80 megapixels)", pix->w, pix->h);
      } else {
        ok = PixmapToGray(ctx, pix, xres, &image, err, sizeof err);
      }
      fz_drop_pixmap(ctx, pix);
    }
    if (!ok) {
      ++failed;
      if (first_failure.empty()) first_failure = err;
      summary.warnings.push_back("page " + std::to_string(page.number) + ": " + err);
      ++summary.warning_count;
      page.ocr_reason.clear();
      DOCPIPE_RETURN_IF_ERROR(ordered.AddNative(std::move(page), PageLayout{}));
      continue;
    }
    DOCPIPE_RETURN_IF_ERROR(ordered.AddOcr(std::move(page), std::move(image), PageLayout{}));
  }
  DOCPIPE_RETURN_IF_ERROR(ordered.Flush());
  if (failed == count) return Status::InvalidInput(name + ": cannot decode " + FormatName(kind) + ": " + first_failure);
  for (const std::string& w : ordered.Warnings()) {
    ++summary.warning_count;
    summary.warnings.push_back(w);
  }
  return summary;
}

}  // namespace

ExtractorPtr NewImageExtractor(OcrPool* ocr) { return std::make_unique<ImageExtractor>(ocr); }

}  // namespace docpipe
