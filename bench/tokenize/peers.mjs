#!/usr/bin/env node
// Single-threaded encode throughput of js-tiktoken and the tiktoken npm
// package (WASM) on a text file, load time excluded.
// Usage: node peers.mjs ENCODING FILE [SECONDS]
import fs from 'node:fs';
import { Tiktoken } from 'js-tiktoken/lite';
import { get_encoding } from 'tiktoken';

const [encoding, file, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 2);
const text = fs.readFileSync(file, 'utf8');
const bytes = Buffer.byteLength(text, 'utf8');

function measure(name, encode) {
  let tokens = encode(text).length;  // warm-up (JIT, lazy init)
  let runs = 0;
  const start = performance.now();
  while (runs === 0 || performance.now() - start < seconds * 1000) {
    tokens = encode(text).length;
    runs++;
  }
  const mbs = (bytes * runs) / ((performance.now() - start) / 1000) / 1e6;
  console.log(`${name} ${encoding} single-thread: ${mbs.toFixed(2)} MB/s (${tokens} tokens)`);
}

const js = new Tiktoken((await import(`js-tiktoken/ranks/${encoding}`)).default);
measure('js-tiktoken', (t) => js.encode(t, [], []));
const wasm = get_encoding(encoding);
measure('tiktoken-wasm', (t) => wasm.encode(t, [], []));
wasm.free();
