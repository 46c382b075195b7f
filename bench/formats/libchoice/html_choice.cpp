// HTML parser choice, and the size of gumbo's tree. Usage:
//   html_choice gumbo|libxml2 FILE... : parse time (best of 3) over the files
//   html_choice tree FILE...          : per file, the peak bytes gumbo's
//       allocator holds while parsing and walking it, and that over the input
//       size; the largest ratio last (docpipe charges its HTML memory budget
//       with this factor before parsing, since gumbo cannot fail an
//       allocation softly)
#include <gumbo.h>
#include <libxml/HTMLparser.h>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

std::string Slurp(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

size_t TextGumbo(const GumboNode* n) {
  if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_CDATA)
    return std::strlen(n->v.text.text);
  if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_DOCUMENT) return 0;
  const GumboVector& kids = n->type == GUMBO_NODE_DOCUMENT ? n->v.document.children : n->v.element.children;
  size_t t = 0;
  for (unsigned i = 0; i < kids.length; ++i) t += TextGumbo(static_cast<const GumboNode*>(kids.data[i]));
  return t;
}

size_t TextXml2(xmlNode* n) {
  size_t t = 0;
  for (xmlNode* c = n; c; c = c->next) {
    if (c->type == XML_TEXT_NODE && c->content) t += std::strlen(reinterpret_cast<char*>(c->content));
    if (c->children) t += TextXml2(c->children);
  }
  return t;
}

// Counts what gumbo holds (usable size of each block, as malloc gives it).
struct Counter {
  size_t live = 0, peak = 0;
};
void* CountAlloc(void* ud, size_t size) {
  auto* c = static_cast<Counter*>(ud);
  void* p = std::malloc(size);
  c->live += malloc_usable_size(p);
  c->peak = std::max(c->peak, c->live);
  return p;
}
void CountFree(void* ud, void* p) {
  if (!p) return;
  static_cast<Counter*>(ud)->live -= malloc_usable_size(p);
  std::free(p);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: html_choice gumbo|libxml2|tree FILE...\n");
    return 2;
  }
  const std::string mode = argv[1];
  std::vector<std::string> docs;
  size_t total = 0;
  for (int i = 2; i < argc; ++i) {
    docs.push_back(Slurp(argv[i]));
    total += docs.back().size();
  }
  if (mode == "tree") {
    double worst = 0;
    size_t in_all = 0, peak_all = 0;
    for (size_t i = 0; i < docs.size(); ++i) {
      Counter c;
      GumboOptions o = kGumboDefaultOptions;
      o.allocator = CountAlloc;
      o.deallocator = CountFree;
      o.userdata = &c;
      o.max_errors = 100;  // as docpipe parses
      GumboOutput* out = gumbo_parse_with_options(&o, docs[i].data(), docs[i].size());
      TextGumbo(out->document);
      gumbo_destroy_output(&o, out);
      const double ratio = docs[i].empty() ? 0 : static_cast<double>(c.peak) / docs[i].size();
      worst = std::max(worst, ratio);
      in_all += docs[i].size();
      peak_all += c.peak;
      std::printf("%8zu bytes  tree peak %9zu  x%.2f  %s\n", docs[i].size(), c.peak, ratio, argv[i + 2]);
    }
    std::printf("files %zu, input %zu bytes, sum of peaks x%.2f, largest ratio x%.2f\n", docs.size(), in_all,
                static_cast<double>(peak_all) / in_all, worst);
    return 0;
  }
  double best = 1e9;
  size_t text = 0;
  for (int r = 0; r < 3; ++r) {
    text = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (const std::string& d : docs) {
      if (mode == "gumbo") {
        GumboOptions o = kGumboDefaultOptions;
        o.max_errors = 100;
        GumboOutput* out = gumbo_parse_with_options(&o, d.data(), d.size());
        text += TextGumbo(out->document);
        gumbo_destroy_output(&o, out);
      } else {
        htmlDocPtr doc = htmlReadMemory(d.data(), static_cast<int>(d.size()), "page.html", "UTF-8",
                                        HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                            HTML_PARSE_COMPACT);
        if (doc) {
          text += TextXml2(xmlDocGetRootElement(doc));
          xmlFreeDoc(doc);
        }
      }
    }
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("%s: %zu files, %.1f MB in %.3f s (%.1f MB/s), text %zu bytes\n", mode.c_str(), docs.size(), total / 1e6,
              best, total / 1e6 / best, text);
  return 0;
}
