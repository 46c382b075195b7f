#!/usr/bin/env node
// Test oracle: token ids from js-tiktoken for every record of a corpus file.
// Usage: node js_tiktoken_ids.mjs CORPUS OUT [ENCODING...]
// CORPUS: records of (u8 flags, u32le length, bytes); flags bit 0 = allow all
// special tokens. The bytes are decoded as node does (WHATWG UTF-8, U+FFFD
// for invalid sequences, a leading BOM kept). OUT: for each encoding in
// order, for each record, u32le count then the u32le ids.
import fs from 'node:fs';
import { Tiktoken } from 'js-tiktoken/lite';

const [corpusPath, outPath, ...encs] = process.argv.slice(2);
const encodings = encs.length ? encs : ['cl100k_base', 'o200k_base'];
const corpus = fs.readFileSync(corpusPath);
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const records = [];
for (let off = 0; off < corpus.length;) {
  const flags = corpus[off];
  const len = corpus.readUInt32LE(off + 1);
  records.push({ allowAll: (flags & 1) !== 0, text: decoder.decode(corpus.subarray(off + 5, off + 5 + len)) });
  off += 5 + len;
}
const chunks = [];
for (const name of encodings) {
  const ranks = (await import(`js-tiktoken/ranks/${name}`)).default;
  const enc = new Tiktoken(ranks);
  for (const [i, r] of records.entries()) {
    const t0 = process.env.DOCPIPE_ORACLE_PROFILE ? performance.now() : 0;
    const ids = r.allowAll ? enc.encode(r.text, 'all', []) : enc.encode(r.text, [], []);
    const buf = Buffer.alloc(4 * (ids.length + 1));
    buf.writeUInt32LE(ids.length, 0);
    ids.forEach((id, i) => buf.writeUInt32LE(id, 4 * (i + 1)));
    chunks.push(buf);
    if (t0 && performance.now() - t0 > 100) {
      console.error(`${name} record ${i}: ${(performance.now() - t0).toFixed(0)} ms, ${r.text.length} chars`);
    }
  }
}
fs.writeFileSync(outPath, Buffer.concat(chunks));
