// Times the dashboard against a running `docpipe serve`: each API call the
// pages make (repeated, p50/p95/max) and each page's full load in Chromium,
// with a cold page each time (a new tab; the browser's cache of the hashed
// assets is warm, as for an operator who opened the dashboard before).
//
// A page's load time is measured in the page itself: from the navigation's
// start (performance.timeOrigin) to the first animation frame after its data
// is on screen ([data-ready] and any further selectors), which is when the
// browser paints it. The page's resource timings (Resource Timing API) show
// where the time went: the document, the bundle, each API call. The harness's
// own wall time (Playwright round trips included) is printed beside it.
//   node page_loads.mjs BASE_URL TOKEN [REPEATS]
import { chromium } from 'playwright-core';

const [base, token, repeatsArg] = process.argv.slice(2);
const repeats = Number(repeatsArg || 15);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const row = (name, xs) => console.log(
  `${name.padEnd(44)} p50 ${pct(xs, 50).toFixed(1).padStart(7)} ms   p95 ${pct(xs, 95).toFixed(1).padStart(7)} ms   max ${Math.max(...xs).toFixed(1).padStart(7)} ms`);

const login = await fetch(`${base}/api/session`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) });
if (!login.ok) throw new Error(`login failed: HTTP ${login.status}`);
const cookie = login.headers.get('set-cookie').split(';')[0];
const get = async (path) => {
  const t0 = performance.now();
  const r = await fetch(`${base}${path}`, { headers: { Cookie: cookie } });
  const body = await r.text();
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}: ${body}`);
  return [performance.now() - t0, JSON.parse(body)];
};

const [, firstPage] = await get('/api/documents?limit=50');
const docs = firstPage.documents;
// make_dashboard_workspace stores pages and chunks for documents 00000-00019.
const withPages = (await get(`/api/documents?limit=50&q=${encodeURIComponent('document 0000')}`))[1].documents
  .find((d) => d.page_count > 0);
if (!withPages) throw new Error('no document with stored pages among documents 00000-00009');
let cursor = firstPage.next_cursor;
for (let i = 0; i < 20 && cursor; i++) cursor = (await get(`/api/documents?limit=50&cursor=${cursor}`))[1].next_cursor;
console.log(`# ${firstPage.total} documents; API calls (${repeats} each, over HTTP on loopback)`);
const calls = [
  ['GET /api/overview', '/api/overview'],
  ['GET /api/throughput?window=hour', '/api/throughput?window=hour'],
  ['GET /api/throughput?window=day', '/api/throughput?window=day'],
  ['GET /api/documents (first page)', '/api/documents?limit=50'],
  ['GET /api/documents (page 21, by cursor)', `/api/documents?limit=50&cursor=${cursor}`],
  ['GET /api/documents?sort=source_key&order=asc', '/api/documents?limit=50&sort=source_key&order=asc'],
  ['GET /api/documents?status=FAILED', '/api/documents?limit=50&status=FAILED'],
  ['GET /api/documents?q=pump', '/api/documents?limit=50&q=pump'],
  ['GET /api/documents/{id}', `/api/documents/${docs[0].document_id}`],
  ['GET /api/documents/{id}/audit', `/api/documents/${docs[0].document_id}/audit`],
  ['GET /api/documents/{id}/pages?page=1', `/api/documents/${withPages.document_id}/pages?page=1`],
  ['GET /api/documents/{id}/chunks', `/api/documents/${withPages.document_id}/chunks`],
];
for (const [name, path] of calls) {
  const times = [];
  for (let i = 0; i < repeats; i++) times.push((await get(path))[0]);
  row(name, times);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'] });
const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
const url = new URL(base);
await context.addCookies([{ name: cookie.split('=')[0], value: cookie.slice(cookie.indexOf('=') + 1),
                            domain: url.hostname, path: '/', httpOnly: true, sameSite: 'Strict' }]);
const pages = [
  ['Overview', '#/overview', 'overview'],
  ['Documents (first page)', '#/documents', 'documents'],
  ['Documents (FAILED, by source)', '#/documents?status=FAILED&sort=source_key&order=asc', 'documents'],
  // Ready when its timeline and audit trail, the first page's text and the first chunks are on screen.
  ['Document (timeline, audit, pages, chunks)', `#/documents/${withPages.document_id}`, 'document',
   ['.page-text', '.chunks li']],
  ['Upload', '#/upload', 'upload'],
];
// Records, in the page, when the data is first on screen: a MutationObserver
// sees the selectors appear, and the next animation frame is the paint.
const probe = (selectors) => {
  const done = () => selectors.every((sel) => document.querySelector(sel));
  const mark = () => requestAnimationFrame(() => { window.__dataPaintedAt = performance.now(); });
  const watch = () => {
    if (done()) return mark();
    const observer = new MutationObserver(() => {
      if (done()) { observer.disconnect(); mark(); }
    });
    observer.observe(document, { subtree: true, childList: true, attributes: true });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch);
  else watch();
};
console.log(`# page loads in Chromium (${repeats} each): navigation start to the first frame with the data on screen, in the page`);
{
  const warm = await context.newPage();  // the assets into the cache once
  await warm.goto(`${base}/#/overview`);
  await warm.waitForSelector('[data-ready="overview"]', { timeout: 30_000 });
  await warm.close();
}
const resourceSums = {};
for (const [name, hash, ready, more = []] of pages) {
  const inPage = [];
  const harness = [];
  const resources = new Map();  // resource path -> [duration ms]
  for (let i = 0; i < repeats; i++) {
    const page = await context.newPage();
    await page.addInitScript(probe, [`[data-ready="${ready}"]`, ...more]);
    const t0 = performance.now();
    await page.goto(`${base}/${hash}`);
    await page.waitForFunction(() => window.__dataPaintedAt !== undefined, null, { timeout: 30_000, polling: 10 });
    harness.push(performance.now() - t0);
    const m = await page.evaluate(() => ({
      painted: window.__dataPaintedAt,
      resources: performance.getEntriesByType('resource').map((r) => ({
        name: new URL(r.name).pathname.replace(/-[0-9a-f]{8,}\./, '-HASH.'), start: r.startTime, end: r.responseEnd })),
      document: performance.getEntriesByType('navigation')[0]?.responseEnd ?? 0,
    }));
    inPage.push(m.painted);
    const add = (key, v) => { if (!resources.has(key)) resources.set(key, []); resources.get(key).push(v); };
    add('(document)', m.document);
    for (const r of m.resources) {
      if (r.end > m.painted) continue;  // a refresh after the page was ready
      add(`${r.name} start`, r.start);
      add(`${r.name} end`, r.end);
    }
    await page.close();
  }
  row(name, inPage);
  row('  (harness: goto to data seen, via Playwright)', harness);
  resourceSums[name] = resources;
}
console.log('# resource timings, p50 in ms from navigation start (the API calls and assets each page waited for)');
for (const [name, resources] of Object.entries(resourceSums)) {
  const parts = [];
  for (const [key, xs] of resources) parts.push(`${key} ${pct(xs, 50).toFixed(0)}`);
  console.log(`${name}: ${parts.join(', ')}`);
}
await browser.close();
