// Structure-aware chunking. The document is cut into sections at headings;
// each block of a section becomes one or more "units" no larger than the
// budget (oversize blocks are split at their natural seams: sentences, words,
// table rows, code lines); units are packed into chunks up to target_tokens.
// Every size decision is checked with the tokenizer on the exact text that is
// emitted, so no chunk exceeds max_tokens even where counts are not additive.

#include "chunk/chunker.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chunk/markdown_blocks.h"
#include "common/parallel.h"
#include "common/strings.h"
#include "common/utf8.h"

namespace docpipe {
namespace {

constexpr std::string_view kBlockJoin = "\n\n";

// A line of a table of contents or of a back-of-book index: a title, a dot
// leader (". . . ." or "....") and page references ("17", "xii", "20, 31",
// "12-14").
bool IsNavigationLine(std::string_view line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  size_t refs = line.size();
  auto is_ref_char = [](char c) {
    return (c >= '0' && c <= '9') || c == ',' || c == '-' || c == ' ' ||
           std::string_view("ivxlcdm").find(c) != std::string_view::npos;  // roman page numbers
  };
  while (refs > 0 && is_ref_char(line[refs - 1])) --refs;
  // "\u2013" (an en dash between page numbers) is three bytes.
  while (refs >= 3 && line.substr(refs - 3, 3) == "\u2013") {
    refs -= 3;
    while (refs > 0 && is_ref_char(line[refs - 1])) --refs;
  }
  std::string_view page_refs = line.substr(refs);
  if (page_refs.find_first_not_of(" ,-") == std::string_view::npos) return false;
  int dots = 0;
  size_t i = refs;
  while (i > 0) {
    if (line[i - 1] == '.') {
      ++dots;
      --i;
    } else if (line[i - 1] == ' ') {
      --i;
    } else if (i >= 3 && line.substr(i - 3, 3) == "\u2026") {  // an ellipsis
      dots += 3;
      i -= 3;
    } else {
      break;
    }
  }
  return dots >= 3 && i > 0;
}

// Letters and digits of `text`, a byte of a non-ASCII character each.
int Letters(std::string_view text) {
  int n = 0;
  for (char c : text) n += (IsAsciiAlnum(c) || static_cast<unsigned char>(c) >= 0x80) ? 1 : 0;
  return n;
}

// A line of links and nothing more (but list markers, table pipes and
// separators): an HTML or EPUB contents list ("- [4.5 Bit Manipulations](…)"),
// a Texinfo index row ("| | [format](…): | | [Setting Format](…) |"). The
// letters of its links' text, or -1 when the line is something else.
int LinkEntryLetters(std::string_view line) {
  int links = 0;
  int link_letters = 0;
  int other = 0;  // letters and digits outside the links
  // "[text](target)", the text up to the first ']': one pass, each byte
  // looked at a bounded number of times (a line of brackets stays linear).
  size_t i = 0;
  bool parens_left = true;  // once no ')' follows, none will: stop looking
  while (i < line.size()) {
    if (line[i] != '[') {
      other += Letters(line.substr(i, 1));
      ++i;
      continue;
    }
    const size_t close = line.find(']', i + 1);
    if (close == std::string_view::npos) {
      other += Letters(line.substr(i + 1));
      break;
    }
    size_t end = std::string_view::npos;
    if (parens_left && close + 1 < line.size() && line[close + 1] == '(') {
      end = line.find(')', close + 2);
      parens_left = end != std::string_view::npos;
    }
    const int letters = Letters(line.substr(i + 1, close - i - 1));
    if (end == std::string_view::npos) {
      other += letters;
      i = close + 1;
      continue;
    }
    ++links;
    link_letters += letters;
    i = end + 1;
  }
  // "12." of an ordered list's marker is allowed.
  return links > 0 && other <= 3 ? link_letters : -1;
}

// A table's header separator ("| --- | --- |"): neither an entry nor text.
bool IsTableRule(std::string_view line) {
  return line.find("---") != std::string_view::npos && line.find_first_not_of("|-: \t") == std::string_view::npos;
}

// Navigation, not content: most lines of the chunk are contents or index
// entries, with page numbers (PDF) or links (HTML, EPUB). Such chunks are
// typed "contents", and search ranks them after the chunks that hold the
// text (search/search.cpp).
bool IsNavigationText(std::string_view text) {
  int lines = 0;
  int entries = 0;
  int link_entries = 0;
  int entry_letters = 0;  // of link entries: their links' text
  int other_letters = 0;  // of the lines that are no entry
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t") == std::string_view::npos || line.front() == '#' || IsTableRule(line))
      continue;
    ++lines;
    if (IsNavigationLine(line)) {
      ++entries;
    } else if (const int letters = LinkEntryLetters(line); letters >= 0) {
      ++entries;
      ++link_entries;
      entry_letters += letters;
    } else {
      other_letters += Letters(line);
    }
  }
  if (entries < 3 || entries * 5 < lines * 3) return false;
  // A section's opening paragraphs before its menu of links are text: the
  // links' own words must be most of what is read.
  return link_entries == 0 || other_letters * 5 <= (other_letters + entry_letters) * 2;
}

struct Unit {
  std::string text;
  BlockType kind = BlockType::kParagraph;
  int page_start = 0;
  int page_end = 0;
};

struct Section {
  std::vector<std::string> path;  // heading titles, outermost first
  std::vector<Unit> units;
};

struct Draft {
  std::vector<Unit> units;
  std::string text;
  int tokens = 0;
};

enum class Seam { kSentence, kWord, kCodePoint };

// Offsets (exclusive ends) where `text` may be cut at the given seam; the
// last one is always text.size(). Cutting there never splits a UTF-8 sequence.
std::vector<size_t> SeamEnds(std::string_view text, Seam seam) {
  std::vector<size_t> ends;
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    switch (seam) {
      case Seam::kSentence: {
        // After . ! ? (and closing quotes/brackets) followed by whitespace,
        // and after the CJK full stops, which need no space.
        const char c = text[i];
        if (c == '.' || c == '!' || c == '?') {
          size_t j = i + 1;
          while (j < n && (text[j] == '"' || text[j] == '\'' || text[j] == ')' || text[j] == ']')) ++j;
          if (j < n && IsAsciiSpace(text[j])) {
            while (j < n && IsAsciiSpace(text[j])) ++j;
            if (j < n) ends.push_back(j);
            i = j - 1;
          }
        } else if (text.substr(i, 3) == "\xE3\x80\x82" || text.substr(i, 3) == "\xEF\xBC\x81" ||
                   text.substr(i, 3) == "\xEF\xBC\x9F") {  // 。！？
          if (i + 3 < n) ends.push_back(i + 3);
          i += 2;
        }
        break;
      }
      case Seam::kWord:
        if (IsAsciiSpace(text[i]) && i + 1 < n && !IsAsciiSpace(text[i + 1])) ends.push_back(i + 1);
        break;
      case Seam::kCodePoint:
        if (i > 0 && !IsUtf8Continuation(text[i])) ends.push_back(i);
        break;
    }
  }
  ends.push_back(n);
  return ends;
}

class Splitter {
 public:
  explicit Splitter(const Tokenizer& tokenizer) : tok_(tokenizer) {}

  int Count(std::string_view s) const { return static_cast<int>(tok_.Count(s)); }

  // Cuts `text` into trimmed, non-empty pieces of at most `limit` tokens,
  // packed greedily up to `pack` tokens, preferring sentence seams, then word
  // seams, then code points. InvalidInput only when a single code point
  // exceeds `limit` (a budget too small to hold any text).
  Status SplitProse(std::string_view text, int pack, int limit, std::vector<std::string>* out) const {
    return SplitAt(text, Seam::kSentence, std::min(pack, limit), limit, out);
  }

 private:
  Status SplitAt(std::string_view text, Seam seam, int pack, int limit, std::vector<std::string>* out) const {
    text = Trim(text);
    if (text.empty()) return Status::Ok();
    if (Count(text) <= pack) {
      out->emplace_back(text);
      return Status::Ok();
    }
    const std::vector<size_t> ends = SeamEnds(text, seam);
    size_t start = 0;
    size_t k = 0;
    while (k < ends.size()) {
      // Longest run of segments from `start` that fits in `pack`.
      size_t best = k;
      bool fits_any = false;
      if (seam == Seam::kCodePoint) {
        // Code-point runs can be long (base64, URLs, 2 MB of one bracket).
        // Gallop from `start` (runs of 1, 2, 4, ... code points) until one
        // does not fit, then bisect between: each probe counts at most twice
        // the piece it finds, so a run costs O(n log n), not a count of the
        // whole remaining run per probe (which made it quadratic).
        auto fits = [&](size_t m) { return Count(Trim(text.substr(start, ends[m] - start))) <= pack; };
        size_t lo = k, hi = ends.size();  // [k, lo) fit; [hi, end) do not
        for (size_t step = 1; lo < hi; step *= 2) {
          const size_t probe = std::min(hi - 1, k + step - 1);
          if (!fits(probe)) {
            hi = probe;
            break;
          }
          lo = probe + 1;
        }
        while (lo < hi) {
          const size_t mid = lo + (hi - lo) / 2;
          if (fits(mid)) {
            lo = mid + 1;
          } else {
            hi = mid;
          }
        }
        if (lo > k) {
          best = lo - 1;
          fits_any = true;
        }
      } else {
        // The run grows a segment at a time: a tally counts only what each
        // segment adds. It holds the trimmed run so far, which starts where
        // the first non-blank candidate starts.
        std::unique_ptr<TokenTally> tally;
        size_t tallied_end = 0;  // offset in `text` where the tallied run ends
        for (size_t m = k; m < ends.size(); ++m) {
          const std::string_view candidate = Trim(text.substr(start, ends[m] - start));
          if (!candidate.empty()) {
            const size_t cand_end = static_cast<size_t>(candidate.data() - text.data()) + candidate.size();
            if (tally == nullptr) {
              tally = tok_.NewTally();
              tallied_end = static_cast<size_t>(candidate.data() - text.data());
            }
            const std::string_view addition = text.substr(tallied_end, cand_end - tallied_end);
            if (static_cast<int>(tally->CountWith(addition)) > pack) break;
            tally->Append(addition);
            tallied_end = cand_end;
          }
          best = m;
          fits_any = true;
        }
      }
      if (fits_any) {
        std::string_view piece = Trim(text.substr(start, ends[best] - start));
        if (!piece.empty()) out->emplace_back(piece);
        start = ends[best];
        k = best + 1;
        continue;
      }
      // The next segment alone does not fit: cut it at a finer seam.
      std::string_view segment = text.substr(start, ends[k] - start);
      if (seam == Seam::kCodePoint) {
        if (Count(segment) <= limit) {  // over pack but within the hard limit
          if (!Trim(segment).empty()) out->emplace_back(Trim(segment));
          start = ends[k];
          ++k;
          continue;
        }
        return Status::InvalidInput("max_tokens " + std::to_string(limit) +
                                    " is too small to hold a single character");
      }
      const Seam finer = seam == Seam::kSentence ? Seam::kWord : Seam::kCodePoint;
      DOCPIPE_RETURN_IF_ERROR(SplitAt(segment, finer, pack, limit, out));
      start = ends[k];
      ++k;
    }
    return Status::Ok();
  }

  const Tokenizer& tok_;
};

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      return lines;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

std::string JoinLines(const std::vector<std::string_view>& lines, size_t from, size_t to) {
  std::string s;
  for (size_t i = from; i < to; ++i) {
    if (i > from) s += '\n';
    s += lines[i];
  }
  return s;
}

bool IsTableSeparator(std::string_view line) {
  line = Trim(line);
  if (line.empty() || line[0] != '|') return false;
  for (char c : line) {
    if (c != '|' && c != '-' && c != ':' && c != ' ') return false;
  }
  return line.find('-') != std::string_view::npos;
}

// Cells of a pipe-table row ("| a | b |" -> 2).
size_t TableColumns(std::string_view row) {
  size_t bars = 0;
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '|' && (i == 0 || row[i - 1] != '\\')) ++bars;
  }
  return bars > 0 ? bars - 1 : 0;
}

// A table continued from the previous page comes out of extraction with its
// first data row as header. When a page ends with a table and the next one
// starts with a table of as many columns under a different header, the
// continuation gets the first table's header back and its own first row
// becomes data again, so that no chunk holds rows without their header.
void RepeatHeadersOfContinuedTables(std::vector<Block>& blocks) {
  for (size_t i = 1; i < blocks.size(); ++i) {
    Block& prev = blocks[i - 1];
    Block& cur = blocks[i];
    if (prev.type != BlockType::kTable || cur.type != BlockType::kTable || cur.page != prev.page + 1) continue;
    const std::vector<std::string_view> a = Lines(Trim(prev.text));
    const std::vector<std::string_view> b = Lines(Trim(cur.text));
    if (a.size() < 2 || b.size() < 2 || !IsTableSeparator(a[1]) || !IsTableSeparator(b[1])) continue;
    if (TableColumns(a[0]) != TableColumns(b[0]) || Trim(a[0]) == Trim(b[0])) continue;
    std::string text = std::string(a[0]) + "\n" + std::string(a[1]) + "\n" + std::string(b[0]);
    for (size_t k = 2; k < b.size(); ++k) text += "\n" + std::string(b[k]);
    cur.text = std::move(text);
  }
}

// "Table 3: Timings" / "Tab. 2 ..." directly above a table: its caption.
bool IsCaption(const Unit& u) {
  if (u.kind != BlockType::kParagraph || u.text.size() > 400) return false;
  return u.text.rfind("Table ", 0) == 0 || u.text.rfind("Tab. ", 0) == 0 || u.text.rfind("TABLE ", 0) == 0;
}

class Chunker {
 public:
  Chunker(const Tokenizer& tokenizer, const ChunkOptions& options, int threads, const std::atomic<bool>* cancel)
      : tok_(tokenizer), split_(tokenizer), opt_(options), threads_(std::max(1, threads)), cancel_(cancel) {}

  Result<std::vector<Chunk>> Run(const std::string& doc_id, const std::string& version,
                                 const std::vector<ExtractedPage>& pages) {
    std::vector<Section> sections;
    std::vector<Block> blocks = ParseMarkdownPages(pages);
    RepeatHeadersOfContinuedTables(blocks);
    DOCPIPE_RETURN_IF_ERROR(BuildSections(blocks, &sections));
    // Sections are packed independently (chunks never cross a section), on
    // up to threads_ threads, each into its own slot; they are joined in
    // order, so the chunks are the same for any thread count.
    std::vector<std::vector<Chunk>> per_section(sections.size());
    DOCPIPE_RETURN_IF_ERROR(ParallelFor(sections.size(), threads_, [&](size_t s) {
      if (Cancelled()) return Status::Cancelled("chunking cancelled");
      per_section[s] = PackSection(sections[s]);
      return Status::Ok();
    }));
    // Packing stops early when cancelled (a section can be a whole book).
    if (Cancelled()) return Status::Cancelled("chunking cancelled");
    std::vector<Chunk> chunks;
    std::vector<bool> opens_section;  // parallel to chunks: first chunk of its section
    for (std::vector<Chunk>& section_chunks : per_section) {
      for (size_t i = 0; i < section_chunks.size(); ++i) {
        Chunk& c = section_chunks[i];
        c.index = static_cast<int>(chunks.size());
        c.chunk_id = doc_id + ":" + version + ":" + std::to_string(c.index);
        if (c.token_count > opt_.max_tokens) {
          return Status::Internal("chunk " + c.chunk_id + " has " + std::to_string(c.token_count) +
                                  " tokens, over max_tokens");
        }
        chunks.push_back(std::move(c));
        opens_section.push_back(i == 0);
      }
      section_chunks.clear();
    }
    MergeSmallSections(chunks, opens_section);
    for (Chunk& c : chunks) {
      // Tables too: an HTML index is a table of links.
      if (c.type == "text" || c.type == "list" || c.type == "table") {
        if (IsNavigationText(c.text)) c.type = "contents";
      }
    }
    std::map<int, const std::string*> labels;
    for (const ExtractedPage& p : pages) labels[p.number] = &p.label;
    auto label = [&](int page) { auto it = labels.find(page); return it == labels.end() ? std::string() : *it->second; };
    for (size_t i = 0; i < chunks.size(); ++i) {
      chunks[i].index = static_cast<int>(i);
      chunks[i].chunk_id = doc_id + ":" + version + ":" + std::to_string(i);
      chunks[i].page_label_start = label(chunks[i].page_start);
      chunks[i].page_label_end = label(chunks[i].page_end);
    }
    return chunks;
  }

 private:
  int Count(std::string_view s) const { return static_cast<int>(tok_.Count(s)); }
  bool Cancelled() const { return cancel_ != nullptr && cancel_->load(std::memory_order_relaxed); }

  // The chunks of one section, in order, without their index and id.
  std::vector<Chunk> PackSection(const Section& section) const {
    std::vector<Draft> drafts = Pack(section);
    MergeSmall(&drafts);
    std::vector<Chunk> out;
    out.reserve(drafts.size());
    for (size_t i = 0; i < drafts.size(); ++i) {
      Chunk c;
      c.text = drafts[i].text;
      if (i > 0 && opt_.overlap_tokens > 0) c.text = WithOverlap(drafts[i - 1], drafts[i]);
      c.breadcrumbs = section.path;
      for (size_t k = 0; k < section.path.size(); ++k) {
        if (k > 0) c.context_prefix += " > ";
        c.context_prefix += section.path[k];
      }
      c.page_start = drafts[i].units.front().page_start;
      c.page_end = drafts[i].units.front().page_end;
      for (const Unit& u : drafts[i].units) {
        c.page_start = std::min(c.page_start, u.page_start);
        c.page_end = std::max(c.page_end, u.page_end);
      }
      // The draft's count is exact for its text; overlap changes the text.
      c.token_count = c.text == drafts[i].text ? drafts[i].tokens : Count(c.text);
      c.char_count = static_cast<int>(CountCodePoints(c.text));
      c.type = "text";
      if (drafts[i].units.size() == 1) {
        const BlockType k = drafts[i].units[0].kind;
        if (k == BlockType::kTable || k == BlockType::kCode || k == BlockType::kList) c.type = BlockTypeName(k);
      }
      out.push_back(std::move(c));
    }
    return out;
  }

  Status BuildSections(const std::vector<Block>& blocks, std::vector<Section>* sections) {
    // In order: each block's section (a new one at every heading) and its
    // token limit, which depends only on the last heading before it.
    std::vector<std::vector<std::string>> paths(1);  // section 0: before any heading
    std::vector<size_t> section_of(blocks.size());
    std::vector<int> limits(blocks.size());
    std::vector<std::pair<int, std::string>> path;  // (level, title)
    int heading_tokens = 0;
    for (size_t i = 0; i < blocks.size(); ++i) {
      const Block& b = blocks[i];
      if (b.type == BlockType::kHeading) {
        while (!path.empty() && path.back().first >= b.level) path.pop_back();
        path.emplace_back(b.level, b.title);
        paths.emplace_back();
        for (const auto& [level, title] : path) paths.back().push_back(title);
        heading_tokens = Count(b.text) + Count(kBlockJoin);
      }
      section_of[i] = paths.size() - 1;
      // Leave room for the heading line on top of the section's first chunk,
      // unless the heading is so long that the block would shrink to nothing.
      limits[i] = opt_.max_tokens;
      if (heading_tokens > 0 && heading_tokens <= opt_.max_tokens / 2) limits[i] -= heading_tokens;
    }
    // Splitting counts every block's tokens, a whole book's worth: blocks are
    // split on up to threads_ threads, each into its own slot, and joined in
    // order, so the sections are the same for any thread count.
    std::vector<std::vector<Unit>> units_of(blocks.size());
    DOCPIPE_RETURN_IF_ERROR(ParallelFor(blocks.size(), threads_, [&](size_t i) {
      if (Cancelled()) return Status::Cancelled("chunking cancelled");
      return AddBlock(blocks[i], limits[i], &units_of[i]);
    }));
    Section current;
    auto flush = [&] {
      if (!current.units.empty()) sections->push_back(std::move(current));
      current = Section();
    };
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (i > 0 && section_of[i] != section_of[i - 1]) flush();
      if (current.units.empty()) current.path = paths[section_of[i]];
      for (Unit& u : units_of[i]) current.units.push_back(std::move(u));
    }
    flush();
    // A heading directly followed by a deeper heading has no text of its own:
    // it leads the first chunk of its subsection rather than standing alone.
    std::vector<Section> merged;
    std::vector<Unit> pending;
    for (size_t i = 0; i < sections->size(); ++i) {
      Section& s = (*sections)[i];
      s.units.insert(s.units.begin(), pending.begin(), pending.end());
      pending.clear();
      const bool headings_only = std::all_of(s.units.begin(), s.units.end(),
                                             [](const Unit& u) { return u.kind == BlockType::kHeading; });
      if (headings_only && i + 1 < sections->size()) {
        const Section& next = (*sections)[i + 1];
        const bool deeper = next.path.size() > s.path.size() &&
                            std::equal(s.path.begin(), s.path.end(), next.path.begin());
        if (deeper) {
          pending = s.units;
          continue;
        }
      }
      merged.push_back(std::move(s));
    }
    *sections = std::move(merged);
    return Status::Ok();
  }

  void AddUnit(std::vector<Unit>* units, std::string text, BlockType kind, int page) const {
    units->push_back(Unit{std::move(text), kind, page, page});
  }

  Status AddProse(std::string_view text, BlockType kind, int page, int limit, std::vector<Unit>* units) const {
    std::vector<std::string> pieces;
    DOCPIPE_RETURN_IF_ERROR(split_.SplitProse(text, opt_.target_tokens, limit, &pieces));
    for (std::string& p : pieces) AddUnit(units, std::move(p), kind, page);
    return Status::Ok();
  }

  // Turns one block into units of at most `limit` tokens. Blocks that fit stay
  // whole (tables and code up to max_tokens regardless of the heading room).
  Status AddBlock(const Block& b, int limit, std::vector<Unit>* units) const {
    const std::string_view text = Trim(b.text);
    if (text.empty()) return Status::Ok();
    const int tokens = Count(text);
    const bool whole_up_to_max = b.type == BlockType::kTable || b.type == BlockType::kCode;
    if (tokens <= limit || (whole_up_to_max && tokens <= opt_.max_tokens)) {
      AddUnit(units, std::string(text), b.type, b.page);
      return Status::Ok();
    }
    switch (b.type) {
      case BlockType::kTable:
        return SplitTable(b, limit, units);
      case BlockType::kCode:
        return SplitCode(b, limit, units);
      case BlockType::kList:
        return SplitList(b, limit, units);
      case BlockType::kHeading:
      case BlockType::kParagraph:
        // A heading line over budget is unusual (extraction glitch); it is
        // cut like prose, the first piece keeping the "#" marker.
        return AddProse(text, b.type, b.page, limit, units);
    }
    return Status::Ok();
  }

  // Rows packed up to target, each piece repeating the header row (and the
  // separator row under it) so that every piece is a readable table.
  Status SplitTable(const Block& b, int limit, std::vector<Unit>* units) const {
    const std::vector<std::string_view> lines = Lines(Trim(b.text));
    size_t header_end = 1;
    if (lines.size() > 1 && IsTableSeparator(lines[1])) header_end = 2;
    std::string header = JoinLines(lines, 0, header_end);
    if (Count(header) > limit / 2) {  // a header that big leaves no room: no repeat
      header.clear();
      header_end = 0;
    }
    const int pack = std::min(opt_.target_tokens, limit);
    std::string current = header;
    size_t rows = 0;
    bool header_emitted = false;
    auto flush = [&] {
      if (rows > 0) AddUnit(units, current, BlockType::kTable, b.page);
      header_emitted |= rows > 0;
      current = header;
      rows = 0;
    };
    for (size_t i = header_end; i < lines.size(); ++i) {
      const std::string candidate = current.empty() ? std::string(lines[i]) : current + "\n" + std::string(lines[i]);
      if (Count(candidate) <= pack || (rows == 0 && Count(candidate) <= limit)) {
        current = candidate;
        ++rows;
        continue;
      }
      flush();
      const std::string with_header = header.empty() ? std::string(lines[i]) : header + "\n" + std::string(lines[i]);
      if (Count(with_header) <= limit) {
        current = with_header;
        rows = 1;
      } else {
        // One row over budget on its own: cut it as text, header dropped
        // (but kept once, ahead of the first row, so no text goes missing).
        if (!header_emitted && !header.empty()) AddUnit(units, header, BlockType::kTable, b.page);
        header_emitted = true;
        DOCPIPE_RETURN_IF_ERROR(AddProse(lines[i], BlockType::kTable, b.page, limit, units));
      }
    }
    flush();
    return Status::Ok();
  }

  // Lines packed up to target; each piece is re-fenced so that it stays a
  // code block (the added fences are the only text not in the source).
  Status SplitCode(const Block& b, int limit, std::vector<Unit>* units) const {
    const std::vector<std::string_view> lines = Lines(Trim(b.text));
    const std::string_view opener = lines.front();
    const std::string_view opener_s = Trim(opener);
    size_t fence_len = 0;
    while (fence_len < opener_s.size() && opener_s[fence_len] == opener_s[0]) ++fence_len;
    const std::string closer(opener_s.substr(0, fence_len));
    size_t body_end = lines.size();
    if (lines.size() > 1 && Trim(lines.back()).substr(0, fence_len) == closer) --body_end;
    const int fence_cost = Count(std::string(opener) + "\n\n" + closer);
    if (fence_cost + 2 > limit / 2) return AddProse(b.text, BlockType::kCode, b.page, limit, units);
    const int pack = std::min(opt_.target_tokens, limit);
    std::string body;
    auto wrap = [&](const std::string& s) { return std::string(opener) + "\n" + s + "\n" + closer; };
    auto flush = [&] {
      if (!body.empty()) AddUnit(units, wrap(body), BlockType::kCode, b.page);
      body.clear();
    };
    for (size_t i = 1; i < body_end; ++i) {
      const std::string line(lines[i]);
      const std::string candidate = body.empty() ? line : body + "\n" + line;
      if (Count(wrap(candidate)) <= pack || (body.empty() && Count(wrap(candidate)) <= limit)) {
        body = candidate;
        continue;
      }
      flush();
      if (Count(wrap(line)) <= limit) {
        body = line;
        continue;
      }
      // A single line over budget: cut it at words, each piece fenced.
      std::vector<std::string> pieces;
      DOCPIPE_RETURN_IF_ERROR(split_.SplitProse(line, limit - fence_cost - 2, limit - fence_cost - 2, &pieces));
      for (const std::string& p : pieces) {
        std::string w = wrap(p);
        if (Count(w) > limit) return Status::Internal("code piece over budget after split");
        AddUnit(units, std::move(w), BlockType::kCode, b.page);
      }
    }
    flush();
    return Status::Ok();
  }

  // Items packed up to target; an item over budget is cut like prose.
  Status SplitList(const Block& b, int limit, std::vector<Unit>* units) const {
    const std::vector<std::string_view> lines = Lines(Trim(b.text));
    std::vector<std::string> items;
    for (std::string_view line : lines) {
      const std::string_view t = Trim(line);
      const bool top_item = !line.empty() && line[0] != ' ' && line[0] != '\t' && !t.empty();
      if (items.empty() || top_item) {
        items.emplace_back(line);
      } else {
        items.back() += "\n";
        items.back() += line;
      }
    }
    const int pack = std::min(opt_.target_tokens, limit);
    std::string current;
    for (const std::string& item : items) {
      const std::string candidate = current.empty() ? item : current + "\n" + item;
      if (Count(candidate) <= pack || (current.empty() && Count(candidate) <= limit)) {
        current = candidate;
        continue;
      }
      if (!current.empty()) AddUnit(units, current, BlockType::kList, b.page);
      current.clear();
      if (Count(item) <= limit) {
        current = item;
      } else {
        DOCPIPE_RETURN_IF_ERROR(AddProse(item, BlockType::kList, b.page, limit, units));
      }
    }
    if (!current.empty()) AddUnit(units, current, BlockType::kList, b.page);
    return Status::Ok();
  }

  static bool HeadingsOnly(const Draft& d) {
    return std::all_of(d.units.begin(), d.units.end(), [](const Unit& u) { return u.kind == BlockType::kHeading; });
  }

  // Greedy packing up to target_tokens. A chunk holding only headings takes
  // the next unit as long as max allows: a heading should not stand alone;
  // nor should a table's caption.
  std::vector<Draft> Pack(const Section& section) const {
    std::vector<Draft> drafts;
    Draft cur;
    std::unique_ptr<TokenTally> tally;  // tokens of cur.text, kept as units are added
    auto start = [&](const Unit& u) {
      cur.units.push_back(u);
      tally = tok_.NewTally();
      tally->Append(u.text);
      cur.text = u.text;
      cur.tokens = static_cast<int>(tally->Tokens());
    };
    std::string addition;
    for (const Unit& u : section.units) {
      if (Cancelled()) break;  // Run reports it
      if (cur.units.empty()) {
        start(u);
        continue;
      }
      addition = kBlockJoin;
      addition += u.text;
      const int tokens = static_cast<int>(tally->CountWith(addition));
      // A caption stays with its table, as a heading stays with its text.
      const bool glued = HeadingsOnly(cur) || (IsCaption(cur.units.back()) && u.kind == BlockType::kTable);
      if (tokens <= opt_.target_tokens || (glued && tokens <= opt_.max_tokens)) {
        cur.units.push_back(u);
        cur.text += addition;
        tally->Append(addition);
        cur.tokens = tokens;
        continue;
      }
      drafts.push_back(std::move(cur));
      cur = Draft();
      start(u);
    }
    if (!cur.units.empty()) drafts.push_back(std::move(cur));
    return drafts;
  }

  // Reference manuals cut one topic into many tiny sections ("Synopsis",
  // "Description", "Returns" under each function): alone, each is too small
  // to retrieve well. A section's first chunk joins the previous chunk when
  // either is under min_tokens, the two are siblings or parent and child in
  // the heading tree, and the result stays within target_tokens; the merged
  // chunk's breadcrumbs are the common heading path.
  void MergeSmallSections(std::vector<Chunk>& chunks, const std::vector<bool>& opens_section) const {
    std::vector<Chunk> out;
    for (size_t i = 0; i < chunks.size(); ++i) {
      Chunk& c = chunks[i];
      if (!out.empty() && opens_section[i]) {
        Chunk& prev = out.back();
        size_t common = 0;
        while (common < prev.breadcrumbs.size() && common < c.breadcrumbs.size() &&
               prev.breadcrumbs[common] == c.breadcrumbs[common]) {
          ++common;
        }
        const size_t shorter = std::min(prev.breadcrumbs.size(), c.breadcrumbs.size());
        const bool related = common >= 1 && common + 1 >= shorter;
        const bool small = prev.token_count < opt_.min_tokens || c.token_count < opt_.min_tokens;
        if (related && small) {
          std::string text = prev.text;
          text += kBlockJoin;
          text += c.text;
          const int tokens = Count(text);
          if (tokens <= opt_.target_tokens) {
            prev.text = std::move(text);
            prev.token_count = tokens;
            prev.char_count = static_cast<int>(CountCodePoints(prev.text));
            prev.breadcrumbs.resize(common);
            prev.context_prefix.clear();
            for (size_t k = 0; k < common; ++k) {
              if (k > 0) prev.context_prefix += " > ";
              prev.context_prefix += prev.breadcrumbs[k];
            }
            prev.page_start = std::min(prev.page_start, c.page_start);
            prev.page_end = std::max(prev.page_end, c.page_end);
            prev.type = "text";
            continue;
          }
        }
      }
      out.push_back(std::move(c));
    }
    chunks = std::move(out);
  }

  // A chunk under min_tokens joins the previous chunk of its section when
  // the result stays within max_tokens.
  void MergeSmall(std::vector<Draft>* drafts) const {
    std::vector<Draft> out;
    for (Draft& d : *drafts) {
      if (!out.empty() && d.tokens < opt_.min_tokens) {
        Draft& prev = out.back();
        std::string candidate = prev.text;
        candidate += kBlockJoin;
        candidate += d.text;
        const int tokens = Count(candidate);
        if (tokens <= opt_.max_tokens) {
          prev.text = std::move(candidate);
          prev.tokens = tokens;
          prev.units.insert(prev.units.end(), d.units.begin(), d.units.end());
          continue;
        }
      }
      out.push_back(std::move(d));
    }
    *drafts = std::move(out);
  }

  // Prepends the last sentences of `prev` (up to overlap_tokens, and only as
  // many as keep the chunk within max_tokens). Tables and code are not
  // sentence-shaped, so a chunk ending in one gives no overlap.
  std::string WithOverlap(const Draft& prev, const Draft& cur) const {
    const Unit& last = prev.units.back();
    if (last.kind != BlockType::kParagraph && last.kind != BlockType::kList) return cur.text;
    const std::string_view tail_src = last.text;
    std::vector<size_t> ends = SeamEnds(tail_src, Seam::kSentence);
    // Sentence starts, latest first: 0 and every seam end except the text end.
    std::vector<size_t> starts = {0};
    for (size_t k = 0; k + 1 < ends.size(); ++k) starts.push_back(ends[k]);
    std::string best;
    for (auto it = starts.rbegin(); it != starts.rend(); ++it) {
      const std::string_view tail = Trim(tail_src.substr(*it));
      if (tail.empty()) continue;
      if (Count(tail) > opt_.overlap_tokens) break;
      std::string candidate(tail);
      candidate += kBlockJoin;
      candidate += cur.text;
      if (Count(candidate) > opt_.max_tokens) break;
      best = std::move(candidate);
    }
    return best.empty() ? cur.text : best;
  }

  const Tokenizer& tok_;
  Splitter split_;
  const ChunkOptions& opt_;
  const int threads_;
  const std::atomic<bool>* cancel_;  // the stage's: shutdown, or its deadline passed
};

Status ValidateOptions(const ChunkOptions& o) {
  const std::string values = " (min_tokens=" + std::to_string(o.min_tokens) +
                             ", target_tokens=" + std::to_string(o.target_tokens) +
                             ", max_tokens=" + std::to_string(o.max_tokens) +
                             ", overlap_tokens=" + std::to_string(o.overlap_tokens) + ")";
  if (o.min_tokens <= 0) return Status::InvalidInput("chunk options: min_tokens must be positive" + values);
  if (o.min_tokens > o.target_tokens) {
    return Status::InvalidInput("chunk options: min_tokens must not exceed target_tokens" + values);
  }
  if (o.target_tokens > o.max_tokens) {
    return Status::InvalidInput("chunk options: target_tokens must not exceed max_tokens" + values);
  }
  if (o.overlap_tokens < 0 || o.overlap_tokens >= o.target_tokens) {
    return Status::InvalidInput("chunk options: overlap_tokens must be in [0, target_tokens)" + values);
  }
  return Status::Ok();
}

}  // namespace

nlohmann::json ToJson(const Chunk& c) {
  return nlohmann::json{{"chunk_id", c.chunk_id},       {"index", c.index},
                        {"text", c.text},               {"breadcrumbs", c.breadcrumbs},
                        {"context_prefix", c.context_prefix}, {"page_start", c.page_start},
                        {"page_end", c.page_end},       {"token_count", c.token_count},
                        {"page_label_start", c.page_label_start}, {"page_label_end", c.page_label_end},
                        {"char_count", c.char_count},   {"type", c.type}};
}

Result<Chunk> ChunkFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidInput("chunk: expected a JSON object");
  Chunk c;
  auto get_string = [&](const char* key, std::string* out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return Status::InvalidInput(std::string("chunk: missing string field ") + key);
    *out = it->get<std::string>();
    return Status::Ok();
  };
  auto get_int = [&](const char* key, int* out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) {
      return Status::InvalidInput(std::string("chunk: missing integer field ") + key);
    }
    *out = it->get<int>();
    return Status::Ok();
  };
  DOCPIPE_RETURN_IF_ERROR(get_string("chunk_id", &c.chunk_id));
  DOCPIPE_RETURN_IF_ERROR(get_int("index", &c.index));
  DOCPIPE_RETURN_IF_ERROR(get_string("text", &c.text));
  DOCPIPE_RETURN_IF_ERROR(get_string("context_prefix", &c.context_prefix));
  DOCPIPE_RETURN_IF_ERROR(get_int("page_start", &c.page_start));
  DOCPIPE_RETURN_IF_ERROR(get_int("page_end", &c.page_end));
  DOCPIPE_RETURN_IF_ERROR(get_int("token_count", &c.token_count));
  DOCPIPE_RETURN_IF_ERROR(get_int("char_count", &c.char_count));
  DOCPIPE_RETURN_IF_ERROR(get_string("type", &c.type));
  // Printed page labels came later: chunks written before them have none.
  if (auto l = j.find("page_label_start"); l != j.end() && l->is_string()) c.page_label_start = l->get<std::string>();
  if (auto l = j.find("page_label_end"); l != j.end() && l->is_string()) c.page_label_end = l->get<std::string>();
  auto it = j.find("breadcrumbs");
  if (it == j.end() || !it->is_array()) return Status::InvalidInput("chunk: missing array field breadcrumbs");
  for (const auto& b : *it) {
    if (!b.is_string()) return Status::InvalidInput("chunk: breadcrumbs must be strings");
    c.breadcrumbs.push_back(b.get<std::string>());
  }
  return c;
}

Result<std::vector<Chunk>> ChunkDocument(const std::string& document_id, const std::string& version,
                                         const std::vector<ExtractedPage>& pages, const Tokenizer& tokenizer,
                                         const ChunkOptions& options, int threads,
                                         const std::atomic<bool>* cancel) {
  DOCPIPE_RETURN_IF_ERROR(ValidateOptions(options));
  Chunker chunker(tokenizer, options, threads, cancel);
  return chunker.Run(document_id, version, pages);
}

}  // namespace docpipe
