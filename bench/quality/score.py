#!/usr/bin/env python3
"""Scores bench_quality's output (one JSON per document) against independent
references, per category and overall. Standard library only.

Usage: score.py [--detail N] [--only REGEX] RESULTS_DIR CATEGORIES.tsv [NO_OUTLINE_RESULTS_DIR]
  CATEGORIES.tsv: "category<TAB>file<TAB>reference_pdf" lines; the reference
  PDF is what pdftotext reads (the original for scanned copies).
  NO_OUTLINE_RESULTS_DIR: the same files extracted with --no-outline (headings
  from fonts, weight and numbering only), scored against the same outlines.
  --detail N: after the tables, the N documents of lowest word recall with the
  words they miss, and every document that leaks headers/footers with the lines.

The measures (docs/benchmarks.md, "Extraction quality", repeats them):

Word recall / precision: multiset overlap of words (NFKC, case-folded, bidi
marks and kashidas dropped, split at non-word characters but not at a space
between two Arabic glyph forms that join, each Han/Kana/Hangul character
a word) between docpipe's page Markdown (syntax removed) and `pdftotext`
of the same PDF. "Recall without removed furniture" takes out of the
reference, as a multiset, the words of the lines docpipe removed as running
headers, footers and page numbers (ExtractedPage::furniture): the two
figures are printed side by side, and the share of reference words removed
that way is printed too, together with how much of it the reference's own
header/footer rule below confirms (so a detector that removed body text
would show as unconfirmed furniture, never as higher recall unremarked).

Recall against the words both readers print: pdftotext misreads some
documents outright (TeX's ⟨meta⟩ brackets as "hheighti", a typewriter
listing letter by letter, kashida-stretched Persian words cut into
letters, Latin guesses for fonts without a Unicode map), so a second,
independent reader, pdf.js (pdfjs-dist, bench/quality/pdfjs_text.mjs),
reads the same PDF, and the reference becomes the multiset of words both
print (without docpipe's removed furniture, as above). A word only one
reader prints is left out of that figure, never counted as found. The two
readers' agreement (the words both print over the larger reader's count)
is printed per document; under 0.9 the readers disagree on the document's
text, and at least one of them misreads much of it. The pdftotext-only
figures stay beside it.

Header/footer lines in chunks: the reference finds running headers and
footers from pdftotext's word boxes (`pdftotext -bbox-layout`), not from
docpipe's detector: per page, the outermost row of text at the top (and at
the bottom), and the next one or two rows inwards while the rows outside
them were furniture, inside the outer quarter of the page, are furniture
when their text, numbers masked, sits at the same height (within 3 pt) on
at least two other pages of the document, or when they are a bare page
number. For each such line (of four letters or more) the occurrences in
docpipe's text beyond those in the reference's body text (the pages minus
their furniture rows) are leaks, and a chunk that holds a leak counts. Real
content that repeats in the body is therefore never counted: the reference
has it in its body as often as docpipe does. Bare page numbers are counted
apart: pages whose Markdown keeps the page's number as a paragraph of its own.

Heading precision / recall: a docpipe heading matches an outline entry that
points within one page of it and whose title it equals, letters and digits
compared (case and accents ignored), with or without its section number, or ends with ("Chapter 1
Introduction" for "Introduction"), or starts with its words ("abbreviate Abbreviate Strings" for
"abbreviate": an entry of R's reference manual, its name and then what it does). Pooled over the documents whose outline
has at least three entries pointing at pages; recall = outline entries
matched by some heading. Also with the outline ignored (--no-outline).
"""
import collections
import concurrent.futures
import html
import json
import os
import re
import statistics
import subprocess
import sys
import unicodedata

# Bidi controls and zero-width (non-)joiners: pdftotext drops the joiners
# inside Persian words, docpipe keeps them; neither splits a word.
BIDI_MARKS = dict.fromkeys(map(ord, "\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None)
WORD = re.compile(r"\w+", re.UNICODE)


def is_cjk(ch):
    return "\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uf900" <= ch <= "\ufaff"


# TeX sets an accented i as the dotless ı under the accent (OT1's \'\i):
# the readers print "ı" and a combining acute, which NFKC does not compose
# into "í", so "příklad" would be "přı" and "klad" to a reader. With a mark
# on it, a dotless i or j is the plain letter.
DOTLESS_UNDER_MARK = re.compile("[\u0131\u0237](?=[\u0300-\u036f])")


def undot(m):
    return "i" if m.group(0) == "\u0131" else "j"


# An Arabic letter in its initial or medial presentation form joins the
# letter after it, one in its medial or final form the letter before it, and
# a kashida (tatweel) both: a space between two such is never a word space.
# The readers print such spaces where a justified line stretches a word with
# kashidas drawn apart from its letters (texnegar's "ﺗ ﻼﺷ ﻬ ـ ـ ﺎﯾ ﯽ" for
# "تلاشهــایی"), and their own glyph forms say that the letters join. Both
# sides must say so: some fonts map a word's last letter to its initial form
# (kurdishlipsum's "ﺧﺎﻧ و", "خان و").
def presentation_forms(*kinds):
    return "".join(chr(c) for c in range(0xFB50, 0xFEFF)
                   if unicodedata.decomposition(chr(c)).startswith(kinds))


SPACE_INSIDE_ARABIC_WORD = re.compile(
    f"(?<=[{presentation_forms('<initial>', '<medial>')}\u0640])\\s+"
    f"(?=[{presentation_forms('<final>', '<medial>')}\u0640])")
# The kashida only stretches a word: search engines drop it (Lucene's Arabic
# and Persian normalisers do), docpipe drops it inside words, and the scorer
# drops it on every side.
KASHIDA = {0x0640: None}


def words(text):
    text = SPACE_INSIDE_ARABIC_WORD.sub("", text.translate(BIDI_MARKS)).translate(KASHIDA)
    text = DOTLESS_UNDER_MARK.sub(undot, unicodedata.normalize("NFD", text))
    text = unicodedata.normalize("NFKC", text).casefold()
    out = []
    for w in WORD.findall(text):
        if any(is_cjk(ch) for ch in w):
            out.extend(w)
        else:
            out.append(w)
    return out


def strip_markdown(md):
    lines = []
    for line in md.split("\n"):
        if line.startswith("```") or re.match(r"^\|( ---+ \|)+$", line):
            continue
        line = re.sub(r"^#+ ", "", line)
        line = re.sub(r"^- ", "", line)
        lines.append(line.replace("|", " "))
    return "\n".join(lines)


def run(args):
    return subprocess.run(args, capture_output=True).stdout.decode("utf-8", "replace")


HERE = os.path.dirname(os.path.abspath(__file__))


# ---- Reference: pdftotext ---------------------------------------------------

def pdftotext_pages(pdf):
    pages = run(["pdftotext", "-q", "-enc", "UTF-8", pdf, "-"]).split("\f")
    if len(pages) > 1 and not pages[-1].strip():
        pages.pop()
    return pages


# ---- Second reference: pdf.js ------------------------------------------------

def pdfjs_text(pdf):
    """pdf.js's text of the PDF (bench/quality/pdfjs_text.mjs), or None when
    pdf.js cannot read it. A missing node or pdfjs-dist stops the scorer:
    the measures that need it would be wrong, not absent."""
    try:
        p = subprocess.run(["node", os.path.join(HERE, "pdfjs_text.mjs"), pdf], capture_output=True)
    except FileNotFoundError:
        sys.exit("score.py: node is not installed (scripts/install-deps.sh bench)")
    err = p.stderr.decode("utf-8", "replace")
    if "ERR_MODULE_NOT_FOUND" in err:
        sys.exit("score.py: pdfjs-dist is not installed: run `npm ci` in the repository (package-lock.json)")
    if p.returncode != 0:
        print(f"score.py: pdf.js cannot read {pdf}: {err.strip()}", file=sys.stderr)
        return None
    return p.stdout.decode("utf-8", "replace")


ROMAN = re.compile(r"^(?=[ivxlcdm]{1,7}$)m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$", re.I)


def mask(text):
    """Numbers masked (digit runs of any script, roman numerals) and
    whitespace collapsed: what varies from page to page in a running header."""
    text = unicodedata.normalize("NFKC", text.translate(BIDI_MARKS))
    out = []
    for w in text.split():
        core = w.strip(".,;:()[]-–")
        if core and ROMAN.match(core):
            w = w.replace(core, "#")
        out.append(re.sub(r"\d+", "#", w))
    return " ".join(out)


def page_number_text(text):
    """The number of a bare page-number line ("17", "- 17 -", "Page 17 of 230",
    "17 / 230", "xii"), or None."""
    t = unicodedata.normalize("NFKC", text.translate(BIDI_MARKS)).strip()
    t = re.sub(r"^(page|p\.|seite|página)\s+", "", t, flags=re.I)
    t = re.sub(r"\s*(/|of|von|de)\s*\d+$", "", t)
    t = t.strip("-–—[]() .")
    if re.fullmatch(r"\d{1,5}", t) or (len(t) <= 7 and ROMAN.match(t)):
        return t
    return None


WORD_RE = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>', re.S)
PAGE_RE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
LINE_RE = re.compile(r'<line [^>]*>(.*?)</line>', re.S)


class Row:
    """Text of one baseline band of a page: words left to right, the band's
    top and bottom, and the median word height (its text size; a tall logo
    glyph does not make a header a title)."""

    def __init__(self, y0, y1, ws):
        self.y0, self.y1 = y0, y1
        self.words = ws  # [(x, y0, y1, text)]

    def add(self, y0, y1, ws):
        self.y0, self.y1 = min(self.y0, y0), max(self.y1, y1)
        self.words += ws

    def finish(self):
        self.words.sort()
        self.text = " ".join(w[3] for w in self.words)
        hs = sorted(w[2] - w[1] for w in self.words)
        self.size = hs[len(hs) // 2]
        # The baseline band of most words (tall glyphs left out).
        self.top = sorted(w[1] for w in self.words)[len(hs) // 2]
        self.bottom = sorted(w[2] for w in self.words)[len(hs) // 2]


def bbox_rows(pdf):
    """Per page: (height, [Row] top to bottom): pdftotext's lines that share
    a baseline band joined."""
    out = []
    for m in PAGE_RE.finditer(run(["pdftotext", "-q", "-enc", "UTF-8", "-bbox-layout", pdf, "-"])):
        height = float(m.group(2))
        lines = []
        for lm in LINE_RE.finditer(m.group(3)):
            ws = [(float(x), float(a), float(b), html.unescape(t)) for x, a, b, t in WORD_RE.findall(lm.group(1))]
            if ws:
                lines.append((min(w[1] for w in ws), max(w[2] for w in ws), ws))
        lines.sort(key=lambda l: (l[0] + l[1]) / 2)
        rows = []
        for y0, y1, ws in lines:
            c = (y0 + y1) / 2
            if rows and rows[-1].y0 <= c <= rows[-1].y1:
                rows[-1].add(y0, y1, ws)
            else:
                rows.append(Row(y0, y1, list(ws)))
        for r in rows:
            r.finish()
        out.append((height, rows))
    return out


class ReferenceFurniture:
    """Running headers/footers and page numbers by the rule in the module
    docstring, from pdftotext's word boxes."""

    MAX_DEPTH = 3  # rows from each edge
    SAME_Y = 3.0  # points
    NEARBY = 8  # pages either side: a running header runs over neighbouring pages
    BAND = 0.2  # of the page height, at the top and at the bottom
    MAX_SIZE = 1.2  # row height / the document's median row height: larger rows are titles

    def __init__(self, pdf):
        pages = bbox_rows(pdf)
        self.rows = [rows for _, rows in pages]
        heights = sorted(r.size for rows in self.rows for r in rows)
        body = heights[len(heights) // 2] if heights else 0
        # (side, key) -> [(page, y)] of the outer rows of every page.
        where = collections.defaultdict(list)
        outer = []  # per page, per side: [(row index, repeated or page number, page number text)]
        for p, (h, rows) in enumerate(pages):
            sides = {}
            for side in ("top", "bottom"):
                order = range(len(rows)) if side == "top" else range(len(rows) - 1, -1, -1)
                picked = []
                for depth, i in enumerate(order):
                    r = rows[i]
                    if depth >= self.MAX_DEPTH or (side == "top" and r.bottom > h * self.BAND) or \
                            (side == "bottom" and r.top < h * (1 - self.BAND)):
                        break
                    picked.append(i)
                    if r.size <= self.MAX_SIZE * body:
                        where[(side, mask(r.text))].append((p, r.bottom))
                sides[side] = picked
            outer.append(sides)
        self.furniture = []  # per page: set of row indexes
        self.numbers = []  # per page: the bare page number found, or None
        for p, sides in enumerate(outer):
            found, number = set(), None
            rows = self.rows[p]
            for side, picked in sides.items():
                chain = []  # outer rows, outermost first, while each is furniture
                for i in picked:
                    r = rows[i]
                    n = page_number_text(r.text)
                    near = {q for q, yq in where[(side, mask(r.text))]
                            if q != p and abs(q - p) <= self.NEARBY and abs(yq - r.bottom) <= self.SAME_Y}
                    if n is None and (len(near) < 2 or r.size > self.MAX_SIZE * body):
                        break
                    chain.append((i, n))
                # The chain ends where a gap of a row's height sets it apart
                # from the body; a body line that merely starts every page at
                # the same height runs on at line spacing.
                keep = 0
                for k, (i, n) in enumerate(chain):
                    inner = i + 1 if side == "top" else i - 1
                    r = rows[i]
                    if not 0 <= inner < len(rows):
                        keep = k + 1
                        continue
                    gap = rows[inner].top - r.bottom if side == "top" else r.top - rows[inner].bottom
                    if gap >= r.size:
                        keep = k + 1
                for i, n in chain[:keep]:
                    found.add(i)
                    if n is not None and number is None:
                        number = n
            self.furniture.append(found)
            self.numbers.append(number)

    def lines(self):
        """Masked texts of the furniture rows that are not bare numbers and
        have at least four letters (what can be looked for in a chunk)."""
        out = set()
        for p, found in enumerate(self.furniture):
            for i in found:
                text = self.rows[p][i].text
                if page_number_text(text) is None and sum(ch.isalpha() for ch in text) >= 4:
                    out.add(mask(text))
        return out

    def furniture_text(self):
        return "\n".join(self.rows[p][i].text for p, found in enumerate(self.furniture) for i in sorted(found))

    def body_text(self):
        return "\n".join(r.text for p, rows in enumerate(self.rows) for i, r in enumerate(rows)
                         if i not in self.furniture[p])


# ---- Headings -----------------------------------------------------------------

def fold(text):
    """Letters and digits, case-folded, without accents: outlines are often
    typed without them ("Uvod" for the page's "Úvod", "Torunska" for
    "Toruńska")."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def folded_words(text):
    return [f for f in (fold(w) for w in text.split()) if f]


def without_number(text):
    parts = text.split()
    if not parts:
        return text
    if parts[0] in ("Chapter", "CHAPTER", "Appendix", "Part"):
        return " ".join(parts[2:])
    if parts[0][0].isdigit() or (len(parts[0]) <= 5 and "." in parts[0]):
        return " ".join(parts[1:])
    return text


def score_headings(found, outline):
    """found: [(text, page)]; outline: [(title, page)] -> (headings, matched
    headings, entries pointing at pages, matched entries)."""
    entries = [(fold(t), fold(without_number(t)), p) for t, p in outline]
    entry_words = [folded_words(t) for t, _ in outline]
    pointing = sum(1 for b, _, p in entries if p > 0 and b)
    matched_entry = [False] * len(entries)
    matched = 0
    for text, page in found:
        a, a_bare = fold(text), fold(without_number(text))
        words = folded_words(text)
        for k, (b, b_bare, p) in enumerate(entries):
            if not b or (p > 0 and abs(p - page) > 1):
                continue
            w = entry_words[k]
            if (a == b or a_bare == b or a == b_bare or (a_bare and a_bare == b_bare) or a.endswith(b) or
                    (len(words) > len(w) and words[:len(w)] == w)):
                matched += 1
                matched_entry[k] = True
                break
    return len(found), matched, pointing, sum(1 for k, (b, _, p) in enumerate(entries) if matched_entry[k] and p > 0 and b)


# ---- Scoring one document ------------------------------------------------------

def count_overlap(a, b):
    return sum((a & b).values())


def score_document(doc, ref_pdf, no_outline_doc):
    row = {"file": doc["file"], "ok": doc["ok"], "error": doc.get("error", "")}
    if not doc["ok"]:
        return row
    pages = doc["pages"]
    ours_pages = [strip_markdown(p["markdown"]) for p in pages]
    ours = collections.Counter(words("\n".join(ours_pages)))
    ref_pages = pdftotext_pages(ref_pdf)
    ref = collections.Counter(words("\n".join(ref_pages)))
    removed = collections.Counter(words("\n".join(l for p in pages for l in p.get("furniture", []))))
    ref_body = ref - removed
    inter = count_overlap(ours, ref)
    row["ref_words"] = sum(ref.values())
    row["recall"] = inter / row["ref_words"] if ref else 1.0
    row["precision"] = inter / sum(ours.values()) if ours else (1.0 if not ref else 0.0)
    row["recall_body"] = count_overlap(ours, ref_body) / sum(ref_body.values()) if ref_body else 1.0
    row["missed"] = ref_body - ours
    # The words both readers print: a word only pdftotext prints may be its
    # misreading ("hheighti" for TeX's ⟨height⟩, code set letter by letter,
    # kashida-stretched Persian words cut into letters), as a word only
    # pdf.js prints may be its own.
    second = pdfjs_text(ref_pdf)
    row["second_reader"] = second is not None
    agreed = ref & collections.Counter(words(second)) if second is not None else ref
    agreed_body = agreed - removed
    row["agreement"] = sum(agreed.values()) / max(sum(ref.values()), sum(collections.Counter(words(second)).values())) \
        if second is not None and (ref or second.strip()) else 1.0
    row["recall_agreed"] = count_overlap(ours, agreed_body) / sum(agreed_body.values()) if agreed_body else 1.0
    row["missed_agreed"] = agreed_body - ours
    row["extra"] = ours - ref
    ref_furn = ReferenceFurniture(ref_pdf)
    removed_in_ref = removed & ref
    confirmed = removed_in_ref & collections.Counter(words(ref_furn.furniture_text()))
    row["removed_words"] = sum(removed_in_ref.values())
    row["removed_confirmed"] = sum(confirmed.values())
    row["removed_unconfirmed"] = removed_in_ref - confirmed
    row["pages"] = doc["page_count"]
    row["seconds"] = doc["seconds"]
    row["fffd_ours"] = sum(p["markdown"].count("\ufffd") for p in pages)
    row["fffd_pdftotext"] = sum(p.count("\ufffd") for p in ref_pages)
    row["unmapped_dropped"] = doc.get("unmapped", 0)
    row["tables"] = sum(len(re.findall(r"^\|( ---+ \|)+$", p["markdown"], re.M)) for p in pages)
    row["ocr_pages"] = sum(1 for p in pages if p["ocr"])

    # Header/footer lines left in chunks.
    chunks = [mask(c["text"]) for c in doc["chunks"]]
    ours_masked = mask("\n".join(ours_pages))
    body_masked = mask(ref_furn.body_text())
    marked = set()
    leaks = []
    for line in sorted(ref_furn.lines()):
        extra = ours_masked.count(line) - body_masked.count(line)
        if extra <= 0:
            continue
        leaks.append((line, extra))
        holders = sorted(((c.count(line), k) for k, c in enumerate(chunks) if line in c), reverse=True)
        for n, k in holders:
            if extra <= 0:
                break
            marked.add(k)
            extra -= n
    row["chunks"] = len(chunks)
    row["chunks_with_furniture"] = len(marked)
    row["leaks"] = leaks
    numbers_left = 0
    for p, number in enumerate(ref_furn.numbers):
        if number is None or p >= len(pages):
            continue
        paragraphs = [x.strip() for x in re.split(r"\n\s*\n", pages[p]["markdown"])]
        numbers_left += 1 if any(page_number_text(x) == number for x in paragraphs if x) else 0
    row["page_numbers"] = sum(1 for n in ref_furn.numbers if n is not None)
    row["page_numbers_left"] = numbers_left

    outline = [(o["title"], o["page"]) for o in doc.get("outline", [])]
    for key, d in (("h", doc), ("hn", no_outline_doc)):
        if d is None or not d["ok"]:
            continue
        s = score_headings([(h["text"], h["page"]) for h in d["headings"]], outline)
        if s[2] >= 3:
            row[key] = s
    return row


# Readers that share fewer words than this disagree on the document's text:
# at least one of them misreads much of it.
AGREEMENT = 0.9

# ---- Report ---------------------------------------------------------------------

def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def ratio(a, b):
    return a / b if b else float("nan")


def summarize(rows):
    ok = [r for r in rows if r["ok"]]
    s = {"docs": len(rows), "failed": len(rows) - len(ok), "pages": sum(r["pages"] for r in ok),
         "disagree": sum(1 for r in ok if r["agreement"] < AGREEMENT),
         "unread": sum(1 for r in ok if not r["second_reader"])}
    for k in ("recall", "recall_body", "recall_agreed", "precision"):
        xs = [r[k] for r in ok]
        s[k + "_median"] = statistics.median(xs) if xs else float("nan")
        s[k + "_p5"] = pct(xs, 0.05)
    s["recall_agreeing_p5"] = pct([r["recall_agreed"] for r in ok if r["agreement"] >= AGREEMENT], 0.05)
    for k in ("chunks", "chunks_with_furniture", "fffd_ours", "fffd_pdftotext", "unmapped_dropped", "tables",
              "ocr_pages", "ref_words", "removed_words", "removed_confirmed", "page_numbers", "page_numbers_left",
              "seconds"):
        s[k] = sum(r[k] for r in ok)
    for key in ("h", "hn"):
        hs = [r[key] for r in ok if key in r]
        t = [sum(x[i] for x in hs) for i in range(4)]
        s[key] = (len(hs), ratio(t[1], t[0]), ratio(t[3], t[2]), t[0], t[1], t[2], t[3])
    return s


def category_rows(per_cat):
    out = [(cat, summarize(per_cat[cat])) for cat in sorted(per_cat)]
    out.append(("**all**", summarize([r for cat in per_cat for r in per_cat[cat]])))
    return out


def print_tables(per_cat, with_no_outline):
    rows = category_rows(per_cat)
    print("Words against pdftotext (recall without removed furniture: docpipe's removed header/footer lines taken "
          "out of the reference; removed: share of reference words in them, and the part the reference's own "
          "header/footer rule confirms):\n")
    print("| category | docs | failed | pages | recall median | recall p5 | recall w/o removed furniture: median | p5 "
          "| precision median | removed (confirmed) | w/o removed furniture, words pdf.js also prints: median | p5 "
          f"| readers disagree (< {AGREEMENT:g} shared) | p5 where they agree |")
    print("| --- " * 14 + "|")
    for cat, s in rows:
        unread = f", pdf.js failed on {s['unread']}" if s["unread"] else ""
        print(f"| {cat} | {s['docs']} | {s['failed']} | {s['pages']:,} | {s['recall_median']:.3f} | "
              f"{s['recall_p5']:.3f} | {s['recall_body_median']:.3f} | {s['recall_body_p5']:.3f} | "
              f"{s['precision_median']:.3f} | {100 * ratio(s['removed_words'], s['ref_words']):.1f} % "
              f"({100 * ratio(s['removed_confirmed'], s['removed_words']):.0f} %) | "
              f"{s['recall_agreed_median']:.3f} | {s['recall_agreed_p5']:.3f} | {s['disagree']}{unread} | "
              f"{s['recall_agreeing_p5']:.3f} |")
    print("\nStructure:\n")
    head = ("| category | chunks with header/footer lines | pages keeping a bare page number | "
            "heading precision / recall vs outline (docs) |")
    sep = 4
    if with_no_outline:
        head += " outline ignored: precision / recall |"
        sep += 1
    head += " tables | U+FFFD ours / pdftotext | unmapped glyphs dropped | OCR'd pages |"
    sep += 4
    print(head)
    print("| --- " * sep + "|")
    for cat, s in rows:
        h, hn = s["h"], s["hn"]
        line = (f"| {cat} | {100 * ratio(s['chunks_with_furniture'], s['chunks']):.1f} % "
                f"({s['chunks_with_furniture']} of {s['chunks']:,}) | "
                f"{s['page_numbers_left']} of {s['page_numbers']:,} | "
                f"{h[1]:.3f} / {h[2]:.3f} ({h[0]}) |")
        if with_no_outline:
            line += f" {hn[1]:.3f} / {hn[2]:.3f} |"
        line += (f" {s['tables']:,} | {s['fffd_ours']} / {s['fffd_pdftotext']} | {s['unmapped_dropped']:,} | "
                 f"{s['ocr_pages']} |")
        print(line)
    s = rows[-1][1]
    print(f"\nTOTAL pages={s['pages']} extraction_seconds={s['seconds']:.2f} "
          f"pages_per_s={ratio(s['pages'], s['seconds']):.0f} "
          f"header_footer_chunks={s['chunks_with_furniture']}/{s['chunks']} "
          f"recall_p5={s['recall_p5']:.4f} recall_wo_furniture_p5={s['recall_body_p5']:.4f} "
          f"recall_agreed_p5={s['recall_agreed_p5']:.4f} recall_agreeing_p5={s['recall_agreeing_p5']:.4f} "
          f"heading_precision={s['h'][1]:.4f} ({s['h'][4]}/{s['h'][3]}) "
          f"heading_precision_no_outline={s['hn'][1]:.4f} ({s['hn'][4]}/{s['hn'][3]})")


def top(counter, n):
    return ", ".join(f"{w}×{c}" if c > 1 else w for w, c in counter.most_common(n))


def print_detail(per_cat, n):
    rows = [(cat, r) for cat in per_cat for r in per_cat[cat] if r["ok"]]
    print(f"\nThe {n} documents of lowest word recall (words missed, against the reference without removed "
          "furniture; words removed as furniture that the reference does not confirm):\n")
    print("| category | file | recall | w/o furniture | words pdf.js also prints | readers' agreement | precision | "
          "missed words | unconfirmed furniture words | missed words pdf.js also prints |")
    print("| --- " * 10 + "|")
    for cat, r in sorted(rows, key=lambda x: x[1]["recall"])[:n]:
        print(f"| {cat} | {os.path.basename(r['file'])} | {r['recall']:.3f} | {r['recall_body']:.3f} | "
              f"{r['recall_agreed']:.3f} | {r['agreement']:.3f} | "
              f"{r['precision']:.3f} | {top(r['missed'], 12)} | {top(r['removed_unconfirmed'], 8)} | "
              f"{top(r['missed_agreed'], 12)} |")
    print(f"\nThe {n} documents of lowest recall against the words both readers print:\n")
    print("| category | file | recall | readers' agreement | missed words pdf.js also prints |")
    print("| --- " * 5 + "|")
    for cat, r in sorted(rows, key=lambda x: x[1]["recall_agreed"])[:n]:
        print(f"| {cat} | {os.path.basename(r['file'])} | {r['recall_agreed']:.3f} | {r['agreement']:.3f} | "
              f"{top(r['missed_agreed'], 12)} |")
    print("\nHeader/footer lines left in chunks (line, occurrences beyond the reference's body):\n")
    for cat, r in sorted(rows, key=lambda x: -x[1]["chunks_with_furniture"]):
        if r["chunks_with_furniture"]:
            leaks = "; ".join(f"'{l}' ×{k}" for l, k in sorted(r["leaks"], key=lambda x: -x[1])[:6])
            print(f"- {cat} {os.path.basename(r['file'])}: {r['chunks_with_furniture']} of {r['chunks']} chunks: {leaks}")
    print("\nHeadings, per document (with outline; outline ignored): found/matched/entries/entries matched\n")
    for cat, r in rows:
        if "h" in r or "hn" in r:
            print(f"- {cat} {os.path.basename(r['file'])}: {r.get('h')} ; {r.get('hn')}")


def load(results_dir):
    docs = {}
    if not results_dir:
        return docs
    for name in os.listdir(results_dir):
        if name.endswith(".json"):
            d = json.load(open(os.path.join(results_dir, name), encoding="utf-8"))
            docs[d["file"]] = d
    return docs


def main():
    args = sys.argv[1:]
    detail, only = 0, None
    while args and args[0].startswith("--"):
        if args[0] == "--detail":
            detail = int(args[1])
        elif args[0] == "--only":  # a regular expression over file names
            only = re.compile(args[1])
        args = args[2:]
    results_dir, tsv = args[0], args[1]
    no_outline = load(args[2] if len(args) > 2 else None)
    cats, refs, order = {}, {}, []
    for line in open(tsv, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 2:
            cats[parts[1]] = parts[0]
            refs[parts[1]] = parts[2] if len(parts) > 2 and parts[2] else parts[1]
            order.append(parts[1])
    docs = load(results_dir)
    per_cat = collections.defaultdict(list)
    todo = [f for f in order if f in docs and not (only and only.search(f) is None)]
    # The readers run one process per document: the documents are scored
    # in parallel, one per core.
    with concurrent.futures.ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        scored = pool.map(score_document, [docs[f] for f in todo], [refs[f] for f in todo],
                          [no_outline.get(f) for f in todo])
        for f, row in zip(todo, scored):
            per_cat[cats[f]].append(row)
    print_tables(per_cat, bool(no_outline))
    if detail:
        print_detail(per_cat, detail)


if __name__ == "__main__":
    main()
