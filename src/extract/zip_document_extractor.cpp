// Zip-based documents (OOXML, ODF, EPUB), recognised by what the archive
// declares about itself ([Content_Types].xml, the ODF/EPUB "mimetype"
// member), and the OLE2 compound files that hold encrypted OOXML or legacy
// binary Office documents (refused with a clear reason).
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "common/strings.h"
#include "extract/extractor.h"
#include "extract/format_options.h"
#include "extract/text_decode.h"
#include "extract/xml_part.h"
#include "extract/zip_formats.h"

namespace docpipe {
namespace {

constexpr size_t kMaxZipWarningSamples = 20;

std::string LastSegment(const std::string& uri) {
  const size_t slash = uri.rfind('/');
  return slash == std::string::npos ? uri : uri.substr(slash + 1);
}

// A relationship's target as a part name: percent-escapes decoded, a stray
// '%' taken literally.
std::string PartName(const std::string& target) {
  Result<std::string> decoded = UriDecode(target, /*plus_is_space=*/false);
  return decoded.ok() ? *decoded : target;
}

enum class ZipKind { kUnknown, kDocx, kPptx, kXlsx, kOdf, kEpub };

struct Detected {
  ZipKind kind = ZipKind::kUnknown;
  std::string main_part;  // OOXML: the main part; ODF/EPUB: the mimetype
};

Result<Detected> Detect(ZipReadContext& c) {
  Detected d;
  if (c.zip.Has("mimetype")) {
    Result<std::string> mt = c.zip.Read("mimetype");
    if (!mt.ok()) return mt.status();
    const std::string m(Trim(*mt));
    if (m == "application/epub+zip") return Detected{ZipKind::kEpub, m};
    if (m.rfind("application/vnd.oasis.opendocument.", 0) == 0) return Detected{ZipKind::kOdf, m};
  }
  if (c.zip.Has("[Content_Types].xml")) {
    Result<XmlDocumentPtr> types = c.Xml("[Content_Types].xml");
    if (!types.ok()) return types.status();
    for (pugi::xml_node o : Child(**types, "Types").children()) {
      if (!IsElement(o, "Override")) continue;
      const std::string ct = AttrValue(o, "ContentType");
      std::string part = AttrValue(o, "PartName");
      if (!part.empty() && part[0] == '/') part.erase(0, 1);
      auto is = [&](const char* needle) { return ct.find(needle) != std::string::npos; };
      if (!is(".main+xml")) continue;
      if (is("wordprocessingml.document") || is("wordprocessingml.template") || is("ms-word.document") ||
          is("ms-word.template"))
        return Detected{ZipKind::kDocx, part};
      if (is("presentationml.presentation") || is("presentationml.slideshow") ||
          is("presentationml.template") || is("ms-powerpoint.presentation") || is("ms-powerpoint.slideshow") ||
          is("ms-powerpoint.template"))
        return Detected{ZipKind::kPptx, part};
      if (is("spreadsheetml.sheet") || is("spreadsheetml.template") || is("ms-excel.sheet") ||
          is("ms-excel.template"))
        return Detected{ZipKind::kXlsx, part};
    }
  }
  return d;
}

class ZipDocumentExtractor final : public Extractor {
 public:
  explicit ZipDocumentExtractor(FormatOptions options) : options_(options) {}

  std::string Format() const override { return "zip"; }

  bool CanHandle(const std::string& key, std::string_view head) const override {
    if (head.substr(0, 4) == std::string_view("PK\x03\x04", 4) || head.substr(0, 4) == std::string_view("PK\x05\x06", 4))
      return true;
    for (const char* s : {".docx", ".docm", ".dotx", ".dotm", ".pptx", ".pptm", ".ppsx", ".potx", ".xlsx", ".xlsm",
                          ".xltx", ".odt", ".odp", ".ods", ".ott", ".otp", ".ots", ".epub"})
      if (HasSuffixIgnoringCase(key, s)) return true;
    return false;
  }

  Result<ExtractSummary> Extract(const std::string& path, const std::string& name, const ExtractOptions& options,
                                 const PageSink& sink) override {
    DOCPIPE_RETURN_IF_ERROR(InputFileSize(path, name).status());
    std::string head(8, '\0');
    {
      std::ifstream in(path, std::ios::binary);
      in.read(head.data(), 8);
      head.resize(static_cast<size_t>(in.gcount()));
    }
    if (head.rfind("\xD0\xCF\x11\xE0", 0) == 0)
      return Status::InvalidInput(name + ": an OLE2 compound file, not a zip-based document (see the ole extractor)");
    if (head.rfind("PK", 0) != 0) {
      std::string shown;
      for (unsigned char ch : head) shown += (ch >= 0x20 && ch < 0x7F) ? static_cast<char>(ch) : '.';
      return Status::InvalidInput(fmt::format("{}: not a zip-based document (file starts with \"{}\")", name, shown));
    }
    Result<std::unique_ptr<ZipArchive>> zip = ZipArchive::Open(path, name, options_.limits);
    if (!zip.ok()) return zip.status();
    MemoryBudget budget(options_.limits.max_memory_bytes);
    ExtractSummary summary;
    PageWriter out(name, options, sink, &summary);
    ZipReadContext c{**zip, name, options_, budget, out, summary};
    Result<Detected> kind = Detect(c);
    if (!kind.ok()) return kind.status();
    Status st;
    switch (kind->kind) {
      case ZipKind::kDocx: st = ReadDocx(c, kind->main_part); break;
      case ZipKind::kPptx: st = ReadPptx(c, kind->main_part); break;
      case ZipKind::kXlsx: st = ReadXlsx(c, kind->main_part); break;
      case ZipKind::kOdf: st = ReadOdf(c, kind->main_part); break;
      case ZipKind::kEpub: st = ReadEpub(c); break;
      case ZipKind::kUnknown:
        return Status::InvalidInput(name +
                                    ": zip archive holds no document docpipe reads (no DOCX, PPTX or XLSX main part "
                                    "in [Content_Types].xml, no ODF or EPUB mimetype)");
    }
    if (!st.ok()) return st;
    if (budget.exceeded()) return budget.ExceededError(name);
    const bool keep_empty_last = kind->kind == ZipKind::kPptx || kind->kind == ZipKind::kXlsx ||
                                 (kind->kind == ZipKind::kOdf && kind->main_part.find("text") == std::string::npos);
    DOCPIPE_RETURN_IF_ERROR(out.Finish(keep_empty_last));
    if (summary.title.empty()) summary.title = DocumentTitle(c);
    return summary;
  }

 private:
  // dc:title from docProps/core.xml (OOXML) or meta.xml (ODF); "" when absent.
  static std::string DocumentTitle(ZipReadContext& c) {
    for (const char* part : {"docProps/core.xml", "meta.xml"}) {
      if (!c.zip.Has(part)) continue;
      Result<XmlDocumentPtr> doc = c.Xml(part);
      if (!doc.ok()) continue;
      pugi::xpath_node t = (*doc)->select_node("//*[local-name()='title']");
      if (t) return CollapseSpace(t.node().text().get());
    }
    return "";
  }

  FormatOptions options_;
};

// OLE2 compound files: encrypted OOXML (the package is inside an
// "EncryptedPackage" stream) and the legacy binary formats. Neither is read;
// the error says which it is and what to do.
class CompoundFileExtractor final : public Extractor {
 public:
  std::string Format() const override { return "ole"; }
  bool CanHandle(const std::string&, std::string_view head) const override {
    return head.substr(0, 8) == std::string_view("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  }
  Result<ExtractSummary> Extract(const std::string& path, const std::string& name, const ExtractOptions&,
                                 const PageSink&) override {
    Result<int64_t> input_size = InputFileSize(path, name);
    if (!input_size.ok()) return input_size.status();
    const int64_t size = *input_size;
    // Directory entries name their streams in UTF-16LE; a bounded scan finds them.
    std::ifstream in(path, std::ios::binary);
    std::string data(static_cast<size_t>(std::min<int64_t>(size, 64ll << 20)), '\0');
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    data.resize(static_cast<size_t>(in.gcount()));
    auto has = [&](const char* ascii) {
      std::string utf16;
      for (const char* p = ascii; *p; ++p) {
        utf16 += *p;
        utf16 += '\0';
      }
      return data.find(utf16) != std::string::npos;
    };
    if (has("EncryptedPackage") || has("EncryptionInfo"))
      return Status::InvalidInput(name + ": encrypted (password-protected) Office document: remove the password "
                                         "and upload it again");
    const char* kind = has("WordDocument")  ? "Word 97-2003 (.doc)"
                       : has("Workbook") || has("Book") ? "Excel 97-2003 (.xls)"
                       : has("PowerPoint Document") ? "PowerPoint 97-2003 (.ppt)"
                       : has("__substg1.0_") ? "Outlook message (.msg)"
                                            : "OLE2 compound file";
    return Status::InvalidInput(fmt::format("{}: {} is a legacy binary format docpipe does not read: save it as "
                                            "DOCX, XLSX or PPTX",
                                            name, kind));
  }
};

}  // namespace

Result<XmlDocumentPtr> ZipReadContext::Xml(const std::string& member) {
  Result<std::string> bytes = zip.Read(member);
  if (!bytes.ok()) return bytes.status();
  return ParseXmlPart(std::move(*bytes), name + ": " + member, budget);
}

void ZipReadContext::Warn(std::string warning) {
  ++summary.warning_count;
  if (summary.warnings.size() < kMaxZipWarningSamples) summary.warnings.push_back(std::move(warning));
}

Result<Relationships> ReadRelationships(ZipReadContext& c, const std::string& part) {
  Relationships out;
  const size_t slash = part.rfind('/');
  const std::string rels = (slash == std::string::npos ? "" : part.substr(0, slash + 1)) + "_rels/" +
                           (slash == std::string::npos ? part : part.substr(slash + 1)) + ".rels";
  if (!c.zip.Has(rels)) return out;
  Result<XmlDocumentPtr> doc = c.Xml(rels);
  if (!doc.ok()) return doc.status();
  for (pugi::xml_node r : Child(**doc, "Relationships").children()) {
    if (!IsElement(r, "Relationship")) continue;
    Relationship rel;
    rel.type = LastSegment(AttrValue(r, "Type"));
    rel.external = AttrValue(r, "TargetMode") == "External";
    const std::string target = AttrValue(r, "Target");
    rel.target = rel.external ? target : ResolvePartPath(part, PartName(target));
    out[AttrValue(r, "Id")] = std::move(rel);
  }
  return out;
}

ExtractorPtr NewZipDocumentExtractor(const FormatOptions& options) {
  return std::make_unique<ZipDocumentExtractor>(options);
}
ExtractorPtr NewCompoundFileExtractor() { return std::make_unique<CompoundFileExtractor>(); }

}  // namespace docpipe
