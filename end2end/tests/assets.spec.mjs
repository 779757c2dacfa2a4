// The site's files (wasm, JavaScript, style sheet, Chart.js) are kept by the browser: the next
// visit downloads none of them again, and the page they make from the cache still answers clicks.
import { test, expect } from '@playwright/test';

const isSiteFile = (url) => new URL(url).pathname.startsWith('/assets/');

test('the next visit takes the site files from the cache and still works', async ({ page, context }) => {
  const served = [];
  page.on('response', (response) => {
    if (isSiteFile(response.url())) served.push(response);
  });
  await page.goto('/login');
  await page.waitForSelector('html[data-hydrated]');
  await page.waitForLoadState('networkidle');
  const names = served.map((r) => new URL(r.url()).pathname.split('/').pop()).sort();
  expect(names).toEqual(expect.arrayContaining(['chart.umd.min.js', 'keytrack.css', 'keytrack.js', 'keytrack.wasm']));
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
  expect(again.length).toBeGreaterThanOrEqual(4);
  expect(again.filter((e) => e.transferSize > 0)).toEqual([]);

  // The page hydrated from the cache answers a click.
  await next.getByLabel('Email').fill('demo@keytrack.local');
  await next.getByLabel('Password').fill('keytrack-demo');
  await next.getByRole('button', { name: 'Log in' }).click();
  await expect(next.getByTestId('who')).toHaveText('Demo User');
});
