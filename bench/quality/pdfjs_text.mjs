// The second reference reader of bench/quality/score.py: a PDF's text as
// pdf.js (pdfjs-dist, package-lock.json) reads it, pages separated by form
// feeds as pdftotext separates them. A word both readers print is on the
// page; a word only one prints may be that reader's misreading.
// Usage: node bench/quality/pdfjs_text.mjs FILE.pdf
import { readFile } from "node:fs/promises";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";

const path = process.argv[2];
if (!path) {
  process.stderr.write("usage: pdfjs_text.mjs FILE.pdf\n");
  process.exit(2);
}
try {
  const data = new Uint8Array(await readFile(path));
  const doc = await getDocument({ data, verbosity: 0, isEvalSupported: false }).promise;
  const pages = [];
  for (let p = 1; p <= doc.numPages; p++) {
    const page = await doc.getPage(p);
    const content = await page.getTextContent();
    pages.push(content.items.map((item) => (item.str ?? "") + (item.hasEOL ? "\n" : "")).join(""));
    page.cleanup();
  }
  process.stdout.write(pages.join("\f"));
  await doc.destroy();
} catch (err) {
  process.stderr.write(`pdfjs_text: ${path}: ${err.message}\n`);
  process.exit(1);
}
