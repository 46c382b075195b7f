// The dashboard end to end, in a real browser: Debian's chromium driven by
// playwright-core (the system browser; nothing is downloaded). Against the
// real `docpipe serve` on an embedded workspace, it
//   - is refused with a wrong token, then logs in with the right one;
//   - uploads a PDF by drag and drop and watches it reach COMPLETED;
//   - opens its timeline, searches, and opens a result's page text;
//   - retries a failed document until it completes;
//   - checks labels, keyboard access, no horizontal scrolling at 1,366 px
//     and on a phone, and that the Content-Security-Policy was never violated;
//   - saves a screenshot of every page, and a Markdown page showing them,
//     into DOCPIPE_ARTIFACTS (the build tree; see docs/dashboard.md).
// Environment: DOCPIPE_BINARY (required), DOCPIPE_ARTIFACTS, CHROMIUM
// (default /usr/bin/chromium). Exit status 0 when every check passed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePdf } from './make_pdf.mjs';

const binary = process.env.DOCPIPE_BINARY;
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const artifacts = process.env.DOCPIPE_ARTIFACTS || join(process.cwd(), 'artifacts', 'dashboard');
const token = 'browser-e2e-token-51c7';

let failures = 0;
let passes = 0;
function check(ok, what) {
  if (ok) {
    passes++;
  } else {
    failures++;
    console.error(`FAILED: ${what}`);
  }
}
function fatal(message) {
  console.error(`FAILED: ${message}`);
  console.log(`${passes} passed, ${failures + 1} failed`);
  process.exit(1);
}

if (!binary || !existsSync(binary)) fatal(`DOCPIPE_BINARY (${binary}) is not the docpipe binary`);
if (!existsSync(chromiumPath)) {
  fatal(`${chromiumPath} is missing: the browser test needs Debian's chromium ` +
        '(scripts/install-deps.sh test, or apt-get install chromium)');
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  fatal(`playwright-core is not installed (npm ci at the repository root): ${e.message}`);
}

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
  s.on('error', reject);
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const work = mkdtempSync(join(tmpdir(), 'docpipe-browser-'));
const workspace = join(work, 'ws');
const env = { ...process.env, DOCPIPE_WORKSPACE: workspace, DOCPIPE_WORKERS: '2' };
delete env.DOCPIPE_API_TOKEN;
mkdirSync(artifacts, { recursive: true });

// A document that fails in chunk (fault injection), for the retry.
mkdirSync(join(work, 'docs'));
writeFileSync(join(work, 'docs', 'broken-valve.md'),
              '# Valve manual\n\n## Calibration\n\nCalibrate the valve sensor every week.\n');
const ingest = spawnSync(binary, ['ingest', join(work, 'docs')], {
  env: { ...env, DOCPIPE_FAULT_CHUNK_FAIL_ATTEMPTS: '99', DOCPIPE_FAULT_CHUNK_MATCH: 'broken',
         DOCPIPE_RETRY_BASE_MS: '20', DOCPIPE_MAX_RETRIES: '1' },
  encoding: 'utf8', timeout: 120_000 });
check(ingest.status === 1, `the broken document failed as arranged (ingest exit ${ingest.status}: ${ingest.stderr})`);

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const serve = spawn(binary, ['serve', '--port', String(port)], {
  env: { ...env, DOCPIPE_API_TOKEN: token }, stdio: ['ignore', 'ignore', 'pipe'] });
let serveErr = '';
serve.stderr.on('data', (d) => { serveErr += d; });
let up = false;
for (let i = 0; i < 200 && !up; i++) {
  try {
    up = (await fetch(`${base}/healthz`)).ok;
  } catch { /* not yet */ }
  if (!up) await sleep(50);
}
if (!up) fatal(`docpipe serve did not come up: ${serveErr}`);

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  // The flags this machine's closed network needs (no background calls home).
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const shots = [];
const cspViolations = [];
const pageErrors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const shot = async (name, title, p = page) => {
    const file = `${name}.png`;
    await p.screenshot({ path: join(artifacts, file), fullPage: true });
    shots.push({ file, title });
  };
  const ready = (what, p = page) => p.waitForSelector(`[data-ready="${what}"]`, { timeout: 30_000 });
  const noSideways = async (what, p = page) => {
    const [scroll, width] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    check(scroll <= width + 1, `${what}: no horizontal scrolling (${scroll} > ${width})`);
  };

  // Nothing but /healthz and the login page without a session.
  await page.goto(`${base}/`);
  check(new URL(page.url()).pathname === '/login', `the dashboard sends a visitor to /login (at ${page.url()})`);
  const api = await page.evaluate(async () => (await fetch('/api/overview')).status);
  check(api === 401, `the API refuses a visitor (${api})`);

  // A wrong token is refused, on the page.
  await page.fill('#token', 'not-the-token');
  await page.click('button[type=submit]');
  await page.waitForSelector('#login-error:not([hidden])');
  check((await page.textContent('#login-error')).includes('not the API token'), 'a wrong token is refused');
  check(new URL(page.url()).pathname === '/login', 'still on the login page after a wrong token');
  await shot('login', 'Sign in (a wrong token refused)');

  // The right one: the overview.
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
  await ready('overview');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'docpipe_session');
  check(session && session.httpOnly && session.sameSite === 'Strict', 'the session cookie is HttpOnly and SameSite=Strict');
  check(!page.url().includes(token), 'no token in the URL');
  check((await page.evaluate(() => document.cookie)).length === 0, 'the page cannot read the session cookie');
  check(await page.isVisible('text=Failed'), 'the overview shows documents by status');

  // Keyboard: the first Tab reaches the skip link, the next ones the sections.
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement?.classList.contains('skip')), 'Tab reaches "Skip to content" first');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');  // the "Documents" link
  await ready('documents');
  check(page.url().includes('#/documents'), `Enter on a focused link navigates (${page.url()})`);

  // Upload a PDF by drag and drop; watch it move to COMPLETED.
  const pdf = makePdf([
    ['# Centrifugal pump manual', 'The impeller spins inside the volute casing.', 'Prime the pump before the first start.'],
    ['# Maintenance', 'Grease the impeller bearings every 500 hours of operation.', 'Replace the mechanical seal when it leaks.'],
    ['# Troubleshooting', 'Cavitation sounds like gravel passing through the pump.', 'Raise the suction pressure to stop it.'],
  ]);
  await page.goto(`${base}/#/upload`);
  await ready('upload');
  const dataTransfer = await page.evaluateHandle((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'pump-manual.pdf', { type: 'application/pdf' }));
    return dt;
  }, [...pdf]);
  await page.dispatchEvent('.dropzone', 'dragover', { dataTransfer });
  await page.dispatchEvent('.dropzone', 'drop', { dataTransfer });
  await page.waitForSelector('.upload[data-status="COMPLETED"]', { timeout: 90_000 });
  check((await page.$$('.upload .stage.done')).length === 5, 'the upload passed all five stages');
  await shot('upload', 'Upload: a PDF dropped, followed through the stages');

  // Its timeline.
  await Promise.all([page.waitForURL(/#\/documents\//), page.click('.upload a:text("timeline")')]);
  await ready('document');
  await page.waitForSelector('.timeline-row');
  const stages = await page.$$eval('.timeline-row .timeline-stage', (els) => els.map((e) => e.textContent));
  check(JSON.stringify(stages) === JSON.stringify(['extract', 'chunk', 'enrich', 'embed', 'load']),
        `the timeline has a bar per stage (${stages})`);
  check((await page.$$('.timeline .attempt.completed')).length >= 5, 'every stage has a completed attempt');
  await page.waitForSelector('.page-text');
  check((await page.textContent('.page-text')).includes('Centrifugal pump manual'), 'the extracted first page is shown');
  await page.waitForSelector('.chunk .crumbs');
  await shot('document', 'A document: timeline, audit trail, extracted pages, chunks');
  await noSideways('document page at 1,366 px');

  // The audit trail and the chunks are paged by cursor: with small pages
  // (set in the URL), "Show later events" and "Show more chunks" load the
  // next pages until the last; every event and chunk is shown once.
  const docId = decodeURIComponent(new URL(page.url()).hash.split('/')[2].split('?')[0]);
  await page.goto(`${base}/#/documents/${encodeURIComponent(docId)}?events_per_page=4&chunks_per_page=1`);
  await ready('document');
  const firstPages = await page.waitForFunction(
    () => document.querySelectorAll('table.audit tbody tr').length === 4 && document.querySelectorAll('.chunk').length === 1,
    null, { timeout: 30_000 }).then(() => true, () => false);
  check(firstPages, 'the first pages hold 4 events and 1 chunk');
  let eventPages = 1;
  while (await page.isVisible('button.more-events') && eventPages < 100) {
    const shown = (await page.$$('table.audit tbody tr')).length;
    await page.click('button.more-events');
    await page.waitForFunction((n) => document.querySelectorAll('table.audit tbody tr').length > n, shown);
    eventPages++;
  }
  const allEvents = await page.evaluate(async (id) => {
    const out = [];
    let cursor = '';
    do {
      const q = new URLSearchParams({ limit: '1000' });
      if (cursor) q.set('cursor', cursor);
      const r = await (await fetch(`/api/documents/${encodeURIComponent(id)}/audit?${q}`)).json();
      out.push(...r.events.map((e) => e.event_id));
      cursor = r.next_cursor || '';
    } while (cursor);
    return out;
  }, docId);
  const shownEvents = await page.$$eval('table.audit tbody tr', (rows) => rows.map((r) => r.dataset.eventId));
  check(eventPages > 1, `the audit trail took more than one page (${eventPages})`);
  check(JSON.stringify(shownEvents) === JSON.stringify(allEvents),
        `every event shown once, in order, after ${eventPages} pages (${shownEvents.length} of ${allEvents.length})`);
  const chunkCount = await page.evaluate(async (id) =>
    (await (await fetch(`/api/documents/${encodeURIComponent(id)}`)).json()).chunk_count, docId);
  let chunkPages = 1;
  while (await page.isVisible('button.more-chunks') && chunkPages < 100) {
    const shown = (await page.$$('.chunk')).length;
    await page.click('button.more-chunks');
    await page.waitForFunction((n) => document.querySelectorAll('.chunk').length > n, shown);
    chunkPages++;
  }
  const shownChunks = await page.$$eval('.chunk', (els) => els.map((e) => e.dataset.chunkId));
  check(chunkCount >= 2 && chunkPages === chunkCount,
        `the chunks took one page each (${chunkPages} pages for ${chunkCount} chunks)`);
  check(new Set(shownChunks).size === shownChunks.length && shownChunks.length === chunkCount,
        `every chunk shown once (${shownChunks.length} shown, ${new Set(shownChunks).size} distinct, ${chunkCount} in the record)`);

  // Search, then open a result's page.
  await page.goto(`${base}/#/search`);
  await ready('search');
  await page.fill('#s-q', 'grease the bearings');
  await page.click('.search-form button[type=submit]');
  await page.waitForSelector('.result mark', { timeout: 30_000 });
  const first = await page.textContent('.result .result-source');
  check(first.includes('pump-manual.pdf'), `the top result is the uploaded manual (${first})`);
  check((await page.$$eval('.result mark', (ms) => ms.map((m) => m.textContent.toLowerCase()))).includes('grease'),
        'the snippet highlights the query');
  await page.check('input[name=mode][value=keyword]');
  await page.waitForSelector('.result mark');
  await shot('search', 'Search: hybrid, vector or keyword, with highlighted snippets');
  await Promise.all([page.waitForURL(/page=2/), page.click('.result .result-pages a')]);
  await ready('document');
  await page.waitForSelector('.page-text[data-page="2"]');
  check((await page.textContent('.page-text')).includes('Grease the impeller bearings'), 'the result opens its page text');

  // The failed document: the list, its page, Retry.
  await page.goto(`${base}/#/documents?status=FAILED`);
  await ready('documents');
  await page.waitForSelector('td.source a');
  check((await page.textContent('table.documents')).includes('broken-valve.md'), 'the failed document is listed');
  await shot('documents', 'Documents: filtered by status, sortable, paged on the server');
  await Promise.all([page.waitForURL(/#\/documents\/broken-valve/), page.click('td.source a')]);
  await ready('document');
  check((await page.textContent('.error-box h2')).includes('chunk'), 'the failed stage is named');
  await shot('failed-document', 'A failed document: its error and the Retry button');
  await page.click('.error-box button');
  await page.waitForSelector('h1 .badge.status-completed', { timeout: 60_000 });
  check(true, 'the retried document completed');

  // The overview again, with throughput and a worker.
  await page.goto(`${base}/#/overview`);
  await ready('overview');
  // Bars for every minute, empty ones of height 0: the two documents completed
  // in this run draw at least one that is not.
  await page.waitForFunction(
    () => [...document.querySelectorAll('.chart rect.bar')].some((r) => Number(r.getAttribute('height')) > 0),
    null, { timeout: 30_000 });
  check((await page.textContent('main')).includes('alive'), 'the serve process\'s workers are listed with a heartbeat');
  await shot('overview', 'Overview: documents, throughput, backlog, cost, stage durations, errors, workers');
  await noSideways('overview at 1,366 px');

  // Every form control has a label.
  for (const route of ['#/documents', '#/search', '#/upload']) {
    await page.goto(`${base}/${route}`);
    const unlabeled = await page.$$eval('input, select, textarea', (els) => els.filter((e) => {
      if (e.getAttribute('aria-label') || e.closest('label')) return false;
      return !(e.id && document.querySelector(`label[for="${e.id}"]`));
    }).map((e) => e.outerHTML));
    check(unlabeled.length === 0, `${route}: every control has a label (${unlabeled.join(' ')})`);
  }

  // A phone.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
                                           storageState: await context.storageState() });
  const mobile = await phone.newPage();
  mobile.on('pageerror', (e) => pageErrors.push(String(e)));
  await mobile.goto(`${base}/#/overview`);
  await ready('overview', mobile);
  await noSideways('overview on a phone', mobile);
  await shot('overview-phone', 'Overview on a phone (390 px)', mobile);
  await mobile.goto(`${base}/#/documents`);
  await ready('documents', mobile);
  await noSideways('documents on a phone', mobile);
  await phone.close();

  // Sign out: the cookie stops working.
  await page.goto(`${base}/#/overview`);
  await ready('overview');
  await Promise.all([page.waitForURL(`${base}/login`), page.click('text=Sign out')]);
  const after = await page.evaluate(async () => (await fetch('/api/overview')).status);
  check(after === 401, `signed out: the API refuses (${after})`);

  check(cspViolations.length === 0, `no Content-Security-Policy violation (${cspViolations.join('; ')})`);
  check(pageErrors.length === 0, `no script error (${pageErrors.join('; ')})`);
  await context.close();
} catch (e) {
  failures++;
  console.error(`FAILED: ${e.stack || e}`);
} finally {
  await browser.close();
  serve.kill('SIGTERM');
  await new Promise((r) => serve.once('exit', r));
  if (serveErr.includes(token)) {
    failures++;
    console.error('FAILED: the token reached the server\'s output');
  }
  rmSync(work, { recursive: true, force: true });
}

// The page docs/dashboard.md points to: every screenshot of this run.
writeFileSync(join(artifacts, 'dashboard.md'),
              '# docpipe dashboard: screenshots\n\n' +
              `Written by tests/browser/dashboard_e2e.mjs (${new Date().toISOString()}); see docs/dashboard.md.\n\n` +
              shots.map((s) => `## ${s.title}\n\n![${s.title}](${s.file})\n`).join('\n'));
console.log(`dashboard browser test: screenshots in ${artifacts}`);
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
