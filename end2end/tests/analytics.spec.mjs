// The advanced analytics on the demo account: ergonomics, the layout "what if", breaks and typing
// depth show data; picking another layout to compare changes the figures; and the keyboard layout
// in the profile relabels the keyboard without changing a count.
import { test, expect } from '@playwright/test';
import { logInAsDemo } from './demo-login.mjs';

const chartData = (locator, dataset = 0) =>
  locator.evaluate((c, i) => Chart.getChart(c).data.datasets[i].data, dataset);

async function saveLayout(page, name) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click();
  await page.getByLabel('Keyboard layout').selectOption({ label: name });
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
}

test('ergonomics, breaks and typing depth show the demo data; the layout relabels, never recounts', async ({ page }) => {
  // Three dashboards of 30 demo days and a profile change: about 30 s on 2 idle cores, so the
  // default 60 s left no room for a busy machine.
  test.setTimeout(120_000);
  await logInAsDemo(page);
  await page.goto('/?range=30d');
  await page.waitForLoadState('networkidle');

  // Ergonomics: ten finger bars, hand balance adding up to 100, an effort figure, a trend per day.
  const ergonomics = page.locator('[data-widget="ergonomics"]');
  await expect(ergonomics).toBeVisible();
  await expect(ergonomics.getByTestId('finger-loads').locator('.share-bar')).toHaveCount(10);
  const [left, right] = (await ergonomics.getByTestId('hand-balance').textContent()).match(/\d+/g).map(Number);
  expect(left + right).toBe(100);
  expect(left).toBeGreaterThan(20);
  expect(Number(await ergonomics.getByTestId('effort').textContent())).toBeGreaterThan(0);
  // Key pairs by class: about half switch hands.
  await expect(ergonomics.getByTestId('key-pairs').locator('.share-bar')).toHaveCount(6);
  const alternation = await ergonomics.getByTestId('key-pairs').locator('.share-bar').first().locator('.share-value').textContent();
  expect(parseFloat(alternation)).toBeGreaterThan(30);
  const handTrend = await chartData(ergonomics.locator('canvas').first());
  expect(handTrend.filter((v) => v > 0).length).toBeGreaterThan(10);

  // Breaks: the demo person steps away during the day.
  const breaks = page.locator('[data-widget="breaks"]');
  await expect(breaks).toContainText('not medical advice');
  expect(Number(await breaks.getByTestId('breaks-per-day').textContent())).toBeGreaterThan(1);
  expect(parseInt(await breaks.getByTestId('longest-stretch').textContent(), 10)).toBeGreaterThan(10);
  const stretches = await chartData(breaks.locator('canvas'));
  expect(stretches.filter((v) => v > 0).length).toBeGreaterThan(10);

  // Typing depth: speed in several hours of the day, corrections and bursts per day.
  const depth = page.locator('[data-widget="typing-depth"]');
  const byHour = await chartData(depth.locator('canvas').first());
  expect(byHour).toHaveLength(24);
  expect(byHour.filter((v) => v > 0).length).toBeGreaterThan(5);
  expect(Number(await depth.getByTestId('depth-corrections').textContent())).toBeGreaterThan(0);
  expect(Number(await depth.getByTestId('burst-keys').textContent())).toBeGreaterThan(1);

  // The API carries the same days.
  const api = await (await page.request.get('/api/v1/stats?range=30d')).json();
  expect(api.daily.some((d) => d.breaks.breaks_5 > 0)).toBe(true);
  expect(api.wpm_by_hour).toHaveLength(24);

  // "What if": picking another layout changes the comparison (a dead hydration would not).
  const whatIf = page.locator('[data-widget="layout-what-if"]');
  await expect(whatIf.getByTestId('what-if-summary')).toContainText('Colemak');
  const colemakEffort = await whatIf.getByTestId('what-if-effort').textContent();
  await whatIf.getByTestId('what-if-layout').selectOption('dvorak');
  await expect(whatIf.getByTestId('what-if-summary')).toContainText('Dvorak');
  await expect(whatIf.getByTestId('what-if-effort')).not.toHaveText(colemakEffort);
  // English text on Dvorak or Colemak takes less reach than on QWERTY.
  await expect(whatIf.getByTestId('what-if-summary')).toContainText('less effort');

  // The layout in the profile relabels the keyboard; the counts stay the same.
  const key = (code) => page.locator(`[data-widget="keyboard-heatmap"] [data-key="${code}"]`);
  await expect(key('KeyY').locator('text')).toHaveText('Y');
  // "Z: 855 presses": the key's name as printed in the layout, then its count.
  const countOf = async (code) => (await key(code).locator('title').textContent()).split(': ')[1];
  const nameOf = async (code) => (await key(code).locator('title').textContent()).split(': ')[0];
  const before = { y: await countOf('KeyY'), z: await countOf('KeyZ'), semicolon: await countOf('Semicolon') };
  expect(await page.locator('[data-widget="keyboard-heatmap"] [data-key="IntlBackslash"]').count()).toBe(0);
  try {
    await saveLayout(page, 'German (QWERTZ)');
    await page.goto('/?range=30d');
    await expect(page.getByTestId('keyboard-layout')).toContainText('German');
    await expect(key('KeyY').locator('text')).toHaveText('Z');
    await expect(key('KeyZ').locator('text')).toHaveText('Y');
    await expect(key('Semicolon').locator('text')).toHaveText('Ö');
    // An ISO keyboard: the key left of Z is drawn.
    await expect(key('IntlBackslash')).toHaveCount(1);
    expect({ y: await countOf('KeyY'), z: await countOf('KeyZ'), semicolon: await countOf('Semicolon') }).toEqual(before);
    // The same counts, named as the German keyboard prints them.
    expect([await nameOf('KeyY'), await nameOf('KeyZ'), await nameOf('Semicolon')]).toEqual(['Z', 'Y', 'Ö']);
    // The "what if" now starts from German.
    await expect(page.locator('[data-widget="layout-what-if"]')).toContainText('typed on German (QWERTZ)');
  } finally {
    await saveLayout(page, 'US (QWERTY)');
  }
  await page.goto('/?range=30d');
  await expect(key('KeyY').locator('text')).toHaveText('Y');
});

test("a team's activity over time: the team's counted days and each sharing member's trend, per day or week", async ({ page }) => {
  await logInAsDemo(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Teams' }).click();
  await page.getByRole('link', { name: 'Demo team' }).click();
  await expect(page.locator('h1.team-name')).toContainText('Demo team');
  const teamId = page.url().match(/\/teams\/(\d+)/)[1];
  await page.goto(`/teams/${teamId}?range=30d`);
  const card = page.locator('[data-widget="team-activity"]');
  await expect(card.getByTestId('team-activity-chart')).toHaveAttribute('data-grouping', 'per day');
  // The chart is drawn once the page has hydrated (and again when the grouping changes).
  const chart = () => card.locator('canvas').evaluate((c) => {
    const drawn = Chart.getChart(c);
    return drawn ? { labels: drawn.data.labels.length, series: drawn.data.datasets.map((d) => d.data) } : null;
  });
  await expect.poll(async () => (await chart())?.labels).toBe(30);
  const daily = await chart();
  const api = await (await page.request.get(`/api/v1/teams/${teamId}/stats?range=30d`)).json();
  // The team's bars are the API's counted days; a line per sharing member.
  expect(daily.series[0]).toEqual(api.totals.daily_keys);
  expect(daily.series.length).toBe(1 + api.member_figures.length);
  expect(api.totals.daily_keys.filter((n) => n > 0).length).toBeGreaterThan(10);
  // Per week: the same presses in five bars (30 days from the range's first).
  await card.getByRole('button', { name: 'Per week' }).click();
  await expect(card.getByTestId('team-activity-chart')).toHaveAttribute('data-grouping', 'per week');
  await expect.poll(async () => (await chart())?.labels).toBe(5);
  const weekly = await chart();
  const sum = (values) => values.reduce((a, b) => a + b, 0);
  expect(sum(weekly.series[0])).toBe(sum(daily.series[0]));

  // The team's ergonomic figures: the API's averages over the members who share theirs.
  expect(api.ergonomics.members).toBeGreaterThanOrEqual(3);
  const ergonomics = page.locator('[data-widget="team-ergonomics"]');
  await expect(ergonomics.getByTestId('team-home-row')).toHaveText(`${Math.round(api.ergonomics.home_row_share)}%`);
  await expect(ergonomics.getByTestId('team-effort')).toHaveText(api.ergonomics.effort.toFixed(2));
  await expect(ergonomics.getByTestId('team-ergonomics-members')).toContainText(`The average of ${api.ergonomics.members} members`);
});
