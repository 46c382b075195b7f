// Collects rules and boxes while forwarding text to the structured-text
// device. Callbacks run inside MuPDF's fz_try: they never throw C++
// exceptions (allocation failures only stop the collection) and hold no
// objects with destructors across the forwarded calls, which may longjmp.

#include "extract/pdf/layout_device.h"

#include <algorithm>
#include <cmath>

namespace docpipe {
namespace {

constexpr size_t kMaxRules = 4000;
constexpr size_t kMaxBoxes = 400;
constexpr size_t kMaxBars = 4000;
constexpr int kMaxSubpathPoints = 6;
constexpr float kAxisTolerance = 0.6f;  // points off the axis still "straight"
constexpr float kThinRule = 2.5f;       // a filled rectangle this thin is a rule
constexpr float kMinRuleLength = 4;     // shorter strokes are glyph bits or ticks
constexpr float kMinBoxSide = 6;

struct LayoutDevice {
  fz_device super;
  fz_device* text;  // borrowed
  fz_rect area;
  PageGraphics* out;
  // Which open clips were passed on to the text device (one bit per level),
  // so that pop_clip is passed on for exactly those.
  unsigned long long forwarded_clips;
  int clip_depth;
};

// Walker state for one path: points of the current subpath and whether it
// stays a candidate rectangle (no curves, few points).
struct PathWalk {
  fz_matrix ctm;
  bool stroke;
  float line_width;
  fz_point pts[kMaxSubpathPoints];
  int n = 0;
  bool simple = true;
  fz_point start{0, 0};
  LayoutDevice* dev;
};

bool Straight(fz_point a, fz_point b) {
  return std::abs(a.x - b.x) <= kAxisTolerance || std::abs(a.y - b.y) <= kAxisTolerance;
}

void AddRule(LayoutDevice* dev, float x0, float y0, float x1, float y1) noexcept {
  PageGraphics* g = dev->out;
  if (g->rules.size() >= kMaxRules) {
    g->overflow = true;
    return;
  }
  try {
    g->rules.push_back(Rule{std::min(x0, x1), std::min(y0, y1), std::max(x0, x1), std::max(y0, y1)});
  } catch (...) {
    g->overflow = true;
  }
}

// A short bar (PageGraphics::bars); past kMaxBars the rest are dropped, rules
// and boxes still collected.
void AddBar(LayoutDevice* dev, float x0, float y0, float x1, float y1) noexcept {
  PageGraphics* g = dev->out;
  if (g->bars.size() >= kMaxBars || y1 - y0 > kMaxBarThickness) return;
  try {
    g->bars.push_back(Rule{x0, y0, x1, y1});
  } catch (...) {  // out of memory: kashida bars are a refinement, dropped
  }
}

void AddBox(LayoutDevice* dev, fz_rect r, bool filled, float lightness) noexcept {
  PageGraphics* g = dev->out;
  if (g->boxes.size() >= kMaxBoxes) {
    g->overflow = true;
    return;
  }
  try {
    g->boxes.push_back(Box{r.x0, r.y0, r.x1, r.y1, filled, lightness});
  } catch (...) {
    g->overflow = true;
  }
}

// A straight stroked segment becomes a rule (its thickness is the pen's), or
// a bar when short.
void StrokeSegment(PathWalk* w, fz_point a, fz_point b) {
  if (!w->stroke || !Straight(a, b)) return;
  const float len = std::max(std::abs(a.x - b.x), std::abs(a.y - b.y));
  const float half = std::max(0.25f, w->line_width / 2);
  const bool horizontal = std::abs(a.y - b.y) <= kAxisTolerance;
  const float x = (a.x + b.x) / 2, y = (a.y + b.y) / 2;
  const float x0 = horizontal ? std::min(a.x, b.x) : x - half, x1 = horizontal ? std::max(a.x, b.x) : x + half;
  const float y0 = horizontal ? y - half : std::min(a.y, b.y), y1 = horizontal ? y + half : std::max(a.y, b.y);
  if (len < kMinRuleLength) {
    AddBar(w->dev, x0, y0, x1, y1);
  } else {
    AddRule(w->dev, x0, y0, x1, y1);
  }
}

float Lightness(fz_context* ctx, fz_colorspace* cs, const float* c) {
  if (!cs || !c) return 0;
  switch (fz_colorspace_n(ctx, cs)) {
    case 1:
      return fz_colorspace_is_gray(ctx, cs) ? c[0] : 1 - c[0];  // separations: tint is ink
    case 3:
      return 0.299f * c[0] + 0.587f * c[1] + 0.114f * c[2];
    case 4:
      return std::max(0.0f, 1 - std::min(1.0f, 0.3f * c[0] + 0.59f * c[1] + 0.11f * c[2] + c[3]));
    default:
      return 0.5f;
  }
}

// Ends the current subpath: a closed axis-aligned quadrilateral is a
// rectangle, which a fill turns into a rule (thin) or a box, and a stroke
// into a framed box (its sides were already recorded as rules).
void EndSubpath(fz_context* ctx, PathWalk* w, fz_colorspace* cs, const float* color) {
  if (w->simple && (w->n == 4 || w->n == 5)) {
    fz_rect r = fz_empty_rect;
    bool rect = true;
    for (int i = 0; i < w->n; ++i) {
      r = fz_include_point_in_rect(r, w->pts[i]);
      if (i > 0 && !Straight(w->pts[i - 1], w->pts[i])) rect = false;
    }
    const float wd = r.x1 - r.x0, ht = r.y1 - r.y0;
    const float area = (w->dev->area.x1 - w->dev->area.x0) * (w->dev->area.y1 - w->dev->area.y0);
    if (rect && !w->stroke) {
      const float light = Lightness(ctx, cs, color);
      if (ht <= kThinRule && wd >= kMinRuleLength) {
        AddRule(w->dev, r.x0, r.y0, r.x1, r.y1);
      } else if (wd <= kThinRule && ht >= kMinRuleLength) {
        AddRule(w->dev, r.x0, r.y0, r.x1, r.y1);
      } else if (wd >= kMinBoxSide && ht >= kMinBoxSide && wd * ht < 0.6f * area && light < 0.985f) {
        AddBox(w->dev, r, true, light);
      } else if (light < 0.985f) {
        AddBar(w->dev, r.x0, r.y0, r.x1, r.y1);
      }
    } else if (rect && wd >= kMinBoxSide && ht >= kMinBoxSide && wd * ht < 0.6f * area) {
      AddBox(w->dev, r, false, 1);
    }
  }
  w->n = 0;
  w->simple = true;
}

PathWalk* Walk(void* arg) { return static_cast<PathWalk*>(arg); }

// Set by the fill/stroke callbacks around fz_walk_path (MuPDF's walker has no
// room for extra arguments beyond `arg`).
struct WalkColor {
  fz_colorspace* cs;
  const float* color;
};
thread_local WalkColor t_color{nullptr, nullptr};
thread_local fz_context* t_ctx = nullptr;

void PushPoint(PathWalk* w, fz_point p) {
  if (w->n < kMaxSubpathPoints) {
    w->pts[w->n++] = p;
  } else {
    w->simple = false;
  }
}

void MoveTo(fz_context*, void* arg, float x, float y) {
  PathWalk* w = Walk(arg);
  if (w->n > 0) EndSubpath(t_ctx, w, t_color.cs, t_color.color);
  w->start = fz_transform_point(fz_make_point(x, y), w->ctm);
  PushPoint(w, w->start);
}

void LineTo(fz_context*, void* arg, float x, float y) {
  PathWalk* w = Walk(arg);
  const fz_point p = fz_transform_point(fz_make_point(x, y), w->ctm);
  if (w->n > 0) StrokeSegment(w, w->pts[std::min(w->n, kMaxSubpathPoints) - 1], p);
  PushPoint(w, p);
}

void CurveTo(fz_context*, void* arg, float, float, float, float, float x3, float y3) {
  PathWalk* w = Walk(arg);
  w->simple = false;
  PushPoint(w, fz_transform_point(fz_make_point(x3, y3), w->ctm));
}

void ClosePath(fz_context*, void* arg) {
  PathWalk* w = Walk(arg);
  if (w->n > 0) {
    StrokeSegment(w, w->pts[std::min(w->n, kMaxSubpathPoints) - 1], w->start);
    EndSubpath(t_ctx, w, t_color.cs, t_color.color);
  }
}

void RectTo(fz_context*, void* arg, float x0, float y0, float x1, float y1) {
  PathWalk* w = Walk(arg);
  if (w->n > 0) EndSubpath(t_ctx, w, t_color.cs, t_color.color);
  const fz_point a = fz_transform_point(fz_make_point(x0, y0), w->ctm);
  const fz_point b = fz_transform_point(fz_make_point(x1, y0), w->ctm);
  const fz_point c = fz_transform_point(fz_make_point(x1, y1), w->ctm);
  const fz_point d = fz_transform_point(fz_make_point(x0, y1), w->ctm);
  StrokeSegment(w, a, b);
  StrokeSegment(w, b, c);
  StrokeSegment(w, c, d);
  StrokeSegment(w, d, a);
  w->pts[0] = a, w->pts[1] = b, w->pts[2] = c, w->pts[3] = d;
  w->n = 4;
  w->simple = true;
  EndSubpath(t_ctx, w, t_color.cs, t_color.color);
}

const fz_path_walker kWalker = {MoveTo, LineTo, CurveTo, ClosePath, nullptr, nullptr, nullptr, RectTo};

void WalkPath(fz_context* ctx, LayoutDevice* dev, const fz_path* path, fz_matrix ctm, bool stroke,
              float width, fz_colorspace* cs, const float* color) {
  if (dev->out->overflow) return;
  PathWalk w;
  w.ctm = ctm;
  w.stroke = stroke;
  w.line_width = width * std::sqrt(std::abs(ctm.a * ctm.d - ctm.b * ctm.c));
  w.dev = dev;
  t_color = WalkColor{cs, color};
  t_ctx = ctx;
  fz_walk_path(ctx, path, &kWalker, &w);
  if (w.n > 0) EndSubpath(ctx, &w, cs, color);
}

LayoutDevice* Dev(fz_device* d) { return reinterpret_cast<LayoutDevice*>(d); }

void FillPath(fz_context* ctx, fz_device* d, const fz_path* path, int, fz_matrix ctm, fz_colorspace* cs,
              const float* color, float alpha, fz_color_params) {
  if (alpha <= 0.05f) return;
  WalkPath(ctx, Dev(d), path, ctm, false, 0, cs, color);
}

void StrokePath(fz_context* ctx, fz_device* d, const fz_path* path, const fz_stroke_state* stroke,
                fz_matrix ctm, fz_colorspace* cs, const float* color, float alpha, fz_color_params) {
  if (alpha <= 0.05f) return;
  WalkPath(ctx, Dev(d), path, ctm, true, stroke ? stroke->linewidth : 1, cs, color);
}

void FillText(fz_context* ctx, fz_device* d, const fz_text* text, fz_matrix ctm, fz_colorspace* cs,
              const float* color, float alpha, fz_color_params params) {
  fz_fill_text(ctx, Dev(d)->text, text, ctm, cs, color, alpha, params);
}

void StrokeText(fz_context* ctx, fz_device* d, const fz_text* text, const fz_stroke_state* stroke,
                fz_matrix ctm, fz_colorspace* cs, const float* color, float alpha, fz_color_params params) {
  fz_stroke_text(ctx, Dev(d)->text, text, stroke, ctm, cs, color, alpha, params);
}

void PushClip(LayoutDevice* dev, bool forwarded) {
  if (dev->clip_depth < 64 && forwarded) dev->forwarded_clips |= 1ull << dev->clip_depth;
  if (dev->clip_depth < 64 && !forwarded) dev->forwarded_clips &= ~(1ull << dev->clip_depth);
  ++dev->clip_depth;
}

void ClipText(fz_context* ctx, fz_device* d, const fz_text* text, fz_matrix ctm, fz_rect scissor) {
  PushClip(Dev(d), true);
  fz_clip_text(ctx, Dev(d)->text, text, ctm, scissor);
}

void ClipStrokeText(fz_context* ctx, fz_device* d, const fz_text* text, const fz_stroke_state* stroke,
                    fz_matrix ctm, fz_rect scissor) {
  PushClip(Dev(d), true);
  fz_clip_stroke_text(ctx, Dev(d)->text, text, stroke, ctm, scissor);
}

void ClipPath(fz_context*, fz_device* d, const fz_path*, int, fz_matrix, fz_rect) { PushClip(Dev(d), false); }

void ClipStrokePath(fz_context*, fz_device* d, const fz_path*, const fz_stroke_state*, fz_matrix, fz_rect) {
  PushClip(Dev(d), false);
}

void ClipImageMask(fz_context*, fz_device* d, fz_image*, fz_matrix, fz_rect) { PushClip(Dev(d), false); }

void IgnoreText(fz_context* ctx, fz_device* d, const fz_text* text, fz_matrix ctm) {
  fz_ignore_text(ctx, Dev(d)->text, text, ctm);
}

void PopClip(fz_context* ctx, fz_device* d) {
  LayoutDevice* dev = Dev(d);
  if (dev->clip_depth == 0) return;
  --dev->clip_depth;
  if (dev->clip_depth < 64 && (dev->forwarded_clips >> dev->clip_depth & 1)) fz_pop_clip(ctx, dev->text);
}

}  // namespace

fz_device* NewLayoutDevice(fz_context* ctx, fz_device* text_device, fz_rect page_area, PageGraphics* out) {
  LayoutDevice* dev = fz_new_derived_device(ctx, LayoutDevice);
  dev->text = text_device;
  dev->area = page_area;
  dev->out = out;
  dev->super.hints = text_device->hints;
  dev->super.flags = text_device->flags;
  dev->super.fill_path = FillPath;
  dev->super.stroke_path = StrokePath;
  dev->super.fill_text = FillText;
  dev->super.stroke_text = StrokeText;
  dev->super.clip_text = ClipText;
  dev->super.clip_stroke_text = ClipStrokeText;
  dev->super.ignore_text = IgnoreText;
  dev->super.clip_path = ClipPath;
  dev->super.clip_stroke_path = ClipStrokePath;
  dev->super.clip_image_mask = ClipImageMask;
  dev->super.pop_clip = PopClip;
  return &dev->super;
}

}  // namespace docpipe
