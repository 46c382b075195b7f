#!/usr/bin/env node
// Test oracle: token ids from js-tiktoken for every record of a corpus file.
// Usage: node js_tiktoken_ids.mjs CORPUS OUT [ENCODING...]
// CORPUS: records of (u8 flags, u32le length, bytes); flags bit 0 = allow all
// special tokens. The bytes are decoded as node does (WHATWG UTF-8, U+FFFD
// for invalid sequences, a leading BOM kept). OUT: for each encoding in
// order, for each record, u32le count then the u32le ids.
//
// docpipe's pre-tokeniser follows one pinned Unicode version
// (tools/bpe_unicode.mjs). Where this node's Unicode tables put a code point
// in a different class of the pattern, a record holding it is encoded by
// js-tiktoken with the pattern's classes spelled out from the pinned data;
// every other record by js-tiktoken exactly as shipped. The count of such
// records is printed (0 when node's Unicode version is the pinned one).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tiktoken } from 'js-tiktoken/lite';

import { MAX_CP, PINNED_UNICODE, PinnedUnicode, pinnedJsPattern, tokenizePattern } from '../../tools/bpe_unicode.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
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
const unicode = await PinnedUnicode.load(path.join(here, '..', '..', 'node_modules'));

// Code points some class of `pat` puts differently under node's tables.
function disagreements(pat) {
  const out = new Uint8Array(MAX_CP + 1);
  let n = 0;
  for (const part of tokenizePattern(pat)) {
    if (typeof part === 'string') continue;
    const re = new RegExp(`^${part.js}$`, 'u');
    const pinned = unicode.classSet(part);
    for (let cp = 0; cp <= MAX_CP; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if ((re.test(String.fromCodePoint(cp)) ? 1 : 0) !== pinned[cp] && !out[cp]) {
        out[cp] = 1;
        n++;
      }
    }
  }
  return [out, n];
}

const chunks = [];
for (const name of encodings) {
  const ranks = (await import(`js-tiktoken/ranks/${name}`)).default;
  const shipped = new Tiktoken(ranks);
  const [differs, nDiffer] = disagreements(ranks.pat_str);
  const pinned = nDiffer ? new Tiktoken({ ...ranks, pat_str: pinnedJsPattern(ranks.pat_str, unicode) }) : null;
  let viaPinned = 0;
  for (const [i, r] of records.entries()) {
    let enc = shipped;
    if (nDiffer) {
      for (const ch of r.text) {
        if (differs[ch.codePointAt(0)]) {
          enc = pinned;
          viaPinned++;
          break;
        }
      }
    }
    const t0 = process.env.DOCPIPE_ORACLE_PROFILE ? performance.now() : 0;
    const ids = r.allowAll ? enc.encode(r.text, 'all', []) : enc.encode(r.text, [], []);
    const buf = Buffer.alloc(4 * (ids.length + 1));
    buf.writeUInt32LE(ids.length, 0);
    ids.forEach((id, k) => buf.writeUInt32LE(id, 4 * (k + 1)));
    chunks.push(buf);
    if (t0 && performance.now() - t0 > 100) {
      console.error(`${name} record ${i}: ${(performance.now() - t0).toFixed(0)} ms, ${r.text.length} chars`);
    }
  }
  console.error(`${name}: node ${process.versions.node} (Unicode ${process.versions.unicode}) and Unicode ` +
                `${PINNED_UNICODE} disagree on ${nDiffer} code points; ${viaPinned} of ${records.length} ` +
                'records were encoded with the pinned classes');
}
fs.writeFileSync(outPath, Buffer.concat(chunks));
