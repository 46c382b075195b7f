// The character classes of tiktoken's pre-tokenisation patterns, resolved
// against one pinned version of the Unicode Character Database (the npm
// package @unicode/unicode-<PINNED_UNICODE>, pinned in package-lock.json)
// instead of the Unicode tables of whichever node runs the build. The rank
// converter (tiktoken_ranks_to_bin.mjs) and the conformance oracle
// (tests/tokenize/js_tiktoken_ids.mjs) both use it, so docpipe's tables and
// the reference they are tested against follow the same Unicode version on
// every machine.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const PINNED_UNICODE = '17.0.0';
export const MAX_CP = 0x10ffff;

// \p{X} short names used by the patterns -> General_Category folder names.
const GENERAL_CATEGORY = {
  L: 'Letter',
  Lu: 'Uppercase_Letter',
  Ll: 'Lowercase_Letter',
  Lt: 'Titlecase_Letter',
  Lm: 'Modifier_Letter',
  Lo: 'Other_Letter',
  M: 'Mark',
  N: 'Number',
  Zs: 'Space_Separator',
};

function fail(msg) {
  throw new Error(`bpe_unicode: ${msg}`);
}

// Code point membership (Uint8Array over 0..0x10FFFF) of general categories,
// read from the pinned package under `nodeModules`.
export class PinnedUnicode {
  static async load(nodeModules) {
    const dir = path.join(nodeModules, '@unicode', `unicode-${PINNED_UNICODE}`);
    if (!fs.existsSync(path.join(dir, 'package.json'))) {
      fail(`${dir} is missing: run \`npm ci\` in the source directory (package-lock.json pins it)`);
    }
    const sets = {};
    for (const [short, folder] of Object.entries(GENERAL_CATEGORY)) {
      const file = path.join(dir, 'General_Category', folder, 'code-points.mjs');
      const cps = (await import(pathToFileURL(file).href)).default;
      const set = new Uint8Array(MAX_CP + 1);
      for (const cp of cps) set[cp] = 1;
      sets[short] = set;
    }
    return new PinnedUnicode(sets);
  }

  constructor(sets) {
    this.sets = sets;
    // ECMAScript's \s: WhiteSpace (TAB, VT, FF, ZWNBSP and every Zs) plus
    // LineTerminator (LF, CR, LS, PS). Not Unicode's White_Space: U+0085 is
    // out, U+FEFF is in.
    const ws = Uint8Array.from(sets.Zs);
    for (const cp of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0xfeff, 0x2028, 0x2029]) ws[cp] = 1;
    this.whitespace = ws;
  }

  // The set of one class item: "\p{L}", "\s", "\r", or a literal character.
  item(text) {
    const set = new Uint8Array(MAX_CP + 1);
    if (text.startsWith('\\p{')) {
      const name = text.slice(3, -1);
      if (!this.sets[name]) fail(`unsupported property ${text}`);
      set.set(this.sets[name]);
    } else if (text === '\\s') {
      set.set(this.whitespace);
    } else if (text.startsWith('\\')) {
      const esc = { r: 0x0d, n: 0x0a, t: 0x09 }[text[1]];
      set[esc ?? text.codePointAt(1)] = 1;
    } else {
      set[text.codePointAt(0)] = 1;
    }
    return set;
  }

  // The set a parsed class matches (union of its items, complemented when
  // negated). Surrogates are never members: they are not scalar values.
  classSet(cls) {
    const set = new Uint8Array(MAX_CP + 1);
    for (const it of cls.items) {
      const s = this.item(it);
      for (let cp = 0; cp <= MAX_CP; cp++) if (s[cp]) set[cp] = 1;
    }
    if (cls.neg) for (let cp = 0; cp <= MAX_CP; cp++) set[cp] ^= 1;
    for (let cp = 0xd800; cp <= 0xdfff; cp++) set[cp] = 0;
    return set;
  }
}

export function toRanges(set) {
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

// Splits a JavaScript pattern into literal text and character classes. A
// class is {js, neg, items}; standalone \p{X}, \P{X}, \s, \S count as
// classes too. Only the syntax tiktoken's patterns use is accepted.
export function tokenizePattern(pat) {
  const parts = [];
  let i = 0;
  const readEscape = (j) => {
    const c = pat[j + 1];
    if (c === 'p' || c === 'P') {
      const close = pat.indexOf('}', j);
      if (pat[j + 2] !== '{' || close < 0) fail(`unsupported escape at ${j} in ${pat}`);
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
      else fail(`unsupported escape ${item} in pattern`);
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
        if (j >= pat.length) fail('unterminated class in pattern');
        if (pat[j] === '\\') {
          const [item, next] = readEscape(j);
          const k = item[1];
          if (!(k === 'p' || k === 's' || 'rnt'.includes(k) || !/[a-zA-Z0-9]/.test(k))) {
            fail(`unsupported escape ${item} in class`);
          }
          items.push(item);
          j = next;
        } else if (pat[j] === '-' || pat[j] === '[') {
          fail(`unsupported class syntax at ${j} in ${pat}`);
        } else {
          items.push(pat[j]);
          j++;
        }
      }
      parts.push({ js: pat.slice(i, j + 1), neg, items });
      i = j + 1;
    } else if (c === '.') {
      fail('"." is not supported in the pattern');
    } else {
      parts.push(c);
      i++;
    }
  }
  return parts;
}

// The pattern with every class spelled out as the pinned code point ranges,
// in JavaScript syntax (flag "u"): what js-tiktoken would match if its node
// had the pinned Unicode tables.
export function pinnedJsPattern(pat, unicode) {
  const hex = (cp) => `\\u{${cp.toString(16)}}`;
  return tokenizePattern(pat)
    .map((p) => {
      if (typeof p === 'string') return p;
      const body = toRanges(unicode.classSet(p))
        .map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`))
        .join('');
      return `[${body}]`;
    })
    .join('');
}
