// The first dashboard load as a browser sees it: a user-year (benchmark user 0, whose history
// keytrack-bench made), an empty cache, loopback. Prints the bytes transferred (the page, the site's files and the data), the
// time from navigation to an interactive page (`<html data-hydrated>`, set once the app has
// hydrated), and what the next load downloads again. Also the login page with an empty cache, and
// what moving from the dashboard to the devices page downloads (the wasm is split into a chunk
// per part of the app: app/src/ui/pages.rs). Run by scripts/bench.sh against a release
// build; usage: node first-load.mjs <server url> <email> <password> [runs]
import { chromium } from '@playwright/test';

const [url, email, password, runsArg] = process.argv.slice(2);
if (!password) throw new Error('usage: node first-load.mjs <server url> <email> <password> [runs]');
const runs = Number(runsArg || 5);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});

const kb = (bytes) => (bytes / 1024).toFixed(1);
const byFile = (label, entries) => {
  for (const e of entries) {
    console.log(`${label}: ${kb(e.bytes)} KB transferred (${kb(e.body)} KB decoded) ${new URL(e.name).pathname}`);
  }
};

// The site's own files (wasm, JavaScript, style sheet, Chart.js), under their versioned URLs.
const isSiteFile = (e) => new URL(e.name).pathname.startsWith('/assets/');

// Bytes on the wire for everything the page loaded (headers and encoded bodies).
const transferred = (page) =>
  page.evaluate(() => {
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return entries.map((e) => ({ name: e.name, bytes: e.transferSize, body: e.decodedBodySize }));
  });

// The login page, an empty cache: what someone not logged in downloads.
{
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${url}/login`);
  await page.waitForSelector('html[data-hydrated]');
  await page.waitForLoadState('networkidle');
  const entries = await transferred(page);
  byFile('login page', entries);
  console.log(`login page: ${kb(entries.reduce((sum, e) => sum + e.bytes, 0))} KB transferred in all (${entries.length} files), empty cache`);
  await context.close();
}

// Log in once; every measured load starts from a fresh browser context (an empty cache) that
// carries only the session cookie.
const login = await browser.newContext();
const page = await login.newPage();
await page.goto(`${url}/login`);
await page.waitForSelector('html[data-hydrated]');
await page.getByLabel('Email').fill(email);
await page.getByLabel('Password').fill(password);
await page.getByRole('button', { name: 'Log in' }).click();
await page.getByTestId('who').waitFor();
const cookies = await login.cookies();
await login.close();

const day = (date) => date.toISOString().slice(0, 10);
const today = new Date();
const yearAgo = new Date(today.getTime() - 364 * 86_400_000);
const dashboard = `${url}/?from=${day(yearAgo)}&to=${day(today)}`;

// Run in each page before its own scripts: when it became interactive, in the page's own clock
// (0 = navigation start), as `window.__hydratedAt` and as a mark a trace shows.
const markInteractive = () => {
  new MutationObserver((_, observer) => {
    if (document.documentElement.hasAttribute('data-hydrated')) {
      window.__hydratedAt = performance.now();
      performance.mark('keytrack-interactive');
      observer.disconnect();
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
};

const loads = [];
let again = null;
for (let run = 0; run < runs; run++) {
  const context = await browser.newContext();
  await context.addCookies(cookies);
  const page = await context.newPage();
  await page.addInitScript(markInteractive);
  await page.goto(dashboard);
  await page.waitForSelector('html[data-hydrated]');
  await page.waitForLoadState('networkidle');
  const { hydratedAt, wasmStart, walkEnd } = await page.evaluate(() => ({
    hydratedAt: window.__hydratedAt,
    // Marks the app sets (app/src/lib.rs): the wasm begins to run; hydration's walk ends.
    wasmStart: performance.getEntriesByName('keytrack-hydrate-start')[0]?.startTime,
    walkEnd: performance.getEntriesByName('keytrack-hydrate-end')[0]?.startTime,
  }));
  const entries = await transferred(page);
  const keys = await page.getByTestId('total-keys').textContent();
  loads.push({ hydratedAt, wasmStart, walkEnd, bytes: entries.reduce((sum, e) => sum + e.bytes, 0), entries, keys });
  if (run === 0) {
    // The next visit, same browser: what is downloaded again (the page itself and its data are
    // new each time; the site's files should come from the cache).
    const next = await context.newPage();
    await next.goto(dashboard);
    await next.waitForSelector('html[data-hydrated]');
    await next.waitForLoadState('networkidle');
    const files = (await transferred(next)).filter(isSiteFile);
    again = { files: files.length, bytes: files.reduce((sum, e) => sum + e.bytes, 0) };
  }
  await context.close();
}

// Moving from the dashboard to the devices page (the router's, no new document): the site's files
// it downloads are the settings part's chunks only.
let move;
{
  const context = await browser.newContext();
  await context.addCookies(cookies);
  const page = await context.newPage();
  await page.goto(dashboard);
  await page.waitForSelector('html[data-hydrated]');
  await page.waitForLoadState('networkidle');
  const before = (await transferred(page)).length;
  await page.getByRole('link', { name: 'Devices' }).click();
  await page.getByRole('heading', { name: 'Devices' }).waitFor();
  await page.waitForLoadState('networkidle');
  const files = (await transferred(page)).slice(before).filter(isSiteFile);
  move = { files, bytes: files.reduce((sum, e) => sum + e.bytes, 0) };
  await context.close();
}

// One more load with Chromium's tracing on: where the main thread's time went from navigation to
// an interactive page (self time of each traced task, grouped), the rest being waits (network,
// the server, the wasm compiling on other threads).
const traced = await browser.newContext();
await traced.addCookies(cookies);
const tracedPage = await traced.newPage();
await tracedPage.addInitScript(markInteractive);
await browser.startTracing(tracedPage, {
  categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'blink.user_timing', 'loading'],
});
await tracedPage.goto(dashboard);
await tracedPage.waitForSelector('html[data-hydrated]');
const trace = JSON.parse((await browser.stopTracing()).toString('utf8')).traceEvents;
await traced.close();
await browser.close();
const breakdown = mainThreadBreakdown(trace);

const first = loads[0];
byFile('first load', first.entries);
const times = loads.map((l) => l.hydratedAt).sort((a, b) => a - b);
console.log(
  `first load: ${kb(first.bytes)} KB transferred for a user-year dashboard (${first.keys.trim()} keys); ` +
    `interactive after ${times[Math.floor(times.length / 2)].toFixed(0)} ms (median of ${runs} loads with an empty cache, ` +
    `min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)})`,
);
byFile('dashboard -> devices', move.files);
console.log(
  `dashboard -> devices: ${kb(move.bytes)} KB of the site's files downloaded (${move.files.length} files: ` +
    `${move.files.map((e) => new URL(e.name).pathname.split('/').pop()).join(', ')})`,
);
console.log(`next load: ${again.bytes} bytes of the site's files downloaded again (${again.files} files, all from the cache when 0)`);

const median = (values) => {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const start = median(loads.map((l) => l.wasmStart));
const walked = median(loads.map((l) => l.walkEnd - l.wasmStart));
const effects = median(loads.map((l) => l.hydratedAt - l.walkEnd));
if (start !== undefined) console.log(
  `first load: the wasm starts at ${start.toFixed(0)} ms, hydration walks the page in ${walked.toFixed(0)} ms, ` +
    `effects (charts, the live view) take ${effects.toFixed(0)} ms more (medians)`,
);
if (breakdown) {
  const parts = Object.entries(breakdown.groups)
    .sort((a, b) => b[1] - a[1])
    .map(([group, ms]) => `${group} ${ms.toFixed(0)} ms`);
  console.log(`first load: main thread until interactive (${breakdown.total.toFixed(0)} ms, traced): ${parts.join(', ')}`);
}

// The renderer's main thread between the dashboard's navigation and the `keytrack-interactive`
// mark: each complete event's self time (its duration less its children's), summed by group.
function mainThreadBreakdown(events) {
  const mainThreads = new Set(
    events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  const interactive = events.find((e) => e.name === 'keytrack-interactive');
  if (!interactive) return null;
  const thread = `${interactive.pid}:${interactive.tid}`;
  if (!mainThreads.has(thread)) return null;
  const starts = events.filter(
    (e) => `${e.pid}:${e.tid}` === thread && e.name === 'navigationStart' && String(e.args?.data?.documentLoaderURL || '').startsWith(url),
  );
  if (starts.length === 0) return null;
  const from = starts[starts.length - 1].ts;
  const to = interactive.ts;
  const group = (name) => {
    if (name === 'ParseHTML') return 'HTML parsing';
    if (['UpdateLayoutTree', 'Layout', 'RecalculateStyles', 'ParseAuthorStyleSheet', 'HitTest'].includes(name)) return 'style and layout';
    if (['PrePaint', 'Paint', 'Layerize', 'UpdateLayer', 'CompositeLayers', 'Commit', 'PaintImage', 'Decode Image'].includes(name)) return 'paint';
    if (/gc/i.test(name)) return 'garbage collection';
    if (/wasm/i.test(name)) return 'wasm compiling';
    if (/compile|parse/i.test(name) && name.startsWith('v8')) return 'JS compiling';
    if (['EvaluateScript', 'FunctionCall', 'v8.run', 'v8.callFunction', 'RunMicrotasks', 'EventDispatch', 'TimerFire', 'FireAnimationFrame', 'v8.evaluateModule', 'V8.Execute'].includes(name)) return 'scripts (JS and wasm)';
    return 'other tasks';
  };
  const spans = events
    .filter((e) => `${e.pid}:${e.tid}` === thread && e.ph === 'X' && e.dur > 0 && e.ts < to && e.ts + e.dur > from)
    .map((e) => ({ name: e.name, start: Math.max(e.ts, from), end: Math.min(e.ts + e.dur, to) }))
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const groups = {};
  const stack = [];
  const close = (span) => {
    groups[group(span.name)] = (groups[group(span.name)] || 0) + (span.end - span.start - span.children) / 1000;
  };
  for (const span of spans) {
    while (stack.length && stack[stack.length - 1].end <= span.start) close(stack.pop());
    const parent = stack[stack.length - 1];
    span.children = 0;
    if (parent) parent.children += Math.min(span.end, parent.end) - span.start;
    stack.push(span);
  }
  while (stack.length) close(stack.pop());
  const busy = Object.values(groups).reduce((a, b) => a + b, 0);
  groups['idle (waiting)'] = (to - from) / 1000 - busy;
  return { total: (to - from) / 1000, groups };
}
