#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "extract/extract_limits.h"
#include "extract/markdown_writer.h"

namespace docpipe {

struct HtmlFacts {
  std::string title;      // <title>
  int headings = 0;       // h1-h6 written
};

// Parses UTF-8 HTML with gumbo (HTML5 parsing, so tag soup reads as a browser
// reads it) and writes its main content to `out`: <main>/[role=main] or a
// lone <article> when present, else <body>, without navigation, headers,
// footers, asides, scripts, styles, forms and hidden elements, nor the
// navigation bars manual generators repeat on every page (by class, or as
// small blocks of next/prev/up links). The tree counts against `budget`.
// InvalidInput naming `name` when over budget.
Status HtmlToMarkdown(std::string_view html, const std::string& name, MemoryBudget& budget, PageWriter& out,
                      HtmlFacts* facts);

// The target of an immediate redirect: a <meta http-equiv="refresh"
// content="0; url=..."> (delay at most 1 s) in the first 8 KB of `head`, as
// Texinfo writes for every anchor of a manual; "" when there is none. Such
// a page has no text of its own: a browser shows the target instead.
std::string HtmlRedirectTarget(std::string_view head);

// Decodes HTML bytes to UTF-8: a BOM, then <meta charset> / http-equiv /
// the XML declaration in the first 2 KB, then valid UTF-8, then uchardet.
// `declared` (an HTTP or MIME charset) goes first when given.
Result<std::string> DecodeHtml(std::string bytes, const std::string& name, const std::string& declared = "");

}  // namespace docpipe
