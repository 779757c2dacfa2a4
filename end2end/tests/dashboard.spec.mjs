// The dashboard follows the date range in the URL: presets, a custom range, and a key's count on
// hover, on data uploaded through the real API.
import { test, expect } from '@playwright/test';

test('the dashboard shows uploaded activity and follows the date range', async ({ page }) => {
  const email = `grace-${Date.now()}@example.com`;
  await page.goto('/signup');
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('.wasm')));
  await page.waitForLoadState('networkidle');
  await expect(page.locator('input[name="timezone"]')).toHaveValue('Europe/Paris');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('empty-state')).toBeVisible();

  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'API tokens' }).click();
  await page.getByLabel('Name').fill('uploader');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.getByTestId('new-token').textContent()).trim();

  // One busy minute two minutes ago and one ten days ago (totals), and the block of key detail of
  // the hour that ended last (which keys, chords, where the pointer went).
  const now = Math.floor(Date.now() / 60000) * 60;
  const recent = { minute: now - 120, utc_offset: 60, presses: 10, clicks: { left: 2, right: 1 }, active_seconds: 30 };
  const older = { minute: now - 10 * 86400, utc_offset: 60, presses: 11, active_seconds: 20 };
  const hour = now - (now % 3600);
  const block = {
    start: hour - 3600,
    end: hour,
    keys: { KeyA: 190, KeyB: 3, ControlLeft: 1, KeyC: 1, Space: 5 },
    chords: { 'Ctrl+KeyC': 1 },
    screens: [{ width: 1920, height: 1080, clicks: [[32, 18, 3]], moves: [[32, 18, 40], [33, 18, 10]] }],
    apps: [
      { name: 'code', keys: 150, clicks: 1, active_seconds: 600 },
      { name: 'xterm', keys: 40, clicks: 5, active_seconds: 1200 },
    ],
    excluded_seconds: 90,
  };
  const upload = await page.request.post('/api/v1/activity', {
    headers: { Authorization: `Bearer ${token}` },
    data: { device: { id: 'e2e', name: 'e2e' }, format: 2, minutes: [older, recent], blocks: [block] },
  });
  expect(upload.status()).toBe(200);

  await nav.getByRole('link', { name: 'Dashboard' }).click();
  const widgets = [
    'summary', 'keyboard-heatmap', 'weekday-hour', 'key-combos', 'clicks-by-button', 'activity-timeline',
    'typing-speed', 'click-heatmap', 'movement-heatmap', 'applications',
  ];
  for (const widget of widgets) {
    await expect(page.locator(`[data-widget="${widget}"]`)).toBeVisible();
  }
  const total = page.getByTestId('total-keys');
  await expect(total).toHaveText('10');
  await expect(page.getByTestId('busiest-day')).toHaveText(/\(10\)$/);
  await expect(page.getByTestId('corrections')).toHaveText('0.0 per 100 keys');
  await expect(page.locator('[data-widget="key-combos"] li[data-key="Ctrl+KeyC"] kbd')).toHaveText('Ctrl+C');
  await expect(page.getByTestId('click-heatmap-total')).toHaveText('3 clicks on a 1920×1080 screen');
  await expect(page.getByTestId('movement-heatmap-total')).toHaveText('50 pointer moves on a 1920×1080 screen');
  // The 3 clicks are one cell of the grid (drawn in one of the map's shades); pointing at it
  // tells its count, pointing elsewhere that nothing was clicked there.
  const clickMap = page.locator('[data-widget="click-heatmap"] svg');
  await expect(page.locator('[data-widget="click-heatmap"] g[data-display]')).toHaveAttribute('data-cells', '1');
  const box = await clickMap.boundingBox();
  await clickMap.hover({ position: { x: (box.width * 32.5) / 64, y: (box.height * 18.5) / 36 } });
  await expect(page.getByTestId('click-heatmap-pointed')).toHaveText('3 clicks around (975, 555)');
  await clickMap.hover({ position: { x: 2, y: 2 } });
  await expect(page.getByTestId('click-heatmap-pointed')).toHaveText('0 clicks around (15, 15)');
  await expect(page.locator('[data-widget="clicks-by-button"]')).toContainText('Left2Right1', { useInnerText: false });
  // Every computer's positions are known: no word on the maps.
  await expect(page.getByTestId('no-positions')).toHaveCount(0);

  // Applications: most time first; ordered by key presses on a click; the excluded time apart.
  const apps = page.locator('[data-widget="applications"]');
  const order = () => apps.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.app));
  await expect.poll(order).toEqual(['xterm', 'code']);
  await expect(apps.locator('tr[data-app="xterm"] [data-field="time"]')).toHaveText('20 min');
  await apps.getByRole('button', { name: 'Key presses' }).click();
  await expect.poll(order).toEqual(['code', 'xterm']);
  await expect(apps.getByRole('button', { name: 'Key presses' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('excluded')).toContainText('Excluded: 1 min');

  // The profile's never-count list: added once, in one spelling, and taken off again.
  await nav.getByRole('link', { name: 'Profile' }).click();
  const neverCount = page.locator('[data-widget="never-count"]');
  await expect(page.getByTestId('never-count-empty')).toBeVisible();
  await expect(page.getByTestId('never-count-wayland')).toContainText('On GNOME and KDE the agent cannot know');
  await neverCount.getByLabel('Application').fill('XTerm');
  await neverCount.getByRole('button', { name: 'Never count it' }).click();
  await expect(page.getByTestId('never-count-list')).toHaveText('xterm×');
  await neverCount.getByLabel('Application').fill('— !');
  await neverCount.getByRole('button', { name: 'Never count it' }).click();
  await expect(neverCount.getByRole('alert')).toContainText('is not an application name');
  await expect(page.getByTestId('never-count-list')).toHaveText('xterm×');
  await neverCount.getByRole('button', { name: 'Count xterm again' }).click();
  await expect(page.getByTestId('never-count-empty')).toBeVisible();

  // A computer on a Wayland desktop (its agent reads the kernel's input devices, which report no
  // positions) clicks once: the dashboard says why its clicks are not on the maps.
  const wayland = await page.request.post('/api/v1/activity', {
    headers: { Authorization: `Bearer ${token}`, 'KeyTrack-Capture': 'evdev' },
    data: {
      device: { id: 'e2e-wayland', name: 'Wayland laptop' },
      format: 2,
      minutes: [{ minute: now - 180, utc_offset: 60, clicks: { left: 1 }, active_seconds: 5 }],
    },
  });
  expect(wayland.status()).toBe(200);
  await nav.getByRole('link', { name: 'Dashboard' }).click();
  await expect(page.getByTestId('no-positions')).toHaveText(
    'Pointer positions are not available from Wayland laptop (Wayland): its clicks by button, distance and scrolling count, but not on these maps.',
  );
  // The devices page says it of that computer alone.
  await nav.getByRole('link', { name: 'Devices' }).click();
  await expect(page.locator('tr[data-device-name="Wayland laptop"] [data-field="capture"]')).toHaveText(
    ' (Wayland: no pointer positions)',
  );
  await expect(page.locator('tr[data-device-name="e2e"] [data-field="capture"]')).toHaveCount(0);
  await nav.getByRole('link', { name: 'Dashboard' }).click();

  // A preset: the numbers and the URL change together.
  await page.getByRole('navigation', { name: 'Date range' }).getByRole('link', { name: '30 days' }).click();
  await expect(page).toHaveURL(/\?range=30d$/);
  await expect(total).toHaveText('21');

  // The timeline is a live Chart.js chart: one bar per day, a tooltip on hover, a legend that hides a series.
  const timeline = page.locator('[data-widget="activity-timeline"] canvas');
  // (Read through functions, not strings: the page's Content-Security-Policy forbids eval.)
  const chart = (read) => timeline.evaluate((canvas, body) => {
    const chart = Chart.getChart(canvas);
    const readers = {
      labels: () => chart.data.labels.length,
      keys: () => chart.data.datasets[0].data.reduce((a, b) => a + b, 0),
      lastBar: () => (({ x, y }) => ({ x, y }))(chart.getDatasetMeta(0).data[29]),
      tooltips: () => chart.tooltip.getActiveElements().length,
      clicksLegend: () => (({ left, top, width, height }) => ({ x: left + width / 2, y: top + height / 2 }))(chart.legend.legendHitBoxes[1]),
      clicksShown: () => chart.isDatasetVisible(1),
    };
    return readers[body]();
  }, read);
  await expect.poll(() => chart('labels')).toBe(30);
  expect(await chart('keys')).toBe(21);
  const lastBar = await chart('lastBar');
  await timeline.hover({ position: { x: lastBar.x, y: lastBar.y + 2 } });
  await expect.poll(() => chart('tooltips')).toBeGreaterThan(0);
  const clicksLegend = await chart('clicksLegend');
  await timeline.click({ position: clicksLegend });
  await expect.poll(() => chart('clicksShown')).toBe(false);

  // Hovering a key shows its count.
  await page.locator('[data-widget="keyboard-heatmap"] [data-key="KeyA"]').hover();
  await expect(page.getByTestId('key-readout')).toHaveText('A: 190 presses');

  // A custom range around the older day only.
  const day = new Date((now - 10 * 86400) * 1000).toLocaleDateString('en-CA', { timeZone: 'Europe/Paris' });
  await page.locator('input[name="from"]').fill(day);
  await page.locator('input[name="to"]').fill(day);
  await page.getByRole('button', { name: 'Show' }).click();
  // Exactly the two dates: no stray `&=` from the submit button.
  await expect(page).toHaveURL(new RegExp(`/\\?from=${day}&to=${day}$`));
  await expect(total).toHaveText('11');
  await expect(page.getByTestId('range')).toContainText(`${day} to ${day}`);

  // A bookmarked view loads as it was shared.
  await page.goto('/?range=30d');
  await expect(page.getByTestId('total-keys')).toHaveText('21');
  await page.screenshot({ path: 'output/dashboard-light.png', fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: 'output/dashboard-dark.png', fullPage: true });
});
