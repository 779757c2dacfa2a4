// The demo account: every widget of the dashboard shows data, in light and dark mode.
import { test, expect } from '@playwright/test';
import { logInAsDemo } from './demo-login.mjs';

test('the demo dashboard shows every widget with data', async ({ page }) => {
  await logInAsDemo(page);

  const keys = async () => Number((await page.getByTestId('total-keys').textContent()).replace(/,/g, ''));
  await expect.poll(keys).toBeGreaterThan(10_000);
  const week = await keys();
  for (const widget of [
    'summary', 'keyboard-heatmap', 'weekday-hour', 'key-combos', 'clicks-by-button', 'activity-timeline',
    'typing-speed', 'click-heatmap', 'movement-heatmap', 'applications',
  ]) {
    await expect(page.locator(`[data-widget="${widget}"]`)).toBeVisible();
  }
  await expect(page.locator('[data-widget="applications"] tbody tr')).toHaveCount(6);
  await expect(page.getByTestId('excluded')).toContainText('Excluded:');
  await expect(page.locator('[data-widget="key-combos"] li')).not.toHaveCount(0);
  await expect(page.getByTestId('corrections')).toHaveText(/^\d+\.\d per 100 keys$/);
  await expect(page.getByTestId('distance')).toHaveText(/^[\d,]{5,} px$/);
  await expect(page.getByTestId('busiest-day')).toHaveText(/^\d{4}-\d{2}-\d{2} \([\d,]+\)$/);
  await expect(page.locator('[data-widget="summary"] .change').first()).toContainText('vs previous period');
  const movedCells = await page.locator('[data-widget="movement-heatmap"] g[data-display]').evaluateAll((displays) =>
    displays.reduce((sum, g) => sum + Number(g.dataset.cells), 0),
  );
  expect(movedCells).toBeGreaterThan(50);
  const wpm = await page.locator('[data-widget="typing-speed"] canvas').first().evaluate((c) => Chart.getChart(c).data.datasets[0].data.filter((v) => v > 0).length);
  expect(wpm).toBeGreaterThan(3);
  // The WPM axis starts at zero and says what it counts.
  const wpmAxis = await page.locator('[data-widget="typing-speed"] canvas').first().evaluate((c) => Chart.getChart(c).scales.y);
  expect(wpmAxis.min).toBe(0);
  expect(wpmAxis.options.title.text).toBe('words per minute');
  // The gap distribution as a histogram with true widths: each bucket a step as wide as its range
  // on a linear time axis (the buckets widen from 25 ms to 1,000 ms), its area its keys; most
  // keys come under half a second.
  const gaps = await page.locator('[data-widget="typing-speed"] canvas').nth(1).evaluate((c) => {
    const chart = Chart.getChart(c);
    return { points: chart.data.datasets[0].data, x: chart.scales.x.type };
  });
  expect(gaps.x).toBe('linear');
  expect(gaps.points.map((p) => p.x)).toEqual([0, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500, 1000, 2000]);
  const keysIn = (from, to) =>
    gaps.points.slice(from, to).reduce((sum, p, i) => sum + (p.y * (gaps.points[from + i + 1].x - p.x)) / 100, 0);
  expect(keysIn(0, 10)).toBeGreaterThan(keysIn(10, 12));
  // Trends plot what was measured, not values rounded to one decimal (which drew a flat line with
  // false steps): the effort per key differs by hundredths from day to day, and its axis, which
  // does not start at zero, says so.
  const effort = await page.locator('[data-widget="ergonomics"] canvas').nth(1).evaluate((c) => {
    const chart = Chart.getChart(c);
    return { values: chart.data.datasets[0].data.filter((v) => v !== null), axis: chart.scales.y.options.title.text };
  });
  expect(effort.values.length).toBeGreaterThan(3);
  expect(effort.values.some((v) => Math.abs(v * 10 - Math.round(v * 10)) > 1e-6)).toBe(true);
  expect(effort.axis).toBe('effort per key (axis not from zero)');

  await expect(page.locator('[data-widget="key-combos"] .sparkline').first()).toBeVisible();
  await expect(page.locator('[data-widget="typing-speed"]')).toContainText(/rhythm consistency \d+%/);

  // 30 days hold more than 7.
  await page.getByRole('navigation', { name: 'Date range' }).getByRole('link', { name: '30 days' }).click();
  await expect.poll(keys).toBeGreaterThan(week);

  // The demo person works docked on most weekdays (the laptop beside a 2560×1440 monitor: two
  // displays, each drawn where it sits) and on the laptop alone on other days; the select
  // switches between the two desktops.
  const clickMap = page.locator('[data-widget="click-heatmap"]');
  await expect(page.getByTestId('click-heatmap-total')).toContainText('clicks on a 4480×1440 desktop of 2 displays');
  await expect(clickMap.locator('g[data-display]')).toHaveCount(2);
  await expect(page.getByTestId('click-heatmap-display-2')).toContainText('Display 2 (2560×1440 at 1920, 0)');
  await page.getByTestId('click-heatmap-desktop').selectOption({ label: 'a 1920×1080 screen' });
  await expect(page.getByTestId('click-heatmap-total')).toContainText('clicks on a 1920×1080 screen');
  await expect(clickMap.locator('g[data-display]')).toHaveCount(1);

  // The dashboard's figures are the JSON API's for the same days.
  const [, from, to] = (await page.getByTestId('range').textContent()).match(/(\S+) to (\S+)/);
  const api = await (await page.request.get(`/api/v1/stats?from=${from}&to=${to}`)).json();
  expect(await keys()).toBe(api.total_keys);
  expect(Number((await page.getByTestId('total-clicks').textContent()).replace(/,/g, ''))).toBe(api.total_clicks);

  // Charts animate in; let them settle before the pictures.
  await page.waitForTimeout(1500);
  await page.screenshot({ path: 'output/demo-dashboard-light.png', fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300);
  await page.screenshot({ path: 'output/demo-dashboard-dark.png', fullPage: true });
  // And on a phone.
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(500);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: 'output/demo-dashboard-phone.png', fullPage: true });
});
