#include "support/page_images.h"

#include <leptonica/allheaders.h>
#include <mupdf/fitz.h>

#include <cstdio>
#include <memory>

#include "extract/page_image.h"

namespace docpipe::testing {
namespace {

struct ContextDeleter {
  void operator()(fz_context* ctx) const { fz_drop_context(ctx); }
};
void Quiet(void*, const char*) {}

std::unique_ptr<fz_context, ContextDeleter> NewContext() {
  std::unique_ptr<fz_context, ContextDeleter> ctx(fz_new_context(nullptr, nullptr, FZ_STORE_DEFAULT));
  if (ctx) {
    fz_set_warning_callback(ctx.get(), Quiet, nullptr);
    fz_set_error_callback(ctx.get(), Quiet, nullptr);
    fz_register_document_handlers(ctx.get());
  }
  return ctx;
}

fz_document* Open(fz_context* ctx, const char* path, char* err) {
  fz_document* doc = nullptr;
  fz_var(doc);
  fz_try(ctx) doc = fz_open_document(ctx, path);
  fz_catch(ctx) {
    std::snprintf(err, 256, "%s", fz_caught_message(ctx));
    return nullptr;
  }
  return doc;
}

int Pages(fz_context* ctx, fz_document* doc) {
  int n = -1;
  fz_var(n);
  fz_try(ctx) n = fz_count_pages(ctx, doc);
  fz_catch(ctx) n = -1;
  return n;
}

// Every page of `src` drawn as one image on a page of the same size.
int WriteImagePdf(fz_context* ctx, fz_document* src, int pages, int dpi, const char* out, char* err) {
  fz_document_writer* writer = nullptr;
  fz_pixmap* pix = nullptr;
  fz_image* image = nullptr;
  fz_page* page = nullptr;
  int rc = 0;
  fz_var(writer);
  fz_var(pix);
  fz_var(image);
  fz_var(page);
  fz_try(ctx) {
    writer = fz_new_document_writer(ctx, out, "pdf", "compress");
    for (int i = 0; i < pages; ++i) {
      page = fz_load_page(ctx, src, i);
      const fz_rect box = fz_bound_page(ctx, page);
      pix = fz_new_pixmap_from_page(ctx, page, fz_scale(dpi / 72.0f, dpi / 72.0f), fz_device_gray(ctx), 0);
      fz_drop_page(ctx, page);
      page = nullptr;
      image = fz_new_image_from_pixmap(ctx, pix, nullptr);
      fz_device* dev = fz_begin_page(ctx, writer, box);
      fz_fill_image(ctx, dev, image, fz_make_matrix(box.x1 - box.x0, 0, 0, box.y1 - box.y0, box.x0, box.y0), 1,
                    fz_default_color_params);
      fz_end_page(ctx, writer);
      fz_drop_image(ctx, image);
      image = nullptr;
      fz_drop_pixmap(ctx, pix);
      pix = nullptr;
    }
    fz_close_document_writer(ctx, writer);
  }
  fz_always(ctx) {
    fz_drop_page(ctx, page);
    fz_drop_image(ctx, image);
    fz_drop_pixmap(ctx, pix);
    fz_drop_document_writer(ctx, writer);
  }
  fz_catch(ctx) {
    std::snprintf(err, 256, "%s", fz_caught_message(ctx));
    rc = -1;
  }
  return rc;
}

struct PixDeleter {
  void operator()(Pix* p) const { pixDestroy(&p); }
};

std::unique_ptr<Pix, PixDeleter> ToPix(const OcrImage& image) {
  std::unique_ptr<Pix, PixDeleter> pix(pixCreate(image.width, image.height, 8));
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x)
      pixSetPixel(pix.get(), x, y, image.pixels[static_cast<size_t>(y) * image.width + x]);
  pixSetResolution(pix.get(), image.dpi, image.dpi);
  return pix;
}

}  // namespace

Status RenderPdfPage(const std::string& pdf, int index, int dpi, OcrImage* out) {
  auto ctx = NewContext();
  char err[256] = "";
  fz_document* doc = Open(ctx.get(), pdf.c_str(), err);
  if (!doc) return Status::Internal("opening " + pdf + ": " + err);
  const bool ok = RenderPageGray(ctx.get(), doc, index, dpi, nullptr, out, err, sizeof err);
  fz_drop_document(ctx.get(), doc);
  if (!ok) return Status::Internal("rendering " + pdf + ": " + err);
  return Status::Ok();
}

Status MakeImageOnlyPdf(const std::string& src_pdf, const std::string& out_pdf, int dpi) {
  auto ctx = NewContext();
  char err[256] = "";
  fz_document* doc = Open(ctx.get(), src_pdf.c_str(), err);
  if (!doc) return Status::Internal("opening " + src_pdf + ": " + err);
  const int pages = Pages(ctx.get(), doc);
  const int rc = pages < 0 ? -1 : WriteImagePdf(ctx.get(), doc, pages, dpi, out_pdf.c_str(), err);
  fz_drop_document(ctx.get(), doc);
  if (rc != 0) return Status::Internal("writing " + out_pdf + ": " + err);
  return Status::Ok();
}

Status WriteImages(const std::vector<OcrImage>& images, const std::string& format, const std::string& path) {
  if (images.empty()) return Status::InvalidInput("no images");
  for (size_t i = 0; i < images.size(); ++i) {
    auto pix = ToPix(images[i]);
    l_ok rc = 1;
    if (format == "png" && images.size() == 1) rc = pixWrite(path.c_str(), pix.get(), IFF_PNG);
    else if (format == "jpeg" && images.size() == 1) rc = pixWrite(path.c_str(), pix.get(), IFF_JFIF_JPEG);
    else if (format == "webp" && images.size() == 1) rc = pixWriteWebP(path.c_str(), pix.get(), 90, 0);
    else if (format == "tiff") rc = pixWriteTiff(path.c_str(), pix.get(), IFF_TIFF_ZIP, i == 0 ? "w" : "a");
    else return Status::InvalidInput("cannot write " + std::to_string(images.size()) + " images as " + format);
    if (rc != 0) return Status::Internal("writing " + path);
  }
  return Status::Ok();
}

Status WriteTransparentPng(const OcrImage& image, const std::string& path) {
  std::unique_ptr<Pix, PixDeleter> pix(pixCreate(image.width, image.height, 32));
  pixSetSpp(pix.get(), 4);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) {
      const l_int32 alpha = 255 - image.pixels[static_cast<size_t>(y) * image.width + x];
      l_uint32 value = 0;
      composeRGBAPixel(0, 0, 0, alpha, &value);
      pixSetPixel(pix.get(), x, y, value);
    }
  pixSetResolution(pix.get(), image.dpi, image.dpi);
  if (pixWrite(path.c_str(), pix.get(), IFF_PNG) != 0) return Status::Internal("writing " + path);
  return Status::Ok();
}

OcrImage RotateClockwise(const OcrImage& image) {
  OcrImage out;
  out.width = image.height;
  out.height = image.width;
  out.channels = 1;
  out.dpi = image.dpi;
  out.pixels.resize(image.pixels.size());
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x)
      out.pixels[static_cast<size_t>(x) * out.width + (out.width - 1 - y)] =
          image.pixels[static_cast<size_t>(y) * image.width + x];
  return out;
}

}  // namespace docpipe::testing
