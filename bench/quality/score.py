#!/usr/bin/env python3
"""Scores bench_quality's output (one JSON per document) against pdftotext and
the PDFs' outlines, per category and overall. Standard library only.

Usage: score.py RESULTS_DIR CATEGORY_OF_FILE.tsv [REFERENCE_DIR]
  CATEGORY_OF_FILE.tsv: "category<TAB>file<TAB>reference_pdf" lines; the
  reference PDF is what pdftotext reads (the original for scanned copies).
Prints a Markdown table per metric group."""
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import unicodedata

# Bidi controls and zero-width (non-)joiners: pdftotext drops the joiners
# inside Persian words ("می‌کند"), docpipe keeps them; neither splits a word.
BIDI_MARKS = dict.fromkeys(map(ord, "\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None)
WORD = re.compile(r"\w+", re.UNICODE)


def words(text):
    """Words for recall/precision: NFKC (ligatures, presentation forms and
    full-width forms folded on both sides), case-folded, bidi marks dropped,
    split at non-word characters. Arabic/Persian letters are word characters;
    CJK text has no spaces, so each Han/Kana character counts as a word."""
    text = unicodedata.normalize("NFKC", text.translate(BIDI_MARKS)).casefold()
    out = []
    for w in WORD.findall(text):
        if any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in w):
            out.extend(ch for ch in w)
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


_pdftotext_cache = {}


def pdftotext_pages(pdf, layout=False):
    key = (pdf, layout)
    if key not in _pdftotext_cache:
        args = ["pdftotext", "-q", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [pdf, "-"]
        out = subprocess.run(args, capture_output=True).stdout.decode("utf-8", "replace")
        _pdftotext_cache[key] = out.split("\f")
    return _pdftotext_cache[key]


def furniture_lines(pdf):
    """Running headers/footers by pdftotext: lines among the first or last two
    of a page that repeat (digits masked) on >= 3 pages and >= 20 % of them.
    Lines that are only a number are left out (they cannot be found in a
    chunk's text without false hits)."""
    pages = [p for p in pdftotext_pages(pdf, layout=True) if p.strip()]
    seen = collections.Counter()
    for p in pages:
        lines = [re.sub(r"\s+", " ", l).strip() for l in p.split("\n") if l.strip()]
        edge = set(lines[:2] + lines[-2:])
        for l in edge:
            seen[re.sub(r"\d+", "#", l)] += 1
    need = max(3, 0.2 * len(pages))
    return [l for l, n in seen.items() if n >= need and re.search(r"[^\W\d_#]", l) and len(l) >= 4]


def norm_line(text):
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))).strip()


def norm_heading(t):
    t = unicodedata.normalize("NFKC", t).casefold()
    t = re.sub(r"^(chapter|part|appendix|section)\s+", "", t)
    t = re.sub(r"^[\divxlcdm]+(\.[\d]+)*\.?\s+", "", t)  # "2.1 ", "IV. "
    t = re.sub(r"^[a-z]\.[\d.]*\s+", "", t)  # "A.1 "
    return " ".join(WORD.findall(t))


def multiset_overlap(a, b):
    ca, cb = collections.Counter(a), collections.Counter(b)
    return sum((ca & cb).values())


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def main():
    results_dir, tsv = sys.argv[1], sys.argv[2]
    cats = {}
    refs = {}
    for line in open(tsv, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 2:
            cats[parts[1]] = parts[0]
            refs[parts[1]] = parts[2] if len(parts) > 2 and parts[2] else parts[1]
    per_cat = collections.defaultdict(list)
    for name in sorted(os.listdir(results_dir), key=lambda n: int(n.split(".")[0]) if n[0].isdigit() else 0):
        if not name.endswith(".json"):
            continue
        doc = json.load(open(os.path.join(results_dir, name), encoding="utf-8"))
        f = doc["file"]
        cat = cats.get(f, "other")
        row = {"file": f, "ok": doc["ok"], "error": doc.get("error", "")}
        if doc["ok"]:
            ours_text = "\n".join(strip_markdown(p["markdown"]) for p in doc["pages"])
            ref = refs.get(f, f)
            ref_pages = pdftotext_pages(ref)
            ref_text = "\n".join(ref_pages)
            ow, rw = words(ours_text), words(ref_text)
            inter = multiset_overlap(ow, rw)
            row["recall"] = inter / len(rw) if rw else 1.0
            row["precision"] = inter / len(ow) if ow else (1.0 if not rw else 0.0)
            row["fffd_ours"] = sum(p["markdown"].count("\ufffd") for p in doc["pages"])
            row["fffd_pdftotext"] = ref_text.count("\ufffd")
            row["unmapped_dropped"] = doc.get("unmapped", 0)
            row["pages"] = doc["page_count"]
            row["seconds"] = doc["seconds"]
            row["tables"] = sum(len(re.findall(r"^\|( ---+ \|)+$", p["markdown"], re.M)) for p in doc["pages"])
            row["ocr_pages"] = sum(1 for p in doc["pages"] if p["ocr"])
            furn = [norm_line(l) for l in furniture_lines(ref)] if ref.endswith(".pdf") else []
            chunks = doc["chunks"]
            with_furn = 0
            for c in chunks:
                lines = {norm_line(l) for l in c["text"].split("\n")}
                text = norm_line(c["text"])
                if any(fl in lines or fl in text for fl in furn):
                    with_furn += 1
            row["chunks"] = len(chunks)
            row["chunks_with_furniture"] = with_furn
            outline = doc.get("outline", [])
            if outline:
                titles = {norm_heading(o["title"]) for o in outline} - {""}
                heads = [norm_heading(h["text"]) for h in doc["headings"]]
                heads = [h for h in heads if h]
                matched = sum(1 for h in heads if h in titles)
                row["heading_precision"] = matched / len(heads) if heads else None
                found = {h for h in heads}
                row["heading_recall"] = sum(1 for t in titles if t in found) / len(titles) if titles else None
                row["headings"] = len(heads)
        per_cat[cat].append(row)

    def summarize(rows):
        ok = [r for r in rows if r["ok"]]
        rec = [r["recall"] for r in ok]
        prec = [r["precision"] for r in ok]
        chunks = sum(r["chunks"] for r in ok)
        furn = sum(r["chunks_with_furniture"] for r in ok)
        hp = [r["heading_precision"] for r in ok if r.get("heading_precision") is not None]
        hr = [r["heading_recall"] for r in ok if r.get("heading_recall") is not None]
        return {
            "docs": len(rows), "failed": len(rows) - len(ok), "pages": sum(r["pages"] for r in ok),
            "recall_median": statistics.median(rec) if rec else float("nan"), "recall_p5": pct(rec, 0.05),
            "precision_median": statistics.median(prec) if prec else float("nan"),
            "furniture_share": furn / chunks if chunks else 0.0, "chunks": chunks,
            "heading_precision": statistics.mean(hp) if hp else float("nan"),
            "heading_recall": statistics.mean(hr) if hr else float("nan"), "outline_docs": len(hp),
            "fffd_ours": sum(r["fffd_ours"] for r in ok), "fffd_pdftotext": sum(r["fffd_pdftotext"] for r in ok),
            "unmapped_dropped": sum(r["unmapped_dropped"] for r in ok),
            "tables": sum(r["tables"] for r in ok), "ocr_pages": sum(r["ocr_pages"] for r in ok),
        }

    print("| category | docs | failed | pages | word recall median | recall p5 | precision median | "
          "chunks with header/footer | heading precision | heading recall (docs with outline) | "
          "U+FFFD ours / pdftotext | unmapped glyphs dropped | tables | OCR'd pages |")
    print("| --- " * 14 + "|")
    all_rows = []
    for cat in sorted(per_cat):
        rows = per_cat[cat]
        all_rows += rows
        s = summarize(rows)
        print(f"| {cat} | {s['docs']} | {s['failed']} | {s['pages']} | {s['recall_median']:.3f} | {s['recall_p5']:.3f} | "
              f"{s['precision_median']:.3f} | {100 * s['furniture_share']:.1f} % of {s['chunks']} | "
              f"{s['heading_precision']:.2f} | {s['heading_recall']:.2f} ({s['outline_docs']}) | "
              f"{s['fffd_ours']} / {s['fffd_pdftotext']} | {s['unmapped_dropped']} | {s['tables']} | {s['ocr_pages']} |")
    s = summarize(all_rows)
    print(f"| **all** | {s['docs']} | {s['failed']} | {s['pages']} | {s['recall_median']:.3f} | {s['recall_p5']:.3f} | "
          f"{s['precision_median']:.3f} | {100 * s['furniture_share']:.1f} % of {s['chunks']} | "
          f"{s['heading_precision']:.2f} | {s['heading_recall']:.2f} ({s['outline_docs']}) | "
          f"{s['fffd_ours']} / {s['fffd_pdftotext']} | {s['unmapped_dropped']} | {s['tables']} | {s['ocr_pages']} |")
    if os.environ.get("QUALITY_DETAIL"):
        print()
        print("| category | file | recall | precision | headings P/R |")
        print("| --- | --- | --- | --- | --- |")
        for cat in sorted(per_cat):
            for r in per_cat[cat]:
                if not r["ok"]:
                    print(f"| {cat} | {r['file']} | failed: {r['error']} | | |")
                    continue
                hp = r.get("heading_precision")
                hr = r.get("heading_recall")
                hs = f"{hp:.2f}/{hr:.2f}" if hp is not None and hr is not None else "-"
                print(f"| {cat} | {os.path.basename(r['file'])} | {r['recall']:.3f} | {r['precision']:.3f} | {hs} |")


if __name__ == "__main__":
    main()
