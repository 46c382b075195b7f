#!/usr/bin/env node
// Converts js-tiktoken's rank files (node_modules/js-tiktoken/dist/ranks/<enc>.js:
// {pat_str, special_tokens, bpe_ranks}) into the compact tables that docpipe
// compiles into its binary (format: src/tokenize/bpe_table.h).
//
// The pre-tokenisation pattern is JavaScript regex syntax (flag "u"). It is
// rewritten for PCRE2 (UTF + UCP) so that its character classes match the
// code points of the pinned Unicode version (tools/bpe_unicode.mjs), whatever
// Unicode tables the node running this has: the tables depend only on the
// pinned rank data, the pinned Unicode data and Debian's libpcre2, and their
// sha256 must equal the committed one (--expect-sha256), so every machine
// builds the same bytes.
//
// Usage: node tiktoken_ranks_to_bin.mjs --node-modules DIR --out-dir DIR
//             --class-ranges PATH_TO_pcre2_class_ranges
//             [--expect-sha256 FILE] [--encodings a,b]
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { MAX_CP, PINNED_UNICODE, PinnedUnicode, toRanges, tokenizePattern } from './bpe_unicode.mjs';

// sha256 of the rank sources in the pinned js-tiktoken (package.json /
// package-lock.json). npm ci already checks the tarball's sha512; this pins
// the rank data itself, so a changed package cannot silently change ids.
const PINNED = {
  package: 'js-tiktoken',
  version: '1.0.21',
  sha256: {
    cl100k_base: '0e301a9c7f82e2353bc484be0149b2fb8a6db85d516620a34d06e587efe090bd',
    o200k_base: 'a9e8a0c1f332c58f1a9cef2f8d7be59b31bb4b42531a3a0a64d9ad3b3d19033b',
  },
};

function die(msg) {
  console.error(`tiktoken_ranks_to_bin: ${msg}`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { encodings: 'cl100k_base,o200k_base' };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (argv[i + 1] === undefined) die(`missing value for ${argv[i]}`);
    args[key] = argv[i + 1];
  }
  for (const k of ['nodeModules', 'outDir', 'classRanges']) if (!args[k]) die(`missing --${k}`);
  return args;
}

// Runs the helper on PCRE2 class expressions; returns [unicodeVersion, sets].
function pcreSets(tool, classes) {
  let out;
  try {
    out = execFileSync(tool, classes, { encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (e) {
    die(`running ${tool} failed: ${e.message}`);
  }
  const lines = out.split('\n');
  const version = lines[0].replace(/^unicode /, '');
  const sets = classes.map((_, i) => {
    const set = new Uint8Array(MAX_CP + 1);
    for (const r of lines[i + 1].split(' ').filter(Boolean)) {
      const [lo, hi] = r.split('-').map((h) => parseInt(h, 16));
      for (let cp = lo; cp <= hi; cp++) if (cp < 0xd800 || cp > 0xdfff) set[cp] = 1;
    }
    return set;
  });
  return [version, sets];
}

function rangesToClassBody(ranges) {
  const hex = (cp) => `\\x{${cp.toString(16)}}`;
  return ranges.map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`)).join('');
}

function setsEqual(a, b) {
  for (let cp = 0; cp <= MAX_CP; cp++) if (a[cp] !== b[cp]) return false;
  return true;
}

// ---- pattern translation

// Rewrites the JavaScript pattern for PCRE2 (UTF + UCP). Classes keep their
// \p{..} items, so PCRE2 matches them with its own fast tables; the code
// points where libpcre2's Unicode version and the pinned one disagree are
// added to or excluded from each class explicitly. \s/\S become
// ECMAScript's exact whitespace set. Groups lose their captures (ids need
// none; PCRE2 matches faster without).
function translatePattern(pat, tool, unicode) {
  const parts = tokenizePattern(pat);
  const classes = parts.filter((p) => typeof p !== 'string');
  const wsBody = rangesToClassBody(toRanges(unicode.whitespace));
  const itemsPcre = (items) => items.map((it) => (it === '\\s' ? wsBody : it)).join('');
  const positive = classes.map((c) => `[${itemsPcre(c.items)}]`);
  const [version, pSets] = pcreSets(tool, positive);

  const finals = classes.map((c, idx) => {
    const want = unicode.classSet({ neg: false, items: c.items });
    const have = pSets[idx];
    const add = new Uint8Array(MAX_CP + 1);
    const rem = new Uint8Array(MAX_CP + 1);
    for (let cp = 0; cp <= MAX_CP; cp++) {
      if (want[cp] && !have[cp]) add[cp] = 1;
      if (!want[cp] && have[cp]) rem[cp] = 1;
    }
    const body = itemsPcre(c.items) + rangesToClassBody(toRanges(add));
    const remRanges = toRanges(rem);
    if (remRanges.length === 0) return `[${c.neg ? '^' : ''}${body}]`;
    const remClass = `[${rangesToClassBody(remRanges)}]`;
    return c.neg ? `(?:${remClass}|[^${body}])` : `(?:(?!${remClass})[${body}])`;
  });

  // Check: each rewritten class matches exactly the pinned set in PCRE2.
  const [, check] = pcreSets(tool, finals);
  classes.forEach((c, idx) => {
    const pinned = unicode.classSet(c);
    if (!setsEqual(check[idx], pinned)) {
      for (let cp = 0; cp <= MAX_CP; cp++) {
        if (check[idx][cp] !== pinned[cp]) die(`class ${c.js} differs at U+${cp.toString(16)} between PCRE2 and Unicode ${PINNED_UNICODE}`);
      }
    }
  });

  let k = 0;
  const out = parts
    .map((p, i) => {
      if (typeof p !== 'string') return finals[k++];
      if (p === '(' && parts[i + 1] !== '?') return '(?:';
      return p;
    })
    .join('');
  return { pattern: out, pcreUnicode: version };
}

// ---- table writing

class Writer {
  constructor() {
    this.chunks = [];
  }
  u8(v) {
    this.chunks.push(Buffer.from([v]));
  }
  u32(v) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.chunks.push(b);
  }
  bytes(b) {
    this.chunks.push(Buffer.from(b));
  }
  str(s) {
    const b = Buffer.from(s, 'utf8');
    this.u32(b.length);
    this.bytes(b);
  }
  buffer() {
    return Buffer.concat(this.chunks);
  }
}

async function convert(enc, args, jsVersion, unicode, expected) {
  const file = path.join(args.nodeModules, 'js-tiktoken', 'dist', 'ranks', `${enc}.js`);
  if (!fs.existsSync(file)) {
    die(`${file} is missing: run \`npm ci\` in the source directory (node_modules is created from package-lock.json)`);
  }
  const digest = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  const pinned = PINNED.sha256[enc];
  if (!pinned) die(`no pinned sha256 for encoding ${enc}`);
  if (digest !== pinned) {
    die(`checksum mismatch for ${file}: sha256 ${digest}, pinned ${pinned} ` +
        `(js-tiktoken ${PINNED.version}); if the package was upgraded on purpose, update PINNED in ${process.argv[1]}`);
  }
  const ranks = (await import(pathToFileURL(file).href)).default;

  const runs = [];
  const tokens = [];
  const seen = new Set();
  for (const line of ranks.bpe_ranks.split('\n').filter(Boolean)) {
    const [, offsetStr, ...toks] = line.split(' ');
    runs.push([Number.parseInt(offsetStr, 10), toks.length]);
    for (const t of toks) {
      if (seen.has(t)) die(`${file}: token ${t} appears twice`);
      seen.add(t);
      const b = Buffer.from(t, 'base64');
      if (b.length === 0 || b.length > 255) die(`${file}: token ${t} has ${b.length} bytes`);
      tokens.push(b);
    }
  }
  const { pattern, pcreUnicode } = translatePattern(ranks.pat_str, args.classRanges, unicode);

  const w = new Writer();
  w.bytes(Buffer.from('DPBPE01\n', 'latin1'));
  w.str(enc);
  w.str(ranks.pat_str);
  w.str(pattern);
  w.str(pcreUnicode);
  w.str(PINNED_UNICODE);  // the Unicode version the classes follow
  w.str(`${PINNED.package} ${jsVersion}`);
  const specials = Object.entries(ranks.special_tokens);
  w.u32(specials.length);
  for (const [text, id] of specials) {
    w.u32(id);
    w.str(text);
  }
  w.u32(runs.length);
  for (const [start, count] of runs) {
    w.u32(start);
    w.u32(count);
  }
  for (const b of tokens) {
    w.u8(b.length);
    w.bytes(b);
  }
  w.bytes(Buffer.from('END!', 'latin1'));
  const table = w.buffer();
  const sha = createHash('sha256').update(table).digest('hex');
  if (expected && expected[`${enc}.bpe`] !== sha) {
    die(`${enc}.bpe has sha256 ${sha}, but ${args.expectSha256} says ${expected[`${enc}.bpe`] ?? '(nothing)'}: ` +
        'the table must depend only on the pinned rank data (js-tiktoken), the pinned Unicode data ' +
        `(@unicode/unicode-${PINNED_UNICODE}) and libpcre2; if one of those changed on purpose, update that file`);
  }
  const out = path.join(args.outDir, `${enc}.bpe`);
  const tmp = `${out}.tmp`;
  fs.writeFileSync(tmp, table);
  fs.renameSync(tmp, out);
  console.log(`tiktoken_ranks_to_bin: ${enc}: ${tokens.length} tokens, ${specials.length} special, ` +
              `classes per Unicode ${PINNED_UNICODE} (libpcre2 has ${pcreUnicode}), sha256 ${sha} -> ${out}`);
}

const args = parseArgs(process.argv);
const pkgFile = path.join(args.nodeModules, PINNED.package, 'package.json');
if (!fs.existsSync(pkgFile)) {
  die(`${pkgFile} is missing: run \`npm ci\` in the source directory`);
}
const jsVersion = JSON.parse(fs.readFileSync(pkgFile, 'utf8')).version;
if (jsVersion !== PINNED.version) {
  die(`${pkgFile} is version ${jsVersion}, expected ${PINNED.version}: run \`npm ci\``);
}
// "<sha256>  <file>" lines, as sha256sum writes them.
let expected = null;
if (args.expectSha256) {
  expected = {};
  for (const line of fs.readFileSync(args.expectSha256, 'utf8').split('\n')) {
    const m = line.match(/^([0-9a-f]{64}) [ *]?(\S+)$/);
    if (m) expected[m[2]] = m[1];
  }
}
const unicode = await PinnedUnicode.load(args.nodeModules);
fs.mkdirSync(args.outDir, { recursive: true });
for (const enc of args.encodings.split(',')) await convert(enc, args, jsVersion, unicode, expected);
