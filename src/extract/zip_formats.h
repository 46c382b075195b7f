#pragma once

#include <map>
#include <memory>
#include <string>

#include <pugixml.hpp>

#include "common/status.h"
#include "extract/format_options.h"
#include "extract/markdown_writer.h"
#include "extract/xml_part.h"
#include "extract/zip_archive.h"

// Internal to src/extract: the readers of zip-based formats, called by the
// zip document extractor once the container's own content says which format
// it holds.
namespace docpipe {

struct ZipReadContext {
  ZipArchive& zip;
  const std::string& name;  // the input, for errors
  const FormatOptions& options;
  MemoryBudget& budget;
  PageWriter& out;
  ExtractSummary& summary;

  //! Reads and parses an XML member; errors name the input and the member.
  Result<XmlDocumentPtr> Xml(const std::string& member);
  //! Adds a warning (kept in the summary, first few verbatim).
  void Warn(std::string warning);
};

struct Relationship {
  std::string target;  // member name (resolved) or URL when external
  std::string type;    // last segment of the type URI ("hyperlink", "image", "slide", ...)
  bool external = false;
};
using Relationships = std::map<std::string, Relationship>;  // by Id

// The relationships of `part` (its _rels/<file>.rels); empty when it has none.
Result<Relationships> ReadRelationships(ZipReadContext& c, const std::string& part);

Status ReadDocx(ZipReadContext& c, const std::string& main_part);
Status ReadPptx(ZipReadContext& c, const std::string& main_part);
Status ReadXlsx(ZipReadContext& c, const std::string& main_part);
Status ReadOdf(ZipReadContext& c, const std::string& mimetype);
Status ReadEpub(ZipReadContext& c);

}  // namespace docpipe
