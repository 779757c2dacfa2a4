// The dashboard as it lies on the screen: no blank holes between or inside cards at 1440 px, the
// headline heatmaps early; on a phone a menu instead of three rows of links, the first figures on
// the first screen and keys big enough to point at. Screenshots of both, light and dark, are
// written to output/screenshots (docs/ holds copies for the README).
import { test, expect } from '@playwright/test';
import { logInAsDemo } from './demo-login.mjs';

// Every blank taller than 120 px on the dashboard: inside a card below its last content, and
// below a card down to the next card under it (or the end of the page).
async function blankAreas(page) {
  return page.evaluate(() => {
    const box = (el) => {
      const r = el.getBoundingClientRect();
      return { top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left, right: r.right };
    };
    const cards = [...document.querySelectorAll('main [data-widget]')]
      .filter((el) => !el.parentElement.closest('[data-widget]'))
      .map((el) => ({ el, name: el.dataset.widget, ...box(el) }));
    const end = Math.max(...cards.map((c) => c.bottom));
    const blanks = [];
    for (const card of cards) {
      const content = Math.max(...[...card.el.children].map((child) => box(child).bottom));
      if (card.bottom - content > 120) blanks.push(`${card.name}: ${Math.round(card.bottom - content)} px blank inside`);
      const under = cards.filter((c) => c !== card && c.top >= card.bottom - 1 && c.left < card.right - 1 && c.right > card.left + 1);
      const next = under.length ? Math.min(...under.map((c) => c.top)) : end;
      if (next - card.bottom > 120) blanks.push(`${card.name}: ${Math.round(next - card.bottom)} px blank below`);
    }
    return blanks;
  });
}

async function dashboardDrawn(page, path) {
  await page.goto(path);
  await page.waitForSelector('html[data-hydrated]');
  await page.waitForLoadState('networkidle');
  await expect(page.locator('[data-widget="click-heatmap"] path.heat').first()).toBeAttached();
  // Charts are drawn once hydrated; their boxes have their heights from then on.
  await page.waitForFunction(() => [...document.querySelectorAll('canvas')].every((c) => window.Chart?.getChart(c)));
}

test('the dashboard at 1440 px has no holes and its headline heatmaps come early', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await logInAsDemo(page);
  for (const path of ['/', '/?range=30d', '/?range=year']) {
    await dashboardDrawn(page, path);
    expect(await blankAreas(page), path).toEqual([]);
    const top = (widget) => page.locator(`[data-widget="${widget}"]`).evaluate((el) => el.getBoundingClientRect().top + scrollY);
    // The keyboard, then the click and movement maps, before the rest.
    expect(await top('keyboard-heatmap'), path).toBeLessThan(900);
    expect(await top('click-heatmap'), path).toBeLessThan(1800);
    expect(await top('movement-heatmap'), path).toBeLessThan(1800);
  }
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    await dashboardDrawn(page, '/');
    await page.screenshot({ path: `output/screenshots/dashboard-1440-${colorScheme}.png`, fullPage: true });
  }
});

test('on a phone the links are a menu and the first figures are on the first screen', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await logInAsDemo(page);
  await dashboardDrawn(page, '/');
  const nav = page.getByRole('navigation', { name: 'Main' });
  const menu = page.getByRole('button', { name: 'Menu' });
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  await expect(nav.getByRole('link', { name: 'Teams' })).toBeHidden();
  // One row of header: the first figures are on the first screen.
  const header = await page.locator('header.topbar').boundingBox();
  expect(header.height).toBeLessThan(70);
  const firstFigure = await page.getByTestId('total-keys').boundingBox();
  expect(firstFigure.y + firstFigure.height).toBeLessThan(844);
  // Keys big enough to point at: the keyboard scrolls sideways in its frame instead.
  const key = await page.locator('[data-widget="keyboard-heatmap"] g[data-key="KeyA"] rect').boundingBox();
  expect(key.width).toBeGreaterThan(22);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

  await menu.click();
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await nav.getByRole('link', { name: 'Teams' }).click();
  await expect(page).toHaveURL(/\/teams$/);
  await expect(nav.getByRole('link', { name: 'Teams' })).toBeHidden();

  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    await dashboardDrawn(page, '/');
    await page.screenshot({ path: `output/screenshots/dashboard-390-${colorScheme}.png`, fullPage: true });
  }
});
