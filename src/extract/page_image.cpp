#include "extract/page_image.h"

#include <mupdf/fitz.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace docpipe {
namespace {

// Pixels darker than this count as ink.
constexpr uint8_t kInk = 160;

void CopyError(fz_context* ctx, char* err, size_t err_len) {
  std::snprintf(err, err_len, "%s", fz_caught_message(ctx));
}

// Grey pixmap of page `index`, or of `region` of it (page points) when given
// (C data only between fz_try and fz_catch).
fz_pixmap* DrawGray(fz_context* ctx, fz_document* doc, int index, float zoom, const fz_rect* region,
                    fz_cookie* cookie, char* err, size_t err_len) {
  fz_page* page = nullptr;
  fz_pixmap* pix = nullptr;
  fz_device* dev = nullptr;
  fz_var(page);
  fz_var(pix);
  fz_var(dev);
  fz_try(ctx) {
    page = fz_load_page(ctx, doc, index);
    const fz_matrix ctm = fz_scale(zoom, zoom);
    const fz_rect bounds = fz_bound_page(ctx, page);
    const fz_irect box = fz_round_rect(fz_transform_rect(region ? fz_intersect_rect(*region, bounds) : bounds, ctm));
    if (fz_is_empty_irect(box)) fz_throw(ctx, FZ_ERROR_GENERIC, "empty region");
    pix = fz_new_pixmap_with_bbox(ctx, fz_device_gray(ctx), box, nullptr, 0);
    fz_clear_pixmap_with_value(ctx, pix, 255);
    dev = fz_new_draw_device(ctx, fz_identity, pix);
    fz_run_page(ctx, page, dev, ctm, cookie);
    fz_close_device(ctx, dev);
  }
  fz_always(ctx) {
    fz_drop_device(ctx, dev);
    fz_drop_page(ctx, page);
  }
  fz_catch(ctx) {
    CopyError(ctx, err, err_len);
    fz_drop_pixmap(ctx, pix);
    return nullptr;
  }
  return pix;
}

fz_pixmap* ConvertToGray(fz_context* ctx, fz_pixmap* pix, char* err, size_t err_len) {
  fz_pixmap* grey = nullptr;
  fz_var(grey);
  const int keep_alpha = fz_pixmap_alpha(ctx, pix);
  fz_try(ctx) {
    grey = fz_convert_pixmap(ctx, pix, fz_device_gray(ctx), nullptr, nullptr, fz_default_color_params, keep_alpha);
  }
  fz_catch(ctx) {
    CopyError(ctx, err, err_len);
    return nullptr;
  }
  return grey;
}

// Copies a grey pixmap. With alpha (a PNG with a transparent background) the
// image is laid on white: MuPDF's samples are premultiplied, so a transparent
// pixel would otherwise read as black.
void CopyGray(fz_context* ctx, fz_pixmap* pix, int dpi, OcrImage* out) {
  out->width = fz_pixmap_width(ctx, pix);
  out->height = fz_pixmap_height(ctx, pix);
  out->channels = 1;
  out->dpi = dpi;
  const int stride = fz_pixmap_stride(ctx, pix);
  const int n = fz_pixmap_components(ctx, pix);  // 1, or 2 with alpha
  const unsigned char* samples = fz_pixmap_samples(ctx, pix);
  out->pixels.resize(static_cast<size_t>(out->width) * static_cast<size_t>(out->height));
  for (int y = 0; y < out->height; ++y) {
    const unsigned char* row = samples + static_cast<ptrdiff_t>(y) * stride;
    uint8_t* dst = out->pixels.data() + static_cast<size_t>(y) * out->width;
    if (n == 1) {
      std::memcpy(dst, row, static_cast<size_t>(out->width));
      continue;
    }
    for (int x = 0; x < out->width; ++x) {
      const int grey = row[x * n], alpha = row[x * n + n - 1];
      dst[x] = static_cast<uint8_t>(std::min(255, grey + 255 - alpha));
    }
  }
}

}  // namespace

bool RenderPageGray(fz_context* ctx, fz_document* doc, int index, int dpi, fz_cookie* cookie, OcrImage* out,
                    char* err, size_t err_len) {
  fz_pixmap* pix = DrawGray(ctx, doc, index, static_cast<float>(dpi) / 72.0f, nullptr, cookie, err, err_len);
  if (!pix) return false;
  CopyGray(ctx, pix, dpi, out);
  fz_drop_pixmap(ctx, pix);
  return true;
}

bool RenderRegionGray(fz_context* ctx, fz_document* doc, int index, fz_rect region, int dpi, fz_cookie* cookie,
                      OcrImage* out, char* err, size_t err_len) {
  fz_pixmap* pix = DrawGray(ctx, doc, index, static_cast<float>(dpi) / 72.0f, &region, cookie, err, err_len);
  if (!pix) return false;
  CopyGray(ctx, pix, dpi, out);
  fz_drop_pixmap(ctx, pix);
  return true;
}

bool PixmapToGray(fz_context* ctx, fz_pixmap* pix, int dpi, OcrImage* out, char* err, size_t err_len) {
  const bool already_gray = fz_pixmap_colorants(ctx, pix) == 1 && fz_pixmap_alpha(ctx, pix) == 0 &&
                            fz_pixmap_spots(ctx, pix) == 0;
  fz_pixmap* grey = already_gray ? fz_keep_pixmap(ctx, pix) : ConvertToGray(ctx, pix, err, err_len);
  if (!grey) return false;
  CopyGray(ctx, grey, dpi, out);
  fz_drop_pixmap(ctx, grey);
  return true;
}

bool IsBlankImage(const OcrImage& image) {
  if (image.channels != 1) return false;
  return std::none_of(image.pixels.begin(), image.pixels.end(), [](uint8_t p) { return p < kInk; });
}

}  // namespace docpipe
