#!/usr/bin/env node
// Converts js-tiktoken's rank files (node_modules/js-tiktoken/dist/ranks/<enc>.js:
// {pat_str, special_tokens, bpe_ranks}) into the compact tables that docpipe
// compiles into its binary (format: src/tokenize/bpe_table.h).
//
// The pre-tokenisation pattern is JavaScript regex syntax (flag "u"). It is
// rewritten for PCRE2 (UTF + UCP) so both engines match the same code points:
// \s/\S become JavaScript's exact whitespace set, and every character class
// is compared code point by code point between this node's Unicode tables and
// libpcre2's (via the pcre2_class_ranges helper); code points the two
// disagree on are added to or excluded from the class explicitly. The result
// is checked again against node before anything is written.
//
// Usage: node tiktoken_ranks_to_bin.mjs --node-modules DIR --out-dir DIR
//             --class-ranges PATH_TO_pcre2_class_ranges [--encodings a,b]
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

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
const MAX_CP = 0x10ffff;

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

// ---- code point sets (Uint8Array membership over 0..0x10FFFF, no surrogates)

function jsSet(source) {
  const re = new RegExp(`^(?:${source})$`, 'u');
  const set = new Uint8Array(MAX_CP + 1);
  for (let cp = 0; cp <= MAX_CP; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (re.test(String.fromCodePoint(cp))) set[cp] = 1;
  }
  return set;
}

function toRanges(set) {
  const ranges = [];
  for (let cp = 0; cp <= MAX_CP; cp++) {
    if (!set[cp]) continue;
    let end = cp;
    while (end + 1 <= MAX_CP && set[end + 1]) end++;
    ranges.push([cp, end]);
    cp = end;
  }
  return ranges;
}

function rangesToClassBody(ranges) {
  const hex = (cp) => `\\x{${cp.toString(16)}}`;
  return ranges.map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`)).join('');
}

function setsEqual(a, b) {
  for (let cp = 0; cp <= MAX_CP; cp++) if (a[cp] !== b[cp]) return false;
  return true;
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

// ---- pattern translation

// Splits a JS pattern into literal text and character classes. A class is
// {js, neg, items}; standalone \p{X}, \P{X}, \s, \S count as classes too.
function tokenizePattern(pat) {
  const parts = [];
  let i = 0;
  const readEscape = (j) => {
    // returns [itemText, nextIndex]
    const c = pat[j + 1];
    if (c === 'p' || c === 'P') {
      const close = pat.indexOf('}', j);
      if (pat[j + 2] !== '{' || close < 0) die(`unsupported escape at ${j} in ${pat}`);
      return [pat.slice(j, close + 1), close + 1];
    }
    return [pat.slice(j, j + 2), j + 2];
  };
  while (i < pat.length) {
    const c = pat[i];
    if (c === '\\') {
      const [item, next] = readEscape(i);
      const k = item[1];
      if (k === 'p' || k === 's') parts.push({ js: item, neg: false, items: [item] });
      else if (k === 'P') parts.push({ js: item, neg: true, items: ['\\p' + item.slice(2)] });
      else if (k === 'S') parts.push({ js: item, neg: true, items: ['\\s'] });
      else if ('rnt'.includes(k) || !/[a-zA-Z0-9]/.test(k)) parts.push(item);
      else die(`unsupported escape ${item} in pattern`);
      i = next;
    } else if (c === '[') {
      let j = i + 1;
      let neg = false;
      if (pat[j] === '^') {
        neg = true;
        j++;
      }
      const items = [];
      while (pat[j] !== ']') {
        if (j >= pat.length) die('unterminated class in pattern');
        if (pat[j] === '\\') {
          const [item, next] = readEscape(j);
          const k = item[1];
          if (!(k === 'p' || k === 's' || 'rnt'.includes(k) || !/[a-zA-Z0-9]/.test(k))) {
            die(`unsupported escape ${item} in class`);
          }
          items.push(item);
          j = next;
        } else if (pat[j] === '-' || pat[j] === '[') {
          die(`unsupported class syntax at ${j} in ${pat}`);
        } else {
          items.push(pat[j]);
          j++;
        }
      }
      parts.push({ js: pat.slice(i, j + 1), neg, items });
      i = j + 1;
    } else if (c === '(' && pat[i + 1] !== '?') {
      parts.push('(?:');  // ids need no captures; PCRE2 matches faster without
      i++;
    } else if (c === '.') {
      die('"." is not supported in the pattern');
    } else {
      parts.push(c);
      i++;
    }
  }
  return parts;
}

function translatePattern(pat, tool) {
  const parts = tokenizePattern(pat);
  const classes = parts.filter((p) => typeof p !== 'string');
  const wsBody = rangesToClassBody(toRanges(jsSet('\\s')));
  // The PCRE2 text of a class's items, \s spelled out as JavaScript's set.
  const itemsPcre = (items) => items.map((it) => (it === '\\s' ? wsBody : it)).join('');
  const positive = classes.map((c) => `[${itemsPcre(c.items)}]`);
  const [version, pSets] = pcreSets(tool, positive);

  const finals = classes.map((c, idx) => {
    const want = jsSet(`[${c.items.join('')}]`);  // union of the items, per node
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

  // Check: each rewritten class matches exactly what node matches.
  const [, check] = pcreSets(tool, finals);
  classes.forEach((c, idx) => {
    const js = jsSet(c.js);
    if (!setsEqual(check[idx], js)) {
      for (let cp = 0; cp <= MAX_CP; cp++) if (check[idx][cp] !== js[cp]) { console.error(cp.toString(16), check[idx][cp], js[cp]); break; }
      die(`class ${c.js} still differs between PCRE2 and node`);
    }
  });

  let k = 0;
  const out = parts.map((p) => (typeof p === 'string' ? p : finals[k++])).join('');
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

async function convert(enc, args, jsVersion) {
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
  const { pattern, pcreUnicode } = translatePattern(ranks.pat_str, args.classRanges);

  const w = new Writer();
  w.bytes(Buffer.from('DPBPE01\n', 'latin1'));
  w.str(enc);
  w.str(ranks.pat_str);
  w.str(pattern);
  w.str(pcreUnicode);
  w.str(process.versions.unicode ?? '');
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
  const out = path.join(args.outDir, `${enc}.bpe`);
  const tmp = `${out}.tmp`;
  fs.writeFileSync(tmp, w.buffer());
  fs.renameSync(tmp, out);
  console.log(`tiktoken_ranks_to_bin: ${enc}: ${tokens.length} tokens, ${specials.length} special, ` +
              `PCRE2 Unicode ${pcreUnicode} vs node ${process.versions.unicode} -> ${out}`);
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
fs.mkdirSync(args.outDir, { recursive: true });
for (const enc of args.encodings.split(',')) await convert(enc, args, jsVersion);
