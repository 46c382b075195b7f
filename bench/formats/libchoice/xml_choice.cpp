// XML parser choice for OOXML/ODF/EPUB parts: pugixml (DOM) against libxml2
// (DOM and its streaming reader) on one file, and how each treats external
// and expanding entities. Usage:
//   xml_choice pugixml|libxml2-dom|libxml2-reader|read FILE [REPEAT]
//   xml_choice entities
// Prints the best wall time of REPEAT parses and the text bytes seen (the
// same walk for each parser); peak RSS is measured outside (/usr/bin/time).
#include <libxml/parser.h>
#include <libxml/xmlreader.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <pugixml.hpp>
#include <sstream>
#include <string>

namespace {

std::string Slurp(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t WalkPugi(const pugi::xml_node& n) {
  size_t t = 0;
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) t += std::strlen(c.value());
    else t += WalkPugi(c);
  }
  return t;
}

size_t WalkXml2(xmlNode* n) {
  size_t t = 0;
  for (xmlNode* c = n->children; c; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) t += c->content ? std::strlen((char*)c->content) : 0;
    else if (c->type == XML_ENTITY_REF_NODE) t += 0;
    else t += WalkXml2(c);
  }
  return t;
}

// The options docpipe would use with libxml2: no network, no DTD loading, no
// entity substitution (XML_PARSE_NOENT would resolve external entities).
constexpr int kXml2Options = XML_PARSE_NONET | XML_PARSE_COMPACT | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

long ParsePugi(const std::string& xml, std::string* err) {
  pugi::xml_document doc;
  pugi::xml_parse_result r =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single, pugi::encoding_auto);
  if (!r) {
    *err = r.description();
    return -1;
  }
  return static_cast<long>(WalkPugi(doc));
}

long ParseXml2Dom(const std::string& xml, std::string* err) {
  xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "part.xml", nullptr, kXml2Options);
  if (!doc) {
    const xmlError* e = xmlGetLastError();
    *err = e && e->message ? e->message : "parse error";
    return -1;
  }
  long t = static_cast<long>(WalkXml2(xmlDocGetRootElement(doc)));
  xmlFreeDoc(doc);
  return t;
}

long ParseXml2Reader(const std::string& xml, std::string* err) {
  xmlTextReader* r = xmlReaderForMemory(xml.data(), static_cast<int>(xml.size()), "part.xml", nullptr, kXml2Options);
  if (!r) {
    *err = "cannot create reader";
    return -1;
  }
  long t = 0;
  int ret;
  while ((ret = xmlTextReaderRead(r)) == 1) {
    int type = xmlTextReaderNodeType(r);
    if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
      const xmlChar* v = xmlTextReaderConstValue(r);
      if (v) t += static_cast<long>(std::strlen((const char*)v));
    }
  }
  xmlFreeTextReader(r);
  if (ret != 0) {
    const xmlError* e = xmlGetLastError();
    *err = e && e->message ? e->message : "parse error";
    return -1;
  }
  return t;
}

long Parse(const std::string& mode, const std::string& xml, std::string* err) {
  if (mode == "pugixml") return ParsePugi(xml, err);
  if (mode == "libxml2-dom") return ParseXml2Dom(xml, err);
  if (mode == "libxml2-reader") return ParseXml2Reader(xml, err);
  return static_cast<long>(xml.size());  // "read": the file alone (RSS baseline)
}

std::string TextOfPugi(const std::string& xml) {
  pugi::xml_document doc;
  pugi::xml_parse_result r = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_auto);
  if (!r) return std::string("error: ") + r.description();
  return doc.document_element().text().get();
}

std::string TextOfXml2(const std::string& xml, int options) {
  xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "part.xml", nullptr, options);
  if (!doc) {
    const xmlError* e = xmlGetLastError();
    std::string m = e && e->message ? e->message : "parse error";
    while (!m.empty() && m.back() == '\n') m.pop_back();
    return "error: " + m;
  }
  xmlChar* c = xmlNodeGetContent(xmlDocGetRootElement(doc));
  std::string s = c ? (const char*)c : "";
  xmlFree(c);
  xmlFreeDoc(doc);
  return s;
}

void Entities() {
  const std::string external = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/hostname\">]><x>[&e;]</x>";
  std::string laughs = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY l0 \"ha\">";
  for (int i = 1; i <= 10; ++i)
    laughs += "<!ENTITY l" + std::to_string(i) + " \"" + [&] {
      std::string s;
      for (int k = 0; k < 10; ++k) s += "&l" + std::to_string(i - 1) + ";";
      return s;
    }() + "\">";
  laughs += "]><x>&l10;</x>";
  auto show = [](const char* who, const std::string& text) {
    std::string t = text.size() > 60 ? text.substr(0, 60) + "... (" + std::to_string(text.size()) + " bytes)" : text;
    for (char& c : t)
      if (c == '\n') c = ' ';
    std::printf("  %-44s %s\n", who, t.c_str());
  };
  std::printf("external entity (SYSTEM file:///etc/hostname):\n");
  show("pugixml parse_default", TextOfPugi(external));
  show("libxml2 NONET (no NOENT)", TextOfXml2(external, kXml2Options));
  show("libxml2 NONET|NOENT", TextOfXml2(external, kXml2Options | XML_PARSE_NOENT));
  show("libxml2 NOENT|DTDLOAD (no NONET)", TextOfXml2(external, XML_PARSE_NOENT | XML_PARSE_DTDLOAD));
  std::printf("billion laughs (10^10 'ha'):\n");
  const auto t0 = std::chrono::steady_clock::now();
  show("pugixml parse_default", TextOfPugi(laughs));
  show("libxml2 NONET (no NOENT)", TextOfXml2(laughs, kXml2Options));
  show("libxml2 NONET|NOENT", TextOfXml2(laughs, kXml2Options | XML_PARSE_NOENT));
  std::printf("  (all three in %.3f s)\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "entities") == 0) {
    std::printf("libxml2 %s, pugixml %d\n", LIBXML_DOTTED_VERSION, PUGIXML_VERSION);
    Entities();
    return 0;
  }
  if (argc < 3) {
    std::fprintf(stderr, "usage: xml_choice pugixml|libxml2-dom|libxml2-reader|read FILE [REPEAT] | entities\n");
    return 2;
  }
  const std::string mode = argv[1];
  const int repeat = argc > 3 ? std::atoi(argv[3]) : 3;
  const std::string xml = Slurp(argv[2]);
  double best = 1e9;
  long text = 0;
  for (int i = 0; i < repeat; ++i) {
    std::string err;
    const auto t0 = std::chrono::steady_clock::now();
    text = Parse(mode, xml, &err);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (text < 0) {
      std::fprintf(stderr, "%s: %s\n", mode.c_str(), err.c_str());
      return 1;
    }
    if (s < best) best = s;
  }
  std::printf("%s %s: %.1f MB in %.3f s (%.1f MB/s), text %ld bytes\n", mode.c_str(), argv[2], xml.size() / 1e6, best,
              xml.size() / 1e6 / best, text);
  return 0;
}
