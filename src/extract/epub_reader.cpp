// EPUB: the package document (META-INF/container.xml -> OPF) gives the spine;
// each spine item (XHTML) is one page, read by the HTML path. The table of
// contents (EPUB 3 nav or EPUB 2 NCX) names chapters that have no heading of
// their own, so breadcrumbs still say where a passage is.
#include <map>
#include <vector>

#include <fmt/format.h>

#include "common/strings.h"
#include "extract/html_markdown.h"
#include "extract/xml_part.h"
#include "extract/zip_formats.h"

namespace docpipe {
namespace {

using pugi::xml_node;

std::string WithoutFragment(const std::string& href) {
  const size_t hash = href.find('#');
  const std::string path = hash == std::string::npos ? href : href.substr(0, hash);
  Result<std::string> decoded = UriDecode(path, /*plus_is_space=*/false);
  return decoded.ok() ? *decoded : path;  // a stray '%' is taken literally
}

struct TocEntry {
  int level;
  std::string title;
};

class EpubReader {
 public:
  explicit EpubReader(ZipReadContext& c) : c_(c) {}

  Status Read() {
    c_.summary.format = "epub";
    Result<XmlDocumentPtr> container = c_.Xml("META-INF/container.xml");
    if (!container.ok()) return container.status().Annotate("EPUB without a readable container");
    pugi::xpath_node rootfile = (*container)->select_node("//*[local-name()='rootfile']");
    const std::string opf = rootfile ? AttrValue(rootfile.node(), "full-path") : "";
    if (opf.empty()) return Status::InvalidInput(c_.name + ": EPUB container names no package document");
    Result<XmlDocumentPtr> package = c_.Xml(opf);
    if (!package.ok()) return package.status();
    xml_node pkg = Child(**package, "package");
    if (pugi::xpath_node t = pkg.select_node(".//*[local-name()='metadata']/*[local-name()='title']"))
      c_.summary.title = CollapseSpace(t.node().text().get());
    std::map<std::string, xml_node> manifest;
    std::string nav, ncx;
    for (xml_node item : Child(pkg, "manifest").children()) {
      if (!IsElement(item, "item")) continue;
      manifest[AttrValue(item, "id")] = item;
      const std::string href = ResolvePartPath(opf, WithoutFragment(AttrValue(item, "href")));
      if (AttrValue(item, "properties").find("nav") != std::string::npos) nav = href;
      if (AttrValue(item, "media-type") == "application/x-dtbncx+xml") ncx = href;
    }
    xml_node spine = Child(pkg, "spine");
    if (ncx.empty()) {
      auto it = manifest.find(AttrValue(spine, "toc"));
      if (it != manifest.end()) ncx = ResolvePartPath(opf, WithoutFragment(AttrValue(it->second, "href")));
    }
    LoadToc(nav, ncx);
    int page = 0;
    for (xml_node ref : spine.children()) {
      if (!IsElement(ref, "itemref")) continue;
      auto it = manifest.find(AttrValue(ref, "idref"));
      if (it == manifest.end()) continue;
      const std::string type = AttrValue(it->second, "media-type");
      if (type != "application/xhtml+xml" && type != "text/html") continue;
      const std::string part = ResolvePartPath(opf, WithoutFragment(AttrValue(it->second, "href")));
      if (!c_.zip.Has(part)) {
        c_.Warn("spine item " + part + " is missing");
        continue;
      }
      if (page++ > 0) DOCPIPE_RETURN_IF_ERROR(c_.out.BreakPage(/*force=*/true));
      DOCPIPE_RETURN_IF_ERROR(Chapter(part));
    }
    if (page == 0) return Status::InvalidInput(c_.name + ": EPUB spine lists no XHTML content");
    return c_.out.status();
  }

 private:
  Status Chapter(const std::string& part) {
    Result<std::string> bytes = c_.zip.Read(part);
    if (!bytes.ok()) return bytes.status();
    Result<std::string> html = DecodeHtml(std::move(*bytes), c_.name + ": " + part);
    if (!html.ok()) return html.status();
    // A chapter without headings gets its TOC title, so its text has a breadcrumb.
    auto toc = toc_.find(part);
    std::string pending_title;
    PageWriter& out = c_.out;
    HtmlFacts facts;
    if (toc != toc_.end() && !HasHeading(*html)) out.Heading(toc->second.level, toc->second.title);
    return HtmlToMarkdown(*html, c_.name + ": " + part, c_.budget, out, &facts);
  }

  static bool HasHeading(const std::string& html) {
    for (const char* h : {"<h1", "<h2", "<h3", "<h4", "<h5", "<h6", "<H1", "<H2", "<H3"})
      if (html.find(h) != std::string::npos) return true;
    return false;
  }

  void LoadToc(const std::string& nav, const std::string& ncx) {
    if (!nav.empty() && c_.zip.Has(nav)) {
      Result<XmlDocumentPtr> doc = c_.Xml(nav);
      if (doc.ok()) {
        for (pugi::xpath_node n : (*doc)->select_nodes("//*[local-name()='nav']")) {
          const std::string type = AttrValue(n.node(), "type");
          if (!type.empty() && type != "toc") continue;
          NavList(Child(n.node(), "ol"), 1, nav);
          break;
        }
      }
    }
    if (toc_.empty() && !ncx.empty() && c_.zip.Has(ncx)) {
      Result<XmlDocumentPtr> doc = c_.Xml(ncx);
      if (doc.ok()) NavPoints(Child(Child(**doc, "ncx"), "navMap"), 1, ncx);
    }
  }

  void NavList(const xml_node& ol, int level, const std::string& base) {
    for (xml_node li : ol.children()) {
      if (!IsElement(li, "li")) continue;
      xml_node a = Child(li, "a");
      const std::string href = AttrValue(a, "href");
      std::string title = CollapseSpace(a.text().get());
      if (title.empty()) {
        for (pugi::xpath_node t : a.select_nodes(".//text()")) title += t.node().value();
        title = CollapseSpace(title);
      }
      if (!href.empty() && !title.empty()) toc_.emplace(ResolvePartPath(base, WithoutFragment(href)), TocEntry{level, title});
      if (xml_node sub = Child(li, "ol")) NavList(sub, std::min(level + 1, 6), base);
    }
  }

  void NavPoints(const xml_node& parent, int level, const std::string& base) {
    for (xml_node p : parent.children()) {
      if (!IsElement(p, "navPoint")) continue;
      const std::string title = CollapseSpace(Child(Child(p, "navLabel"), "text").text().get());
      const std::string src = AttrValue(Child(p, "content"), "src");
      if (!src.empty() && !title.empty()) toc_.emplace(ResolvePartPath(base, WithoutFragment(src)), TocEntry{level, title});
      NavPoints(p, std::min(level + 1, 6), base);
    }
  }

  ZipReadContext& c_;
  std::map<std::string, TocEntry> toc_;  // first entry per file
};

}  // namespace

Status ReadEpub(ZipReadContext& c) {
  EpubReader reader(c);
  return reader.Read();
}

}  // namespace docpipe
