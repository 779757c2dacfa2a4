// Accessibility: axe-core finds no serious or critical problem on any page, in light and dark
// mode; Tab reaches "Skip to content" first; the keyboard heatmap and the week rhythm are one tab
// stop each, walked with the arrow keys, and every heatmap has a legend.
import { test, expect } from '@playwright/test';
import { logInAsDemo } from './demo-login.mjs';
import { seriousProblems } from './axe.mjs';

// The server's Content-Security-Policy allows only its own scripts; axe is added by the test.
test.use({ bypassCSP: true });

for (const colorScheme of ['light', 'dark']) {
  test(`no page has a serious accessibility problem in ${colorScheme} mode`, async ({ page }) => {
    test.setTimeout(180_000);
    await page.emulateMedia({ colorScheme });
    // Every page is checked before the test says what it found, so one run lists it all.
    const found = {};
    const check = async (path) => {
      await page.goto(path);
      const problems = await seriousProblems(page);
      if (problems.length) found[path] = problems;
    };
    for (const path of ['/login', '/signup', '/forgot']) await check(path);
    await logInAsDemo(page);
    await page.goto('/teams');
    const team = await page.locator('main a[href^="/teams/"]').first().getAttribute('href');
    for (const path of ['/', '/?range=year', '/teams', team, '/devices', '/tokens', '/profile', '/data', '/add-computer', '/admin']) {
      await check(path);
    }
    expect(found).toEqual({});
  });
}

test('the keyboard reaches the page, the keyboard heatmap and the week rhythm in few stops', async ({ page }) => {
  await logInAsDemo(page);
  await page.goto('/');
  await page.waitForSelector('html[data-hydrated]');
  await expect(page.locator('[data-widget="keyboard-heatmap"] g.key').first()).toBeVisible();

  // The first Tab stop skips the navigation.
  await page.keyboard.press('Tab');
  await expect(page.locator(':focus')).toHaveText('Skip to content');
  await page.keyboard.press('Enter');
  await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('content');

  // The whole keyboard is one stop; the arrows walk it as the keys lie, and say each key's count.
  const heatmap = page.locator('[data-widget="keyboard-heatmap"]');
  await expect(heatmap.locator('[tabindex="0"]')).toHaveCount(1);
  expect(await heatmap.locator('g.key').count()).toBeGreaterThan(100);
  await heatmap.locator('g[data-key="KeyQ"]').focus();
  await expect(heatmap.getByTestId('key-readout')).toHaveText(/^Q: [\d,]+ presses$/);
  await page.keyboard.press('ArrowRight');
  await expect(page.locator(':focus')).toHaveAttribute('data-key', 'KeyW');
  await expect(heatmap.getByTestId('key-readout')).toHaveText(/^W: [\d,]+ presses$/);
  await page.keyboard.press('ArrowDown');
  await expect(page.locator(':focus')).toHaveAttribute('data-key', 'KeyS');
  await page.keyboard.press('Home');
  await expect(page.locator(':focus')).toHaveAttribute('data-key', 'CapsLock');
  await expect(heatmap.locator('[tabindex="0"]')).toHaveCount(1);
  await expect(heatmap.locator('[tabindex="0"]')).toHaveAttribute('data-key', 'CapsLock');
  // Tab leaves the keyboard at once, not after 108 keys.
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => !!document.activeElement?.closest('[data-widget="keyboard-heatmap"]'))).toBe(false);

  // The week rhythm: one stop, hours and days with the arrows, each cell said under the grid.
  const rhythm = page.locator('[data-widget="weekday-hour"]');
  await expect(rhythm.locator('td[tabindex="0"]')).toHaveCount(1);
  await rhythm.locator('td[data-stop="33"]').focus();
  await expect(rhythm.getByTestId('weekday-hour-readout')).toHaveText(/^Tue 09:00: [\d,]+ key presses$/);
  await page.keyboard.press('ArrowRight');
  await expect(rhythm.getByTestId('weekday-hour-readout')).toHaveText(/^Tue 10:00: /);
  await page.keyboard.press('ArrowDown');
  await expect(rhythm.getByTestId('weekday-hour-readout')).toHaveText(/^Wed 10:00: /);
  await expect(page.locator(':focus')).toHaveAttribute('data-stop', '58');
  await expect(rhythm.locator('td[tabindex="0"]')).toHaveCount(1);

  // Each heatmap says what its shades mean, and the keyboard's words hold in dark mode too.
  for (const widget of ['keyboard-heatmap', 'click-heatmap', 'movement-heatmap', 'weekday-hour']) {
    await expect(page.locator(`[data-widget="${widget}"] [data-testid="heat-legend"]`)).toHaveText('FewerMore');
  }
  await expect(heatmap.locator('svg')).not.toHaveAttribute('aria-label', /darker/);
});
