// Builds the dashboard (web/src, TypeScript + Preact) into the build tree and
// writes the C++ source that embeds it in the docpipe binary (.incbin), so
// `docpipe serve` needs no network and no files at run time.
//
//   node web/build.mjs --out-dir DIR [--node-modules DIR]
//
// 1. tsc --noEmit type-checks web/src (typescript from the root lockfile);
// 2. esbuild bundles and minifies app.tsx and login.ts, and the stylesheet;
// 3. each asset is named by its content hash (served as immutable), and the
//    two pages (index.html, login.html) reference them: no inline script or
//    style anywhere, so the Content-Security-Policy can forbid both;
// 4. DIR/web_assets.cpp lists every asset: path, content type, whether it is
//    served before login (the login page and what it loads), bytes.
// Nothing is written into the source tree.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const outDir = resolve(opt('--out-dir', ''));
if (!opt('--out-dir', '')) {
  console.error('usage: node web/build.mjs --out-dir DIR [--node-modules DIR]');
  process.exit(2);
}
const nodeModules = resolve(opt('--node-modules', join(here, '..', 'node_modules')));
if (!existsSync(join(nodeModules, 'esbuild')) || !existsSync(join(nodeModules, 'typescript'))) {
  console.error(`web/build.mjs: ${nodeModules} lacks esbuild or typescript; run npm ci at the repository root`);
  process.exit(1);
}

// 1. Types.
try {
  execFileSync(process.execPath, [join(nodeModules, 'typescript', 'bin', 'tsc'), '-p', join(here, 'tsconfig.json')],
               { stdio: 'inherit' });
} catch {
  console.error('web/build.mjs: type errors in web/src (above)');
  process.exit(1);
}

// 2. Bundles.
const esbuild = await import(join(nodeModules, 'esbuild', 'lib', 'main.js'));
const common = {
  bundle: true, minify: true, write: false, format: 'esm', target: ['es2020'], legalComments: 'none',
  jsx: 'automatic', jsxImportSource: 'preact', nodePaths: [nodeModules], logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};
const built = {};
for (const [name, entry] of [['app', 'src/app.tsx'], ['login', 'src/login.ts'], ['style', 'src/style.css']]) {
  const r = await esbuild.build({ ...common, entryPoints: [join(here, entry)], outfile: `${name}.out` });
  built[name] = r.outputFiles.find((f) => f.path.endsWith('.out')).contents;
}

// 3. Content-hashed names and the pages.
const dist = join(outDir, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const assets = [];
const hashed = (name, ext, bytes, isPublic) => {
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  const path = `/assets/${name}-${hash}.${ext}`;
  assets.push({ path, file: join(dist, `${name}-${hash}.${ext}`), bytes, isPublic, immutable: true,
                type: ext === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8' });
  return path;
};
const css = hashed('style', 'css', built.style, true);
const appJs = hashed('app', 'js', built.app, false);
const loginJs = hashed('login', 'js', built.login, true);
const icon = readFileSync(join(here, 'src', 'favicon.svg'));
const iconPath = hashed('favicon', 'svg', icon, true);
assets[assets.length - 1].type = 'image/svg+xml';
const page = (title, script, body) => Buffer.from(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${title}</title>
<link rel="icon" href="${iconPath}" type="image/svg+xml">
<link rel="stylesheet" href="${css}">
<script type="module" src="${script}"></script>
</head>
<body>
${body}
</body>
</html>
`);
const pages = [
  ['/index.html', page('docpipe dashboard', appJs, '<div id="app"><p class="boot">Loading the dashboard…</p></div>'), false],
  ['/login.html', page('Sign in · docpipe', loginJs, `<main class="login" id="main">
<form class="login-form" id="login-form" novalidate>
<h1>docpipe</h1>
<p>Sign in with the API token (<code>DOCPIPE_API_TOKEN</code>, or the secret <code>deploy.sh</code> created).</p>
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<p id="login-error" class="error" role="alert" hidden></p>
<button type="submit">Sign in</button>
</form>
</main>`), true],
];
for (const [path, bytes, isPublic] of pages) {
  assets.push({ path, file: join(dist, path.slice(1)), bytes, isPublic, immutable: false,
                type: 'text/html; charset=utf-8' });
}
for (const a of assets) writeFileSync(a.file, a.bytes);

// 4. The C++ table.
const cString = (s) => JSON.stringify(s);  // ASCII paths and types: JSON escapes are C escapes
let asm = '';
let decls = '';
let rows = '';
assets.forEach((a, i) => {
  asm += `    ".section .rodata.docpipe_web_${i},\\"a\\",@progbits\\n"\n`;
  asm += `    ".balign 16\\n.globl docpipe_web_${i}_begin\\n.hidden docpipe_web_${i}_begin\\n"\n`;
  asm += `    ".globl docpipe_web_${i}_end\\n.hidden docpipe_web_${i}_end\\n"\n`;
  asm += `    "docpipe_web_${i}_begin:\\n.incbin ${cString(a.file).replace(/"/g, '\\"')}\\ndocpipe_web_${i}_end:\\n.previous\\n"\n`;
  decls += `extern "C" const char docpipe_web_${i}_begin[];\nextern "C" const char docpipe_web_${i}_end[];\n`;
  rows += `    {${cString(a.path)}, ${cString(a.type)}, {docpipe_web_${i}_begin, static_cast<size_t>(docpipe_web_${i}_end - docpipe_web_${i}_begin)}, ${a.isPublic}, ${a.immutable}},\n`;
});
// The digest of every byte: a page whose name did not change still changes this
// file, so the build recompiles it (and .incbin reads the new bytes).
const digest = createHash('sha256');
for (const a of assets) digest.update(a.path).update(a.bytes);
const source = `// Generated by web/build.mjs: the dashboard's assets, embedded.
// Content: ${digest.digest('hex')}
#include "serve/web_assets.h"

#include <cstddef>

asm(
${asm});

${decls}
namespace docpipe {

std::span<const WebAsset> WebAssets() {
  static const WebAsset kAssets[] = {
${rows}  };
  return kAssets;
}

}  // namespace docpipe
`;
const cpp = join(outDir, 'web_assets.cpp');
if (!existsSync(cpp) || readFileSync(cpp, 'utf8') !== source) writeFileSync(cpp, source);
const total = assets.reduce((n, a) => n + a.bytes.length, 0);
console.log(`web/build.mjs: ${assets.length} assets, ${total} bytes -> ${outDir}`);
