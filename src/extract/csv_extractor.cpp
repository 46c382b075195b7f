// CSV and TSV: one page, the rows as a table whose first row is the header
// (RFC 4180 quoting, the delimiter sniffed from the first lines), cut into
// blocks of sheet_rows_per_table rows that repeat the header.
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "common/strings.h"
#include "extract/extractor.h"
#include "extract/format_options.h"
#include "extract/sheet_writer.h"
#include "extract/text_decode.h"

namespace docpipe {
namespace {

// The delimiter giving the same (> 1) field count on most of the first lines.
char SniffDelimiter(std::string_view text) {
  char best = ',';
  int best_score = -1;
  for (char d : {',', ';', '\t', '|'}) {
    std::map<int, int> counts;
    int lines = 0, fields = 1;
    bool quoted = false;
    for (size_t i = 0; i < text.size() && lines < 20; ++i) {
      const char c = text[i];
      if (c == '"') quoted = !quoted;
      else if (!quoted && c == d) ++fields;
      else if (!quoted && c == '\n') {
        if (fields > 1) ++counts[fields];
        fields = 1;
        ++lines;
      }
    }
    int score = 0;
    for (const auto& [n, k] : counts) score = std::max(score, k);
    if (score > best_score) {
      best_score = score;
      best = d;
    }
  }
  return best;
}

class CsvExtractor final : public Extractor {
 public:
  explicit CsvExtractor(FormatOptions options) : options_(options) {}
  std::string Format() const override { return "csv"; }
  bool CanHandle(const std::string& key, std::string_view) const override {
    return HasSuffixIgnoringCase(key, ".csv") || HasSuffixIgnoringCase(key, ".tsv") ||
           HasSuffixIgnoringCase(key, ".tab");
  }

  Result<ExtractSummary> Extract(const std::string& path, const std::string& name, const ExtractOptions& options,
                                 const PageSink& sink) override {
    Result<std::string> bytes = ReadInputFile(path, name, options_.limits.max_input_bytes);
    if (!bytes.ok()) return bytes.status();
    std::string text = std::move(*bytes);
    ExtractSummary summary;
    summary.format = "csv";
    if (text.rfind("\xEF\xBB\xBF", 0) == 0) {
      text.erase(0, 3);
    } else if (text.rfind("\xFF\xFE", 0) == 0 || text.rfind("\xFE\xFF", 0) == 0) {
      Result<std::string> u = ConvertToUtf8(std::string_view(text).substr(2), text[0] == '\xFF' ? "UTF-16LE" : "UTF-16BE");
      if (!u.ok()) return u.status().Annotate(name);
      text = std::move(*u);
    } else if (text.find('\0') != std::string::npos) {
      return Status::InvalidInput(name + ": binary data, not CSV (NUL byte at offset " +
                                  std::to_string(text.find('\0')) + ")");
    } else if (FirstInvalidUtf8(text) != std::string::npos) {
      const std::string cs = DetectCharset(text);
      Result<std::string> u = cs.empty() ? Result<std::string>(Status::InvalidInput("unknown encoding"))
                                         : ConvertToUtf8(text, cs.c_str());
      if (!u.ok()) return Status::InvalidInput(name + ": not valid UTF-8 and the encoding could not be detected");
      summary.warnings.push_back("converted from " + cs);
      ++summary.warning_count;
      text = std::move(*u);
    }
    const char delim = HasSuffixIgnoringCase(name, ".tsv") || HasSuffixIgnoringCase(name, ".tab")
                           ? '\t'
                           : SniffDelimiter(text);
    std::vector<TableRow> rows;
    TableRow row;
    std::string field;
    bool quoted = false, was_quoted = false;
    int64_t cells = 0;
    bool dropped = false;
    auto end_field = [&] {
      row.push_back(std::move(field));
      field.clear();
      was_quoted = false;
      ++cells;
    };
    auto end_row = [&] {
      end_field();
      if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));
      row.clear();
    };
    for (size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (quoted) {
        if (c == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            ++i;
          } else {
            quoted = false;
          }
        } else {
          field += c;
        }
        continue;
      }
      if (c == '"' && field.empty() && !was_quoted) {
        quoted = was_quoted = true;
      } else if (c == delim) {
        end_field();
      } else if (c == '\n') {
        end_row();
        if (cells > options_.sheet_max_cells) {
          dropped = true;
          break;
        }
      } else if (c != '\r') {
        field += c;
      }
    }
    if (!dropped && (!field.empty() || !row.empty())) end_row();
    if (dropped) {
      ++summary.warning_count;
      summary.warnings.push_back(fmt::format("more than {} cells; the rest was dropped", options_.sheet_max_cells));
    }
    PageWriter out(name, options, sink, &summary);
    WriteSheetTables(std::move(rows), options_.sheet_rows_per_table, out);
    DOCPIPE_RETURN_IF_ERROR(out.Finish());
    return summary;
  }

 private:
  FormatOptions options_;
};

}  // namespace

ExtractorPtr NewCsvExtractor(const FormatOptions& options) { return std::make_unique<CsvExtractor>(options); }

}  // namespace docpipe
