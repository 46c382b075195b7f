#include "extract/pdf/content_repair.h"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string_view>

namespace docpipe {
namespace {

// The operators of PDF 32000-1:2008, Annex A, in byte order.
constexpr std::string_view kOperators[] = {
    "\"", "'",  "B",  "B*", "BDC", "BI", "BMC", "BT", "BX",  "CS", "DP", "Do", "EI",  "EMC", "ET",
    "EX", "F",  "G",  "ID", "J",   "K",  "M",   "MP", "Q",   "RG", "S",  "SC", "SCN", "T*",  "TD",
    "TJ", "TL", "Tc", "Td", "Tf",  "Tj", "Tm",  "Tr", "Ts",  "Tw", "Tz", "W",  "W*",  "b",   "b*",
    "c",  "cm", "cs", "d",  "d0",  "d1", "f",   "f*", "g",   "gs", "h",  "i",  "j",   "k",   "l",
    "m",  "n",  "q",  "re", "rg",  "ri", "s",   "sc", "scn", "sh", "v",  "w",  "y"};

bool IsOperator(std::string_view word) {
  return std::binary_search(std::begin(kOperators), std::end(kOperators), word);
}

bool IsPdfWhite(unsigned char c) {
  return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

constexpr size_t kNotFound = static_cast<size_t>(-1);

// Where the inline image whose data starts at `from` ends: just past its
// "EI" (between white space, or at the end), or kNotFound.
size_t InlineImageEnd(const unsigned char* data, size_t len, size_t from) {
  for (size_t i = from; i + 2 <= len; ++i) {
    if (data[i] == 'E' && data[i + 1] == 'I' && i > from && IsPdfWhite(data[i - 1]) &&
        (i + 2 == len || IsPdfWhite(data[i + 2])))
      return i + 2;
  }
  return kNotFound;
}

}  // namespace

int RemoveUnknownOperators(fz_context* ctx, pdf_document* doc, int index) {
  fz_buffer* raw = nullptr;
  fz_buffer* repaired = nullptr;
  fz_stream* in = nullptr;
  pdf_obj* stream = nullptr;
  pdf_lexbuf_large lex;
  int removed = 0;
  fz_var(raw);
  fz_var(repaired);
  fz_var(in);
  fz_var(stream);
  fz_var(removed);
  fz_try(ctx) { pdf_lexbuf_init(ctx, &lex.base, PDF_LEXBUF_LARGE); }
  fz_catch(ctx) return 0;
  fz_try(ctx) {
    pdf_obj* page = pdf_lookup_page_obj(ctx, doc, index);
    in = pdf_open_contents_stream(ctx, doc, pdf_dict_get(ctx, page, PDF_NAME(Contents)));
    raw = fz_read_all(ctx, in, 0);
    fz_drop_stream(ctx, in);
    in = nullptr;
    unsigned char* data = nullptr;
    const size_t len = fz_buffer_storage(ctx, raw, &data);
    in = fz_open_buffer(ctx, raw);
    repaired = fz_new_buffer(ctx, len + 1);
    size_t copied = 0;    // data[0, copied) is in `repaired`
    size_t operands = 0;  // where the operands of the next operator begin
    bool intact = true;   // every inline image was found whole
    for (pdf_token token = pdf_lex(ctx, in, &lex.base); token != PDF_TOK_EOF;
         token = pdf_lex(ctx, in, &lex.base)) {
      if (token != PDF_TOK_KEYWORD) continue;
      const auto end = static_cast<size_t>(fz_tell(ctx, in));
      const std::string_view word(lex.base.scratch, lex.base.len);
      if (word == "ID") {  // binary data up to "EI": not tokens
        const size_t image_end = InlineImageEnd(data, len, end);
        if (image_end == kNotFound) {
          intact = false;
          break;
        }
        fz_seek(ctx, in, static_cast<int64_t>(image_end), SEEK_SET);
        operands = image_end;
      } else if (IsOperator(word)) {
        operands = end;
      } else {
        fz_append_data(ctx, repaired, data + copied, operands - copied);
        fz_append_byte(ctx, repaired, '\n');
        copied = operands = end;
        ++removed;
      }
    }
    if (!intact) removed = 0;
    if (removed > 0) {
      fz_append_data(ctx, repaired, data + copied, len - copied);
      stream = pdf_add_stream(ctx, doc, repaired, nullptr, 0);
      pdf_dict_put(ctx, page, PDF_NAME(Contents), stream);
    }
  }
  fz_always(ctx) {
    pdf_drop_obj(ctx, stream);
    fz_drop_stream(ctx, in);
    fz_drop_buffer(ctx, repaired);
    fz_drop_buffer(ctx, raw);
    pdf_lexbuf_fin(ctx, &lex.base);
  }
  fz_catch(ctx) removed = 0;
  return removed;
}

}  // namespace docpipe
