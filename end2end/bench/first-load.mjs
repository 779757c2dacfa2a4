// The first dashboard load as a browser sees it: a user-year (benchmark user 0, whose history
// keytrack-bench made), an empty cache, loopback. Prints the bytes transferred (the page, the site's files and the data), the
// time from navigation to an interactive page (`<html data-hydrated>`, set once the app has
// hydrated), and what the next load downloads again. Run by scripts/bench.sh against a release
// build; usage: node first-load.mjs <server url> <email> <password> [runs]
import { chromium } from '@playwright/test';

const [url, email, password, runsArg] = process.argv.slice(2);
if (!password) throw new Error('usage: node first-load.mjs <server url> <email> <password> [runs]');
const runs = Number(runsArg || 5);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});

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

// Bytes on the wire for everything the page loaded since `since` (headers and encoded bodies).
const transferred = (page) =>
  page.evaluate(() => {
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return entries.map((e) => ({ name: e.name, bytes: e.transferSize, body: e.decodedBodySize }));
  });

const loads = [];
let again = null;
for (let run = 0; run < runs; run++) {
  const context = await browser.newContext();
  await context.addCookies(cookies);
  const page = await context.newPage();
  // When the page became interactive, in the page's own clock (0 = navigation start).
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.documentElement.hasAttribute('data-hydrated')) {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
  });
  await page.goto(dashboard);
  await page.waitForSelector('html[data-hydrated]');
  await page.waitForLoadState('networkidle');
  const hydratedAt = await page.evaluate(() => window.__hydratedAt);
  const entries = await transferred(page);
  const keys = await page.getByTestId('total-keys').textContent();
  loads.push({ hydratedAt, bytes: entries.reduce((sum, e) => sum + e.bytes, 0), entries, keys });
  if (run === 0) {
    // The next visit, same browser: what is downloaded again (the page itself and its data are
    // new each time; the site's files should come from the cache).
    const next = await context.newPage();
    await next.goto(dashboard);
    await next.waitForSelector('html[data-hydrated]');
    await next.waitForLoadState('networkidle');
    const files = (await transferred(next)).filter((e) => new URL(e.name).pathname.startsWith('/assets/'));
    again = { files: files.length, bytes: files.reduce((sum, e) => sum + e.bytes, 0) };
  }
  await context.close();
}
await browser.close();

const kb = (bytes) => (bytes / 1024).toFixed(1);
const first = loads[0];
for (const e of first.entries) {
  console.log(`first load: ${kb(e.bytes)} KB transferred (${kb(e.body)} KB decoded) ${new URL(e.name).pathname}`);
}
const times = loads.map((l) => l.hydratedAt).sort((a, b) => a - b);
console.log(
  `first load: ${kb(first.bytes)} KB transferred for a user-year dashboard (${first.keys.trim()} keys); ` +
    `interactive after ${times[Math.floor(times.length / 2)].toFixed(0)} ms (median of ${runs} loads with an empty cache, ` +
    `min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)})`,
);
console.log(`next load: ${again.bytes} bytes of the site's files downloaded again (${again.files} files, all from the cache when 0)`);
