// The site's files (wasm, JavaScript, style sheet, Chart.js) are kept by the browser: the next
// visit downloads none of them again, and the page they make from the cache still answers clicks.
// Chart.js comes only with the pages that draw charts, or when the browser moves to one.
import { test, expect } from '@playwright/test';
import { logInAsDemo } from './demo-login.mjs';

const isSiteFile = (url) => new URL(url).pathname.startsWith('/assets/');
const fileName = (response) => new URL(response.url()).pathname.split('/').pop();

// Opens the login page and gathers the responses for site files the page gets from then on.
async function openLoginGathering(page) {
  const served = [];
  page.on('response', (response) => {
    if (isSiteFile(response.url())) served.push(response);
  });
  await page.goto('/login');
  await page.waitForSelector('html[data-hydrated]');
  await page.waitForLoadState('networkidle');
  return served;
}

test('the next visit takes the site files from the cache and still works', async ({ page, context }) => {
  const served = await openLoginGathering(page);
  const names = served.map(fileName).sort();
  expect(names).toEqual(expect.arrayContaining(['keytrack.css', 'keytrack.js', 'keytrack.wasm']));
  expect(names).not.toContain('chart.umd.min.js'); // the login page draws no chart
  for (const response of served) {
    expect(response.status(), response.url()).toBe(200);
    expect(response.headers()['cache-control'], response.url()).toBe('public, max-age=31536000, immutable');
  }

  const next = await context.newPage();
  await next.goto('/login');
  await next.waitForSelector('html[data-hydrated]');
  await next.waitForLoadState('networkidle');
  const again = await next.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter((e) => new URL(e.name).pathname.startsWith('/assets/'))
      .map((e) => ({ name: e.name, transferSize: e.transferSize })),
  );
  expect(again.length).toBeGreaterThanOrEqual(3);
  expect(again.filter((e) => e.transferSize > 0)).toEqual([]);

  // The page hydrated from the cache answers a click.
  await next.getByLabel('Email').fill('demo@keytrack.local');
  await next.getByLabel('Password').fill('keytrack-demo');
  await next.getByRole('button', { name: 'Log in' }).click();
  await expect(next.getByTestId('who')).toHaveText('Demo User');
});

const chartsDrawn = () =>
  [...document.querySelectorAll('canvas')].filter((canvas) => window.Chart && window.Chart.getChart(canvas)).length;
const chartJsLoads = () => performance.getEntriesByType('resource').filter((e) => e.name.includes('chart.umd')).length;

test('Chart.js comes with the pages that draw charts only, and loads once when the browser moves to one', async ({ page }) => {
  // The login page: no Chart.js. Logging in moves the browser to the dashboard, which loads it
  // once for all its charts and draws them.
  await page.goto('/login');
  await page.waitForSelector('html[data-hydrated]');
  expect(await page.locator('script[src*="chart.umd"]').count()).toBe(0);
  await page.getByLabel('Email').fill('demo@keytrack.local');
  await page.getByLabel('Password').fill('keytrack-demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('who')).toHaveText('Demo User');
  await page.waitForFunction(chartsDrawn);
  expect(await page.evaluate(chartJsLoads)).toBe(1);
  // Loaded by the charts (no new document came: the login page's had none).
  expect(await page.locator('head script[src*="chart.umd"]').count()).toBe(0);
  expect(await page.locator('body > script[src*="chart.umd"]').count()).toBe(1);
  // Opened directly, the dashboard has it in its HTML, before the app's script.
  await page.reload();
  await page.waitForSelector('html[data-hydrated]');
  expect(await page.locator('head script[src*="chart.umd"][defer]').count()).toBe(1);
  await page.waitForFunction(chartsDrawn);
  expect(await page.evaluate(chartsDrawn)).toBeGreaterThan(1);
  // Another page without charts, opened directly, has none.
  await page.goto('/devices');
  await page.waitForSelector('html[data-hydrated]');
  expect(await page.locator('script[src*="chart.umd"]').count()).toBe(0);
});

// The wasm is split into a chunk per part of the app (app/src/ui/pages.rs): a page downloads the
// main module and its own part's chunk (with the shared chunks it needs), not the whole app.
const wasmFiles = (responses) => responses.map(fileName).filter((name) => name.endsWith('.wasm'));
const nav = (page) => page.getByRole('navigation', { name: 'Main' });
const parts = (names) => names.filter((name) => name.startsWith('split_')).sort();

test("each page brings its part's chunk of the app, and moving to another part fetches only that part's", async ({ page }) => {
  const served = await openLoginGathering(page);
  // The sign-in part is preloaded from the page's head, with the loader that fetches chunks.
  expect(await page.locator('head link[rel="preload"][href$="/split_sign_in.wasm"]').count()).toBe(1);
  expect(await page.locator('head link[rel="modulepreload"][href*="__wasm_split"]').count()).toBe(1);
  expect(wasmFiles(served)).toContain('keytrack.wasm');
  expect(parts(wasmFiles(served))).toEqual(['split_sign_in.wasm']);

  // Logging in moves to the dashboard: its part comes then.
  await page.getByLabel('Email').fill('demo@keytrack.local');
  await page.getByLabel('Password').fill('keytrack-demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('who')).toHaveText('Demo User');
  await expect(page.getByTestId('total-keys')).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(parts(wasmFiles(served))).toEqual(['split_dashboard.wasm', 'split_sign_in.wasm']);

  // Devices is in the settings part: that chunk, no other part's.
  const beforeDevices = served.length;
  await nav(page).getByRole('link', { name: 'Devices' }).click();
  await expect(page.getByRole('heading', { name: 'Devices' })).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(parts(wasmFiles(served.slice(beforeDevices)))).toEqual(['split_settings.wasm']);

  // API tokens is in the same part: no wasm at all.
  const beforeTokens = served.length;
  await nav(page).getByRole('link', { name: 'API tokens' }).click();
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  await page.waitForLoadState('networkidle');
  expect(wasmFiles(served.slice(beforeTokens))).toEqual([]);

  // Nothing was downloaded twice.
  const urls = served.map((r) => r.url());
  expect(urls.filter((url, i) => urls.indexOf(url) !== i)).toEqual([]);
});

test('a part of the app that cannot be fetched says so, the rest keeps working, and loading the page again brings it', async ({ page }) => {
  await logInAsDemo(page);
  // The teams part is gone (offline, or the server was updated since this tab opened).
  await page.route('**/split_teams.wasm', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await nav(page).getByRole('link', { name: 'Teams' }).click();
  await expect(page.getByTestId('page-not-loaded')).toBeVisible();
  await expect(page.getByTestId('page-not-loaded')).toContainText('This page could not be loaded');

  // Another part still opens.
  await nav(page).getByRole('link', { name: 'Devices' }).click();
  await expect(page.getByRole('heading', { name: 'Devices' })).toBeVisible();
  await expect(page.getByTestId('page-not-loaded')).toHaveCount(0);

  // Back on Teams, once the chunk can be had again, "Load the page again" brings the page.
  await nav(page).getByRole('link', { name: 'Teams' }).click();
  await expect(page.getByTestId('page-not-loaded')).toBeVisible();
  await page.unroute('**/split_teams.wasm');
  await page.getByRole('link', { name: 'Load the page again' }).click();
  await expect(page.getByRole('heading', { name: 'Teams', exact: true })).toBeVisible();
  await expect(page.getByTestId('page-not-loaded')).toHaveCount(0);
  await page.waitForSelector('html[data-hydrated]');
});
