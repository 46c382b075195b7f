#pragma once

#include <pugixml.hpp>

#include <memory>
#include <string>

#include "common/status.h"
#include "extract/extract_limits.h"

namespace docpipe {

// Deletes a document ParseXmlPart made (its own type, whose destructor
// returns the tree's memory to the budget it was parsed under; pugi's
// destructor is not virtual).
struct XmlDocumentDeleter {
  void operator()(pugi::xml_document* doc) const;
};
using XmlDocumentPtr = std::unique_ptr<pugi::xml_document, XmlDocumentDeleter>;

// An XML part of a container (OOXML, ODF, EPUB), parsed with pugixml. pugixml
// never reads a DTD, so entities (external or billion-laughs) are never
// expanded: an undeclared "&name;" stays as literal text. The tree counts
// against `budget`; a document that would pass it fails with the budget's
// error instead of exhausting memory.
// Returns InvalidInput naming `name` (e.g. "a.docx: word/document.xml") for
// malformed XML or a budget overrun.
Result<XmlDocumentPtr> ParseXmlPart(std::string xml, const std::string& name,
                                                          MemoryBudget& budget);

// Attribute or child lookups that ignore the namespace prefix ("w:val" and
// "val" both match "val"): documents use varying prefixes for one namespace.
const char* LocalName(const pugi::xml_node& node);
bool IsElement(const pugi::xml_node& node, const char* local_name);
pugi::xml_node Child(const pugi::xml_node& node, const char* local_name);
pugi::xml_attribute Attr(const pugi::xml_node& node, const char* local_name);
std::string AttrValue(const pugi::xml_node& node, const char* local_name);
// The relationship id of an element: a prefixed "id" attribute ("r:id"),
// never the element's own unprefixed id (p:sldId has both).
std::string RelId(const pugi::xml_node& node);

}  // namespace docpipe
