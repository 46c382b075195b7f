#include "extract/html_markdown.h"

#include <gumbo.h>

#include <csetjmp>
#include <cstddef>
#include <cstdlib>

#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <cstring>
#include <map>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/strings.h"
#include "extract/text_decode.h"
#include "common/utf8.h"

namespace docpipe {
namespace {

// gumbo's tree is not bounded by a factor of the input: measured with
// bench/formats/libchoice (html_choice tree), 127 real pages take 3.5-11.8
// bytes per input byte (median 8.9), while 15 KB of nested <b> take 329,
// nested <div> 197 and a run of <p> 65. So
// every block gumbo allocates is charged to the budget as it is allocated
// (GumboArena below), and parsing stops when the budget, the deadline or the
// cancel flag says so.
//
// Deeper trees than this are refused: the walk below is recursive, and
// 100,000 nested <div> (500 KB) overflowed the stack.
constexpr int kMaxNesting = 512;

bool AttrIs(const GumboElement& e, const char* name, const char* value) {
  const GumboAttribute* a = gumbo_get_attribute(&e.attributes, name);
  return a && strcasecmp(a->value, value) == 0;
}

const char* AttrOf(const GumboElement& e, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&e.attributes, name);
  return a ? a->value : nullptr;
}

bool Hidden(const GumboElement& e) {
  if (gumbo_get_attribute(&e.attributes, "hidden")) return true;
  if (AttrIs(e, "aria-hidden", "true")) return true;
  if (const char* style = AttrOf(e, "style")) {
    std::string s = style;
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s.find("display:none") != std::string::npos || s.find("visibility:hidden") != std::string::npos)
      return true;
  }
  return false;
}

bool IsBlock(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3:
    case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6: case GUMBO_TAG_UL: case GUMBO_TAG_OL:
    case GUMBO_TAG_LI: case GUMBO_TAG_TABLE: case GUMBO_TAG_PRE: case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_MAIN: case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_DL: case GUMBO_TAG_DT: case GUMBO_TAG_DD: case GUMBO_TAG_HR:
    case GUMBO_TAG_ADDRESS: case GUMBO_TAG_DETAILS: case GUMBO_TAG_SUMMARY: case GUMBO_TAG_CENTER:
    case GUMBO_TAG_BODY: case GUMBO_TAG_HTML: case GUMBO_TAG_CAPTION: case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_TR: case GUMBO_TAG_TD: case GUMBO_TAG_TH: case GUMBO_TAG_THEAD: case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TFOOT:
      return true;
    default:
      return false;
  }
}

int HeadingLevel(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_H1: return 1;
    case GUMBO_TAG_H2: return 2;
    case GUMBO_TAG_H3: return 3;
    case GUMBO_TAG_H4: return 4;
    case GUMBO_TAG_H5: return 5;
    case GUMBO_TAG_H6: return 6;
    default: return 0;
  }
}

// Whether the space-separated attribute value `list` (class, rel) holds one
// of `tokens`, ASCII case ignored.
template <typename Tokens>
bool HasToken(const char* list, const Tokens& tokens) {
  if (!list) return false;
  const std::string lower = AsciiLower(list);
  std::string_view rest = lower;
  while (!rest.empty()) {
    size_t start = 0;
    while (start < rest.size() && IsAsciiSpace(rest[start])) ++start;
    size_t end = start;
    while (end < rest.size() && !IsAsciiSpace(rest[end])) ++end;
    if (end > start && std::find(tokens.begin(), tokens.end(), rest.substr(start, end - start)) != tokens.end())
      return true;
    rest.remove_prefix(end);
  }
  return false;
}

// Words of a navigation panel that are labels, not content ("Next:", "Up",
// an arrow image's alt text).
bool IsNavigationWord(std::string_view word) {
  const std::string w = AsciiLower(word);
  for (std::string_view nav : {"next", "prev", "previous", "up", "home", "top", "contents", "index", "start",
                               "first", "last", "back", "forward", "table", "of"})
    if (w == nav) return true;
  return false;
}

// Letters and digits (and non-ASCII bytes) of `text`, without label words.
size_t ContentBytes(std::string_view text, bool drop_labels) {
  size_t n = 0;
  size_t i = 0;
  while (i < text.size()) {
    auto word_byte = [&](size_t k) {
      const unsigned char c = static_cast<unsigned char>(text[k]);
      return c >= 0x80 || IsAsciiAlnum(static_cast<char>(c));
    };
    if (!word_byte(i)) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && word_byte(end)) ++end;
    if (!drop_labels || !IsNavigationWord(text.substr(i, end - i))) n += end - i;
    i = end;
  }
  return n;
}

// A link that moves between the pages of a generated manual: rel=next/prev/
// up/..., a navigation access key (Texinfo, DocBook), or an arrow image whose
// alt text says where it goes (latex2html).
bool IsNavigationLink(const GumboElement& a) {
  if (a.tag != GUMBO_TAG_A) return false;
  static constexpr std::array<std::string_view, 12> kNavigationRels = {
      "next", "prev", "previous", "up", "start", "first", "last", "contents", "toc", "index", "home", "top"};
  if (HasToken(AttrOf(a, "rel"), kNavigationRels)) return true;
  // Texinfo and DocBook give next, prev, up and home the keys n, p, u, h; the
  // digits of Texinfo's section menus are a contents list, which is kept.
  if (const char* key = AttrOf(a, "accesskey"); key && key[0] && !key[1] && std::strchr("npuhtNPUHT", key[0]))
    return true;
  const GumboNode* only = nullptr;
  for (unsigned i = 0; i < a.children.length; ++i) {
    const GumboNode* k = static_cast<const GumboNode*>(a.children.data[i]);
    if (k->type == GUMBO_NODE_WHITESPACE) continue;
    if (only) return false;
    only = k;
  }
  if (!only || only->type != GUMBO_NODE_ELEMENT || only->v.element.tag != GUMBO_TAG_IMG) return false;
  const char* alt = AttrOf(only->v.element, "alt");
  return alt && IsNavigationWord(CollapseSpace(alt));
}

// A navigation panel: the "Next: … Previous: … Up: …" bar that Texinfo
// and latex2html put at the top and bottom of every page of a manual. An
// innermost block (no block inside it, so a wrapper holding a bar and a
// short paragraph is never one) with two or more navigation links (by
// IsNavigationLink, or right after a "Next:"/"Up:" label) making at least
// half of all its links, little text, and no more text outside the links
// (label words aside) than half of the links' own. The walk
// stops at kPanelNodes nodes: a panel is small, and a bounded walk keeps
// the check linear on deep trees.
bool IsNavigationPanel(const GumboElement& e) {
  switch (e.tag) {
    case GUMBO_TAG_DIV: case GUMBO_TAG_P: case GUMBO_TAG_TD: case GUMBO_TAG_SPAN: case GUMBO_TAG_CENTER:
      break;
    default:
      return false;
  }
  constexpr int kPanelNodes = 300;
  constexpr size_t kPanelText = 400;
  int nodes = 0;
  int links = 0;
  int nav_links = 0;
  size_t link_bytes = 0;
  size_t other_bytes = 0;
  bool after_label = false;  // the text before ends with "Next:", "Up:", ...
  // (node, inside a link), popped in document order.
  std::vector<std::pair<const GumboNode*, bool>> stack;
  auto push_children = [&stack](const GumboElement& parent, bool in_link) {
    for (unsigned i = parent.children.length; i-- > 0;)
      stack.push_back({static_cast<const GumboNode*>(parent.children.data[i]), in_link});
  };
  push_children(e, false);
  while (!stack.empty()) {
    if (++nodes > kPanelNodes || link_bytes + other_bytes > kPanelText) return false;
    auto [n, in_link] = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA) {
      const std::string_view text = n->v.text.text;
      if (in_link) {
        link_bytes += ContentBytes(text, false);
        continue;
      }
      other_bytes += ContentBytes(text, true);
      // Texinfo's bar at the foot of a long page has no rel on its links, only their labels.
      const std::string_view tail = Trim(text);
      size_t word = tail.size();
      if (!tail.empty() && tail.back() == ':') {
        word = tail.size() - 1;
        while (word > 0 && IsAsciiAlpha(tail[word - 1])) --word;
      }
      after_label = word + 1 < tail.size() && IsNavigationWord(tail.substr(word, tail.size() - 1 - word));
      continue;
    }
    if (n->type != GUMBO_NODE_ELEMENT) continue;
    const GumboElement& k = n->v.element;
    if (k.tag == GUMBO_TAG_SCRIPT || k.tag == GUMBO_TAG_STYLE) continue;
    if (IsBlock(k.tag)) return false;  // holds paragraphs or sections: not a bar itself
    bool link = in_link;
    if (k.tag == GUMBO_TAG_A) {
      link = true;
      ++links;
      if (after_label || IsNavigationLink(k)) ++nav_links;
      after_label = false;
    }
    if (k.tag == GUMBO_TAG_IMG && link) {
      if (const char* alt = AttrOf(k, "alt")) link_bytes += ContentBytes(alt, false);
    }
    push_children(k, link);
  }
  return nav_links >= 2 && 2 * nav_links >= links && 2 * other_bytes <= link_bytes;
}

bool Dropped(const GumboElement& e) {
  switch (e.tag) {
    case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_NAV: case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER: case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_FORM: case GUMBO_TAG_BUTTON: case GUMBO_TAG_SELECT: case GUMBO_TAG_INPUT:
    case GUMBO_TAG_TEXTAREA: case GUMBO_TAG_SVG: case GUMBO_TAG_MATH: case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_OBJECT: case GUMBO_TAG_EMBED: case GUMBO_TAG_CANVAS: case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_VIDEO: case GUMBO_TAG_HEAD:
      return true;
    default:
      break;
  }
  const char* role = AttrOf(e, "role");
  if (role && (!strcasecmp(role, "navigation") || !strcasecmp(role, "banner") || !strcasecmp(role, "contentinfo") ||
               !strcasecmp(role, "complementary") || !strcasecmp(role, "search")))
    return true;
  // Generated manuals mark their navigation by class: DocBook's navheader and
  // navfooter, valgrind's nav tables, latex2html's navigation panels,
  // Sphinx's related bar and sidebar, breadcrumbs. "header", "sidebar" and
  // "toc" are not here: Doxygen's header holds the page title, a DocBook
  // sidebar is body text, and contents are kept (typed contents later).
  static constexpr std::array<std::string_view, 11> kNavigationClasses = {
      "nav", "navbar", "navheader", "navfooter", "nav-panel", "navigation", "navbox", "breadcrumb", "breadcrumbs",
      "sphinxsidebar", "related"};
  if (HasToken(AttrOf(e, "class"), kNavigationClasses) || HasToken(AttrOf(e, "id"), kNavigationClasses))
    return true;
  return Hidden(e) || IsNavigationPanel(e);
}

// Raw text of a subtree (for <pre> and <title>), whitespace kept.
void RawText(const GumboNode* n, std::string* out) {
  if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_CDATA) {
    *out += n->v.text.text;
    return;
  }
  if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE) return;
  if (n->v.element.tag == GUMBO_TAG_BR) *out += '\n';
  if (n->v.element.tag == GUMBO_TAG_SCRIPT || n->v.element.tag == GUMBO_TAG_STYLE) return;
  const GumboVector& kids = n->v.element.children;
  for (unsigned i = 0; i < kids.length; ++i) RawText(static_cast<const GumboNode*>(kids.data[i]), out);
}

std::string CodeLanguage(const GumboNode* pre) {
  auto lang = [](const GumboElement& e) -> std::string {
    const char* cls = AttrOf(e, "class");
    if (!cls) return "";
    std::string c = cls;
    for (const char* p : {"language-", "lang-"}) {
      size_t at = c.find(p);
      if (at != std::string::npos) {
        size_t start = at + std::strlen(p);
        size_t end = c.find(' ', start);
        return c.substr(start, end == std::string::npos ? std::string::npos : end - start);
      }
    }
    return "";
  };
  std::string l = lang(pre->v.element);
  if (!l.empty()) return l;
  const GumboVector& kids = pre->v.element.children;
  for (unsigned i = 0; i < kids.length; ++i) {
    const GumboNode* k = static_cast<const GumboNode*>(kids.data[i]);
    if (k->type == GUMBO_NODE_ELEMENT && k->v.element.tag == GUMBO_TAG_CODE) return lang(k->v.element);
  }
  return "";
}

// Every block gumbo allocates, charged to the budget; on a refused charge,
// a passed deadline or a cancel, the allocator leaves gumbo by longjmp (gumbo
// is C: no destructors are skipped) and the blocks are freed here.
struct alignas(std::max_align_t) ArenaBlock {
  ArenaBlock* prev;
  ArenaBlock* next;
  size_t size;
};

struct GumboArena {
  MemoryBudget* budget = nullptr;
  const PageWriter* out = nullptr;  // its deadline and cancel flag
  ArenaBlock* head = nullptr;
  size_t calls = 0;
  bool interrupted = false;  // by the deadline or the cancel flag; else by the budget
  std::jmp_buf jump;
};

void* ArenaAlloc(void* userdata, size_t size) {
  auto* a = static_cast<GumboArena*>(userdata);
  // The clock is read every 4096 allocations (a few microseconds of parsing).
  if ((++a->calls & 4095) == 0 && !a->out->Interrupted().ok()) {
    a->interrupted = true;
    std::longjmp(a->jump, 1);
  }
  if (!a->budget->Take(size + sizeof(ArenaBlock))) std::longjmp(a->jump, 1);
  auto* b = static_cast<ArenaBlock*>(std::malloc(sizeof(ArenaBlock) + size));
  if (!b) {
    a->budget->Give(size + sizeof(ArenaBlock));
    std::longjmp(a->jump, 1);
  }
  b->size = size;
  b->prev = nullptr;
  b->next = a->head;
  if (a->head) a->head->prev = b;
  a->head = b;
  return b + 1;
}

void ArenaFree(void* userdata, void* ptr) {
  if (!ptr) return;
  auto* a = static_cast<GumboArena*>(userdata);
  ArenaBlock* b = static_cast<ArenaBlock*>(ptr) - 1;
  if (b->prev) b->prev->next = b->next;
  else a->head = b->next;
  if (b->next) b->next->prev = b->prev;
  a->budget->Give(b->size + sizeof(ArenaBlock));
  std::free(b);
}

void ArenaFreeAll(GumboArena* a) {
  while (a->head) ArenaFree(a, a->head + 1);
}

// gumbo_parse_with_options, or null when the arena stopped it. Nothing with
// a destructor lives in this frame (setjmp's rule).
GumboOutput* ParseInArena(GumboArena* arena, const GumboOptions* options, const char* data, size_t size) {
  if (setjmp(arena->jump) != 0) return nullptr;
  return gumbo_parse_with_options(options, data, size);
}

// Depth of the deepest element, without recursion.
int TreeDepth(const GumboNode* root) {
  int deepest = 0;
  std::vector<std::pair<const GumboNode*, int>> stack = {{root, 1}};
  while (!stack.empty()) {
    auto [n, depth] = stack.back();
    stack.pop_back();
    deepest = std::max(deepest, depth);
    if (deepest > kMaxNesting) return deepest;
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE) continue;
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) stack.push_back({static_cast<const GumboNode*>(kids.data[i]), depth + 1});
  }
  return deepest;
}

class HtmlWriter {
 public:
  HtmlWriter(PageWriter& out, HtmlFacts* facts) : out_(out), facts_(facts) {}

  void Block(const GumboNode* n, int list_depth) {
    if (n->type != GUMBO_NODE_ELEMENT) {
      if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA) para_ += n->v.text.text;
      else if (n->type == GUMBO_NODE_WHITESPACE) para_ += ' ';
      return;
    }
    const GumboElement& e = n->v.element;
    if (Dropped(e)) return;
    if (!IsBlock(e.tag)) {
      Inline(n, &para_);
      return;
    }
    FlushParagraph(list_depth);
    if (int level = HeadingLevel(e.tag)) {
      std::string text;
      Children(n, &text);
      out_.Heading(level, text);
      if (!CollapseSpace(text).empty()) ++facts_->headings;
      return;
    }
    switch (e.tag) {
      case GUMBO_TAG_UL:
      case GUMBO_TAG_OL:
        List(n, list_depth < 0 ? 0 : list_depth + 1);
        return;
      case GUMBO_TAG_TABLE:
        Table(n);
        return;
      case GUMBO_TAG_PRE: {
        std::string code;
        RawText(n, &code);
        out_.Code(code, CodeLanguage(n));
        return;
      }
      case GUMBO_TAG_HR:
        return;
      default:
        break;
    }
    ChildBlocks(n, list_depth);
    FlushParagraph(list_depth);
  }

  void ChildBlocks(const GumboNode* n, int list_depth) {
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length && out_.status().ok(); ++i)
      Block(static_cast<const GumboNode*>(kids.data[i]), list_depth);
  }

  void FlushParagraph(int list_depth) {
    std::string text = CollapseSpace(para_);
    para_.clear();
    if (text.empty()) return;
    // An image alone in its paragraph is not parenthesised.
    if (text.rfind("(Image: ", 0) == 0 && text.back() == ')' && text.find(')') == text.size() - 1)
      text = text.substr(1, text.size() - 2);
    // Loose text inside a list item continues the item.
    if (list_depth >= 0) out_.ListItem(list_depth + 1, 0, text);
    else out_.Paragraph(text);
  }

 private:
  void Children(const GumboNode* n, std::string* text) {
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) Inline(static_cast<const GumboNode*>(kids.data[i]), text);
  }

  void Inline(const GumboNode* n, std::string* text) {
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA) {
      *text += n->v.text.text;
      return;
    }
    if (n->type == GUMBO_NODE_WHITESPACE) {
      *text += ' ';
      return;
    }
    if (n->type != GUMBO_NODE_ELEMENT) return;
    const GumboElement& e = n->v.element;
    if (Dropped(e)) return;
    switch (e.tag) {
      case GUMBO_TAG_BR:
        *text += ' ';
        return;
      case GUMBO_TAG_IMG: {
        const char* alt = AttrOf(e, "alt");
        if (alt && *alt) *text += " (" + ImageText(alt) + ") ";
        return;
      }
      case GUMBO_TAG_A: {
        // pandoc and most generators mark footnote back-links: "↩" is not text.
        const char* cls = AttrOf(e, "class");
        if (AttrIs(e, "role", "doc-backlink") || (cls && std::strstr(cls, "footnote-back"))) return;
        std::string inner;
        Children(n, &inner);
        const char* href = AttrOf(e, "href");
        if (href && *href && href[0] != '#' && strncasecmp(href, "javascript:", 11) != 0 &&
            !CollapseSpace(inner).empty())
          *text += MarkdownLink(inner, href);
        else
          *text += inner;
        return;
      }
      case GUMBO_TAG_CODE:
      case GUMBO_TAG_KBD:
      case GUMBO_TAG_SAMP:
      case GUMBO_TAG_TT: {
        std::string inner;
        RawText(n, &inner);
        inner = CollapseSpace(inner);
        if (!inner.empty() && inner.find('`') == std::string::npos) *text += "`" + inner + "`";
        else *text += inner;
        return;
      }
      default:
        if (IsBlock(e.tag)) *text += ' ';
        Children(n, text);
        if (IsBlock(e.tag)) *text += ' ';
        return;
    }
  }

  void List(const GumboNode* list, int depth) {
    const GumboElement& e = list->v.element;
    const bool ordered = e.tag == GUMBO_TAG_OL;
    int number = 0;
    if (const char* start = AttrOf(e, "start")) number = std::atoi(start) - 1;
    const GumboVector& kids = e.children;
    for (unsigned i = 0; i < kids.length && out_.status().ok(); ++i) {
      const GumboNode* li = static_cast<const GumboNode*>(kids.data[i]);
      if (li->type != GUMBO_NODE_ELEMENT || Dropped(li->v.element)) continue;
      if (li->v.element.tag != GUMBO_TAG_LI) {
        Block(li, depth);
        continue;
      }
      if (const char* v = AttrOf(li->v.element, "value")) number = std::atoi(v) - 1;
      // The item's own text is its inline content up to the first nested block.
      std::string text;
      const GumboVector& parts = li->v.element.children;
      unsigned k = 0;
      for (; k < parts.length; ++k) {
        const GumboNode* p = static_cast<const GumboNode*>(parts.data[k]);
        if (p->type == GUMBO_NODE_ELEMENT && IsBlock(p->v.element.tag) && p->v.element.tag != GUMBO_TAG_P &&
            p->v.element.tag != GUMBO_TAG_DIV)
          break;
        Inline(p, &text);
      }
      out_.ListItem(depth, ordered ? ++number : 0, CollapseSpace(text).empty() ? "" : text);
      for (; k < parts.length; ++k) Block(static_cast<const GumboNode*>(parts.data[k]), depth);
      FlushParagraph(depth);
    }
  }

  void Table(const GumboNode* table) {
    std::vector<const GumboNode*> trs;
    std::vector<const GumboNode*> stack = {table};
    std::string caption;
    while (!stack.empty()) {
      const GumboNode* n = stack.back();
      stack.pop_back();
      const GumboVector& kids = n->v.element.children;
      for (unsigned i = kids.length; i-- > 0;) {
        const GumboNode* k = static_cast<const GumboNode*>(kids.data[i]);
        if (k->type != GUMBO_NODE_ELEMENT) continue;
        const GumboTag t = k->v.element.tag;
        if (t == GUMBO_TAG_TR) trs.push_back(k);
        else if (t == GUMBO_TAG_THEAD || t == GUMBO_TAG_TBODY || t == GUMBO_TAG_TFOOT) stack.push_back(k);
        else if (t == GUMBO_TAG_CAPTION) Children(k, &caption);
      }
    }
    std::reverse(trs.begin(), trs.end());
    // The stack visits sections in reverse; re-sort rows by document position.
    std::sort(trs.begin(), trs.end(), [](const GumboNode* a, const GumboNode* b) {
      return a->v.element.start_pos.offset < b->v.element.start_pos.offset;
    });
    std::vector<TableRow> rows;
    std::map<size_t, std::pair<int, std::string>> down;  // column -> rows still covered, text
    for (const GumboNode* tr : trs) {
      TableRow row;
      auto fill_down = [&] {
        for (auto it = down.find(row.size()); it != down.end() && it->second.first > 0; it = down.find(row.size()))
          row.push_back(it->second.second);
      };
      const GumboVector& cells = tr->v.element.children;
      for (unsigned i = 0; i < cells.length; ++i) {
        const GumboNode* td = static_cast<const GumboNode*>(cells.data[i]);
        if (td->type != GUMBO_NODE_ELEMENT ||
            (td->v.element.tag != GUMBO_TAG_TD && td->v.element.tag != GUMBO_TAG_TH))
          continue;
        fill_down();
        std::string text;
        Children(td, &text);
        text = CollapseSpace(text);
        const char* cs = AttrOf(td->v.element, "colspan");
        const char* rs = AttrOf(td->v.element, "rowspan");
        const int colspan = std::clamp(cs ? std::atoi(cs) : 1, 1, 100);
        const int rowspan = std::clamp(rs ? std::atoi(rs) : 1, 1, 1000);
        for (int c = 0; c < colspan; ++c) {
          if (rowspan > 1) down[row.size()] = {rowspan, text};
          row.push_back(text);
        }
      }
      fill_down();
      for (auto& [col, d] : down) --d.first;
      rows.push_back(std::move(row));
    }
    if (!CollapseSpace(caption).empty()) out_.Paragraph(caption);
    size_t cols = 0;
    for (const TableRow& r : rows) cols = std::max(cols, r.size());
    if (cols <= 1) {
      for (const TableRow& r : rows)
        if (!r.empty()) out_.Paragraph(r[0]);
      return;
    }
    out_.Table(rows);
  }

  PageWriter& out_;
  HtmlFacts* facts_;
  std::string para_;
};

const GumboNode* FindMain(const GumboNode* n, int* articles, const GumboNode** article) {
  if (n->type != GUMBO_NODE_ELEMENT) return nullptr;
  const GumboElement& e = n->v.element;
  if (e.tag == GUMBO_TAG_MAIN || AttrIs(e, "role", "main")) return n;
  if (e.tag == GUMBO_TAG_ARTICLE) {
    ++*articles;
    *article = n;
  }
  if (Dropped(e)) return nullptr;
  for (unsigned i = 0; i < e.children.length; ++i)
    if (const GumboNode* m = FindMain(static_cast<const GumboNode*>(e.children.data[i]), articles, article))
      return m;
  return nullptr;
}

const GumboNode* FindTag(const GumboNode* n, GumboTag tag) {
  if (n->type != GUMBO_NODE_ELEMENT) return nullptr;
  if (n->v.element.tag == tag) return n;
  for (unsigned i = 0; i < n->v.element.children.length; ++i)
    if (const GumboNode* m = FindTag(static_cast<const GumboNode*>(n->v.element.children.data[i]), tag)) return m;
  return nullptr;
}

// charset=... from the first 2 KB (meta charset, http-equiv, XML declaration).
std::string SniffCharset(std::string_view head) {
  std::string h = AsciiLower(std::string(head.substr(0, 2048)));
  for (const char* key : {"charset=", "encoding="}) {
    size_t at = h.find(key);
    while (at != std::string::npos) {
      size_t p = at + std::strlen(key);
      while (p < h.size() && (h[p] == '"' || h[p] == '\'' || h[p] == ' ')) ++p;
      size_t end = p;
      while (end < h.size() && (std::isalnum(static_cast<unsigned char>(h[end])) || h[end] == '-' || h[end] == '_' ||
                                h[end] == ':' || h[end] == '.'))
        ++end;
      if (end > p) return h.substr(p, end - p);
      at = h.find(key, at + 1);
    }
  }
  return "";
}

}  // namespace

std::string HtmlRedirectTarget(std::string_view head) {
  head = head.substr(0, 8192);
  const std::string lower = AsciiLower(head);
  // The value of attribute `name` in the tag text `tag` (lower-cased), as
  // offsets into it: quoted with " or ', or bare up to a space.
  auto attr = [](std::string_view tag, std::string_view name) -> std::pair<size_t, size_t> {
    for (size_t at = tag.find(name); at != std::string_view::npos; at = tag.find(name, at + 1)) {
      if (at == 0 || !IsAsciiSpace(tag[at - 1])) continue;
      size_t p = at + name.size();
      while (p < tag.size() && IsAsciiSpace(tag[p])) ++p;
      if (p >= tag.size() || tag[p] != '=') continue;
      ++p;
      while (p < tag.size() && IsAsciiSpace(tag[p])) ++p;
      if (p < tag.size() && (tag[p] == '"' || tag[p] == '\'')) {
        const size_t end = tag.find(tag[p], p + 1);
        return {p + 1, end == std::string_view::npos ? tag.size() : end};
      }
      size_t end = p;
      while (end < tag.size() && !IsAsciiSpace(tag[end]) && tag[end] != '/') ++end;
      return {p, end};
    }
    return {std::string_view::npos, 0};
  };
  for (size_t at = lower.find("<meta"); at != std::string::npos; at = lower.find("<meta", at + 5)) {
    const size_t close = lower.find('>', at);
    if (close == std::string::npos) break;
    const std::string_view tag = std::string_view(lower).substr(at, close - at);
    auto [eq_begin, eq_end] = attr(tag, "http-equiv");
    if (eq_begin == std::string_view::npos || Trim(tag.substr(eq_begin, eq_end - eq_begin)) != "refresh") continue;
    auto [c_begin, c_end] = attr(tag, "content");
    if (c_begin == std::string_view::npos) continue;
    // "<delay>; url=<target>" (or "," before url, and "url" optional)
    const std::string_view content = tag.substr(c_begin, c_end - c_begin);
    size_t p = 0;
    while (p < content.size() && IsAsciiSpace(content[p])) ++p;
    size_t digits = p;
    while (digits < content.size() && (IsAsciiDigit(content[digits]) || content[digits] == '.')) ++digits;
    if (digits == p || std::atof(std::string(content.substr(p, digits - p)).c_str()) > 1.0) continue;
    p = digits;
    while (p < content.size() && (IsAsciiSpace(content[p]) || content[p] == ';' || content[p] == ',')) ++p;
    if (content.substr(p, 3) == "url") {
      size_t q = p + 3;
      while (q < content.size() && IsAsciiSpace(content[q])) ++q;
      if (q < content.size() && content[q] == '=') p = q + 1;
    }
    while (p < content.size() && (IsAsciiSpace(content[p]) || content[p] == '\'' || content[p] == '"')) ++p;
    size_t end = content.size();
    while (end > p && (IsAsciiSpace(content[end - 1]) || content[end - 1] == '\'' || content[end - 1] == '"')) --end;
    if (end > p) return std::string(head.substr(at + c_begin + p, end - p));  // the original case
  }
  return "";
}

Result<std::string> DecodeHtml(std::string bytes, const std::string& name, const std::string& declared) {
  if (bytes.rfind("\xEF\xBB\xBF", 0) == 0) bytes.erase(0, 3);
  else if (bytes.rfind("\xFF\xFE", 0) == 0 || bytes.rfind("\xFE\xFF", 0) == 0) {
    Result<std::string> u = ConvertToUtf8(std::string_view(bytes).substr(2), bytes[0] == '\xFF' ? "UTF-16LE" : "UTF-16BE");
    if (!u.ok()) return u.status().Annotate(name);
    return u;
  }
  std::vector<std::string> candidates;
  if (!declared.empty()) candidates.push_back(AsciiLower(declared));
  if (std::string sniffed = SniffCharset(bytes); !sniffed.empty()) candidates.push_back(sniffed);
  for (std::string cs : candidates) {
    if (cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii") {
      if (FirstInvalidUtf8(bytes) == std::string::npos) return bytes;
      continue;  // declared UTF-8 but it is not: detect below
    }
    // Browsers read ISO-8859-1 as windows-1252 (WHATWG encoding spec).
    if (cs == "iso-8859-1" || cs == "latin1" || cs == "latin-1") cs = "windows-1252";
    Result<std::string> u = ConvertToUtf8(bytes, cs.c_str());
    if (u.ok()) return u;
  }
  if (FirstInvalidUtf8(bytes) == std::string::npos) return bytes;
  const std::string detected = DetectCharset(bytes);
  if (!detected.empty() && detected != "ASCII" && detected != "UTF-8") {
    Result<std::string> u = ConvertToUtf8(bytes, detected.c_str());
    if (u.ok()) return u;
  }
  return RepairUtf8(bytes);
}

Status HtmlToMarkdown(std::string_view html, const std::string& name, MemoryBudget& budget, PageWriter& out,
                      HtmlFacts* facts) {
  GumboArena arena;
  arena.budget = &budget;
  arena.out = &out;
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 100;  // error records are kept in memory; we do not read them
  options.allocator = ArenaAlloc;
  options.deallocator = ArenaFree;
  options.userdata = &arena;
  GumboOutput* parsed = ParseInArena(&arena, &options, html.data(), html.size());
  if (!parsed) {
    ArenaFreeAll(&arena);
    if (arena.interrupted) return out.Interrupted();
    return budget.ExceededError(name);
  }
  std::unique_ptr<GumboOutput, std::function<void(GumboOutput*)>> doc(parsed, [options, &arena](GumboOutput* o) {
    gumbo_destroy_output(&options, o);
    ArenaFreeAll(&arena);
  });
  if (const int depth = TreeDepth(doc->root); depth > kMaxNesting)
    return Status::InvalidInput(name + ": HTML elements nested more than " + std::to_string(kMaxNesting) +
                                " deep; refused (such nesting is an attack or a broken generator)");
  if (const GumboNode* title = FindTag(doc->root, GUMBO_TAG_TITLE)) {
    std::string t;
    RawText(title, &t);
    facts->title = CollapseSpace(t);
  }
  int articles = 0;
  const GumboNode* article = nullptr;
  const GumboNode* root = FindMain(doc->root, &articles, &article);
  if (!root && articles == 1) root = article;
  if (!root) root = FindTag(doc->root, GUMBO_TAG_BODY);
  if (!root) root = doc->root;
  HtmlWriter writer(out, facts);
  writer.ChildBlocks(root, -1);
  writer.FlushParagraph(-1);
  return out.status();
}

}  // namespace docpipe
