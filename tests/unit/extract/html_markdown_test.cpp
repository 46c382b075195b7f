// HTML to Markdown: the navigation that generated manuals (Texinfo, DocBook,
// latex2html, gtk-doc, valgrind's) put on every page is dropped, and what
// only looks like it (prose with links, contents lists, an index) is kept.
// The pages are cut down from real ones of each generator; the last tests
// read real manuals from Debian packages.
#include "extract/html_markdown.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace docpipe {
namespace {

std::string ToMarkdown(const std::string& html) {
  ExtractSummary summary;
  std::vector<std::string> pages;
  ExtractOptions options;
  const PageSink sink = [&](ExtractedPage&& p) {
    pages.push_back(p.markdown);
    return Status::Ok();
  };
  PageWriter out("page.html", options, sink, &summary);  // keeps a reference to the sink
  MemoryBudget budget(64 << 20);
  HtmlFacts facts;
  Status s = HtmlToMarkdown(html, "page.html", budget, out, &facts);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(out.Finish().ok());
  std::string all;
  for (const std::string& p : pages) all += p;
  return all;
}

std::string Page(const std::string& body) { return "<html><head><title>T</title></head><body>" + body + "</body></html>"; }

TEST(HtmlMarkdownTest, TexinfoNavigationBarIsDroppedItsSectionMenuKept) {
  // Texinfo 6/7: a header bar with rel and access keys; the section menu's
  // entries have digit access keys and are a contents list.
  const std::string md = ToMarkdown(Page(
      "<div class=\"section\" id=\"Quiver-Group\"><div class=\"header\"><p>"
      "Next: <a href=\"Stair-Group.html\" accesskey=\"n\" rel=\"next\">Stair Group</a>, "
      "Previous: <a href=\"Line-Series.html\" accesskey=\"p\" rel=\"prev\">Line Series</a>, "
      "Up: <a href=\"Object-Groups.html\" accesskey=\"u\" rel=\"up\">Object Groups</a> &nbsp; "
      "[<a href=\"index.html#SEC_Contents\" title=\"Table of contents\" rel=\"contents\">Contents</a>]"
      "[<a href=\"Concept-Index.html\" title=\"Index\" rel=\"index\">Index</a>]</p></div>"
      "<h4 class=\"subsubsection\">Quiver Group</h4><p>Vector fields are drawn by quiver.</p>"
      "<ul class=\"section-toc\"><li><a href=\"Structures.html\" accesskey=\"1\">Structures</a></li>"
      "<li><a href=\"Cell-Arrays.html\" accesskey=\"2\">Cell Arrays</a></li></ul></div>"));
  EXPECT_EQ(md,
            "#### Quiver Group\n\nVector fields are drawn by quiver.\n\n"
            "- [Structures](Structures.html)\n- [Cell Arrays](Cell-Arrays.html)");
}

TEST(HtmlMarkdownTest, TexinfoFootBarWithLabelsOnlyIsDropped) {
  // The bar Texinfo repeats at the foot of a long page: only its Contents
  // and Index links carry rel; the others are known by their labels.
  EXPECT_EQ(ToMarkdown(Page("<h3>4.5 Bit Manipulations</h3><p>Shifts.</p><hr><div class=\"header\"><p>"
                            "Next: <a href=\"Logical-Values.html\">Logical Values</a>, Previous: "
                            "<a href=\"Integer-Data-Types.html\">Integer Data Types</a>, Up: "
                            "<a href=\"Numeric-Data-Types.html\">Numeric Data Types</a> &nbsp; "
                            "[<a href=\"index.html#SEC_Contents\" rel=\"contents\">Contents</a>]"
                            "[<a href=\"Concept-Index.html\" rel=\"index\">Index</a>]</p></div>")),
            "### 4.5 Bit Manipulations\n\nShifts.");
  // A label in prose does not make its sentence a bar.
  EXPECT_EQ(ToMarkdown(Page("<p>Up: <a href=\"a.html\">the overview</a> explains the whole of the toolkit's "
                            "design and why it is so, before <a href=\"b.html\">the details</a>.</p>")),
            "Up: [the overview](a.html) explains the whole of the toolkit's design and why it is so, before "
            "[the details](b.html).");
}

TEST(HtmlMarkdownTest, TexinfoIndexUnderItsOwnNavigationBarIsKept) {
  // The bar and the index share a section: the section has a heading and
  // mostly ordinary links, so only the bar goes.
  const std::string md = ToMarkdown(Page(
      "<div class=\"unnumbered\" id=\"Concept-index\"><div class=\"header\"><p>"
      "Previous: <a href=\"#GNU-FDL\" accesskey=\"p\" rel=\"prev\">GNU Free Documentation License</a>, "
      "Up: <a href=\"#Top\" accesskey=\"u\" rel=\"up\">Time</a> &nbsp; "
      "[<a href=\"#SEC_Contents\" rel=\"contents\">Contents</a>]</div>"
      "<h2 class=\"unnumbered\">Concept index</h2><table class=\"index-cp\">"
      "<tr><td></td><td><a href=\"#index-bug-reporting\">bug reporting</a>:</td>"
      "<td><a href=\"#Reporting-bugs\">Reporting bugs</a></td></tr>"
      "<tr><td></td><td><a href=\"#index-format\">format</a>:</td>"
      "<td><a href=\"#Setting-Format\">Setting Format</a></td></tr></table></div>"));
  EXPECT_EQ(md.find("Previous"), std::string::npos) << md;
  EXPECT_EQ(md.find("GNU Free Documentation License"), std::string::npos) << md;
  EXPECT_NE(md.find("## Concept index"), std::string::npos) << md;
  EXPECT_NE(md.find("bug reporting:"), std::string::npos) << md;
  EXPECT_NE(md.find("Setting Format"), std::string::npos) << md;
}

TEST(HtmlMarkdownTest, DocBookAndValgrindNavigationByClassIsDropped) {
  const std::string md = ToMarkdown(Page(
      "<div class=\"navheader\"><table width=\"100%\"><tr><th colspan=\"3\">Chapter 2. Overview</th></tr>"
      "<tr><td><a accesskey=\"p\" href=\"ch01.html\">Prev</a></td><th>Shared MIME-info Database</th>"
      "<td><a accesskey=\"n\" href=\"ch03.html\">Next</a></td></tr></table><hr></div>"
      "<div><table class=\"nav\"><tr><td><a href=\"hg-manual.html\"><img src=\"left.png\" alt=\"Prev\"></a></td>"
      "<th>Valgrind User Manual</th></tr></table></div>"
      "<h2>2. Overview</h2><p>The database holds MIME types.</p>"
      "<div class=\"navfooter\"><table><tr><td><a href=\"ch01.html\">Introduction</a></td>"
      "<td><a href=\"index.html\">Home</a></td><td><a href=\"ch03.html\">Unified system</a></td></tr></table></div>"));
  EXPECT_EQ(md, "## 2. Overview\n\nThe database holds MIME types.");
}

TEST(HtmlMarkdownTest, Latex2HtmlPanelsAreDroppedWithOrWithoutTheirClass) {
  const std::string panel =
      "<a name=\"tex2html1\" href=\"node308.html\"><img width=\"37\" alt=\"next\" src=\"next.png\"></a> "
      "<a name=\"tex2html2\" href=\"node302.html\"><img alt=\"up\" src=\"up.png\"></a> "
      "<a name=\"tex2html3\" href=\"node306.html\"><img alt=\"previous\" src=\"prev.png\"></a> "
      "<a name=\"tex2html4\" href=\"node649.html\"><img alt=\"index\" src=\"index.png\"></a><br>"
      "<b> Next:</b> <a name=\"tex2html5\" href=\"node308.html\">Weekdate_iso</a> "
      "<b> Up:</b> <a name=\"tex2html6\" href=\"node302.html\">Format</a> "
      "<b> Previous:</b> <a name=\"tex2html7\" href=\"node306.html\">Examples</a>";
  // gnuplot's manual wraps each panel in a div of class "navigation"; older
  // latex2html leaves it bare in a paragraph.
  EXPECT_EQ(ToMarkdown(Page("<div class=\"navigation\">" + panel + "</div><h3>Time/date</h3><p>Days.</p>")),
            "### Time/date\n\nDays.");
  EXPECT_EQ(ToMarkdown(Page("<p>" + panel + "</p><h3>Time/date</h3><p>Days.</p>")), "### Time/date\n\nDays.");
}

TEST(HtmlMarkdownTest, ProseAndOrdinaryLinkListsAreKept) {
  // Links with rel=next/up inside a sentence, the words "Next" and "Up" in
  // text, and a list of ordinary links: none is navigation furniture.
  EXPECT_EQ(ToMarkdown(Page("<p>See the <a rel=\"next\" href=\"b.html\">next section</a> and the "
                            "<a rel=\"up\" href=\"a.html\">overview of the whole toolkit</a> for details.</p>")),
            "See the [next section](b.html) and the [overview of the whole toolkit](a.html) for details.");
  EXPECT_EQ(ToMarkdown(Page("<p>Next: press Up, then Home.</p>")), "Next: press Up, then Home.");
  EXPECT_EQ(ToMarkdown(Page("<ul><li><a href=\"a.html\">Introduction</a></li><li><a href=\"b.html\">Usage</a></li>"
                            "<li><a href=\"index.html\">Index</a></li></ul>")),
            "- [Introduction](a.html)\n- [Usage](b.html)\n- [Index](index.html)");
  // A short page: its bar goes, its one short paragraph stays.
  EXPECT_EQ(ToMarkdown(Page("<div><p><a rel=\"prev\" href=\"a.html\">Previous page</a> | "
                            "<a rel=\"next\" href=\"c.html\">Next page</a></p><p>Short content.</p></div>")),
            "Short content.");
  // A DocBook "sidebar" is body text, a Doxygen "header" holds the title.
  EXPECT_EQ(ToMarkdown(Page("<div class=\"header\"><div class=\"title\">Foo Class Reference</div></div>"
                            "<div class=\"sidebar\"><p>A note beside the text.</p></div>")),
            "Foo Class Reference\n\nA note beside the text.");
}

TEST(HtmlMarkdownTest, ManyNestedPanelsStayLinear) {
  // Each level would be a panel on its own; the bounded walk keeps the check
  // from re-reading the whole subtree at every level.
  std::string html;
  for (int i = 0; i < 400; ++i)
    html += "<div><a rel=\"next\" href=\"n.html\">Next</a><a rel=\"prev\" href=\"p.html\">Prev</a>";
  html += "<p>deep text that is long enough to be kept as content, not a bar of links</p>";
  for (int i = 0; i < 400; ++i) html += "</div>";
  const std::string md = ToMarkdown(Page(html));
  EXPECT_NE(md.find("deep text"), std::string::npos);
}

TEST(HtmlMarkdownTest, RedirectTargetOfAnImmediateRefreshOnly) {
  EXPECT_EQ(HtmlRedirectTarget("<html><head><meta http-equiv=\"Refresh\" content=\"0; url=Audio.html#XREFlin2mu\">"
                               "</head><body>The node you are looking for is at ...</body></html>"),
            "Audio.html#XREFlin2mu");
  EXPECT_EQ(HtmlRedirectTarget("<META HTTP-EQUIV=REFRESH CONTENT=\"1;URL='New Page.HTML'\">"), "New Page.HTML");
  EXPECT_EQ(HtmlRedirectTarget("<meta content='0,https://example.org/a' http-equiv='refresh' />"),
            "https://example.org/a");
  // Not redirects: a delayed refresh (the page is read first), a reload of
  // itself, another http-equiv, and a refresh past the first 8 KB.
  EXPECT_EQ(HtmlRedirectTarget("<meta http-equiv=\"refresh\" content=\"5; url=next.html\">"), "");
  EXPECT_EQ(HtmlRedirectTarget("<meta http-equiv=\"refresh\" content=\"0\">"), "");
  EXPECT_EQ(HtmlRedirectTarget("<meta http-equiv=\"content-type\" content=\"0; url=x\">"), "");
  EXPECT_EQ(HtmlRedirectTarget("<meta data-http-equiv=\"refresh\" content=\"0; url=x\">"), "");
  EXPECT_EQ(HtmlRedirectTarget(std::string(9000, ' ') + "<meta http-equiv=\"refresh\" content=\"0; url=x\">"), "");
  EXPECT_EQ(HtmlRedirectTarget("<meta http-equiv=\"refresh\" content=\"0; url=x\""), "");  // no '>' in the head
}

std::string ReadReal(const std::string& path, const std::string& package) {
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) {
    ADD_FAILURE() << path << " is missing: apt-get install -y " << package;
    return "";
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(HtmlMarkdownTest, RealTexinfoAndLatex2HtmlManualsFromDebian) {
  // Octave's manual (Texinfo) and gnuplot's (latex2html): every page opens
  // with a navigation bar; gnuplot's closes with a second one.
  const std::string octave =
      ToMarkdown(ReadReal("/usr/share/doc/octave/octave.html/Quiver-Group.html", "octave-doc"));
  EXPECT_EQ(octave.find("Next:"), std::string::npos) << octave.substr(0, 400);
  EXPECT_EQ(octave.find("Stair Group"), std::string::npos) << octave.substr(0, 400);
  EXPECT_EQ(octave.rfind("#### 15.4.6.7 Quiver Group\n\nQuiver series objects", 0), 0u) << octave.substr(0, 400);
  const std::string gnuplot = ToMarkdown(ReadReal("/usr/share/doc/gnuplot/htmldocs/node307.html", "gnuplot-doc"));
  EXPECT_EQ(gnuplot.find("(Image: next)"), std::string::npos) << gnuplot;
  EXPECT_EQ(gnuplot.find("Previous:"), std::string::npos) << gnuplot;
  EXPECT_EQ(gnuplot.rfind("### Tm_week\n\nThe tm_week(t, standard) function", 0), 0u) << gnuplot;
  EXPECT_NE(gnuplot.find("the previous calendar year. E.g. Fri 1 Jan 2021"), std::string::npos) << gnuplot;
}

}  // namespace
}  // namespace docpipe
