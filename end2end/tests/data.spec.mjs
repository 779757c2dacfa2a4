// Your data, in the real browser: every export kind downloads from the dashboard's Export menu
// and the "Your data" page, the CSV adds up to /api/v1/stats over the same range, and deleting
// days, a device and finally the account works through the confirmations.
import { test, expect } from '@playwright/test';
import { logInAsDemo } from './demo-login.mjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const PASSWORD = 'correct horse battery';

/** The rows of a CSV file (RFC 4180 quoting), `#` lines skipped, header first. */
function parseCsv(text) {
  const rows = [];
  for (const line of text.split('\r\n')) {
    if (!line || line.startsWith('#')) continue;
    const cells = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '"' && quoted && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = !quoted;
      } else if (c === ',' && !quoted) {
        cells.push(cell);
        cell = '';
      } else {
        cell += c;
      }
    }
    cells.push(cell);
    rows.push(cells);
  }
  return rows;
}

function sum(rows, name) {
  const index = rows[0].indexOf(name);
  expect(index, `column ${name} in ${rows[0]}`).toBeGreaterThanOrEqual(0);
  return rows.slice(1).reduce((total, row) => total + Number(row[index]), 0);
}

async function download(page, link) {
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
  return { name: file.suggestedFilename(), text: fs.readFileSync(await file.path(), 'utf-8') };
}

test('exports download from the dashboard and the data page, and deletions go as confirmed', async ({ page }) => {
  const email = `ada-${Date.now()}@example.com`;
  await page.goto('/signup');
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('.wasm')));
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('empty-state')).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'API tokens' }).click();
  await page.getByLabel('Name').fill('exporter');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.getByTestId('new-token').textContent()).trim();

  // Activity on three days (this one, two days ago, four days ago) from two computers.
  const now = Math.floor(Date.now() / 60000) * 60;
  const minutes = (daysAgo, presses) =>
    [0, 60, 120].map((offset) => ({
      minute: now - daysAgo * 86400 - 600 + offset,
      utc_offset: 60,
      presses,
      clicks: { left: 2, right: 1 },
      active_seconds: 30,
    }));
  for (const [id, name, presses] of [['desk', 'Desk', 12], ['laptop', '=cmd|calc', 7]]) {
    const upload = await page.request.post('/api/v1/activity', {
      headers: { Authorization: `Bearer ${token}` },
      data: { device: { id, name }, format: 2, minutes: [...minutes(4, presses), ...minutes(2, presses), ...minutes(0, presses)] },
    });
    expect(upload.status()).toBe(200);
  }

  await nav.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('navigation', { name: 'Date range' }).getByRole('link', { name: '30 days' }).click();
  await expect(page).toHaveURL(/range=30d/);
  await expect(page.getByTestId('total-keys')).toHaveText('171');
  const stats = await (await page.request.get('/api/v1/stats?range=30d')).json();
  expect(stats.total_keys).toBe(171);

  // The dashboard's Export menu keeps its range.
  const menu = page.getByTestId('export-menu');
  await menu.locator('summary').click();
  const days = await download(page, menu.getByRole('link', { name: 'CSV: per day' }));
  expect(days.name).toBe(`keytrack-day-${stats.from}-to-${stats.to}.csv`);
  expect(days.text.split('\r\n')[0]).toContain('Europe/Paris');
  const dayRows = parseCsv(days.text);
  expect(dayRows.length).toBe(31);
  expect(sum(dayRows, 'key_presses')).toBe(stats.total_keys);
  expect(sum(dayRows, 'clicks')).toBe(stats.total_clicks);
  expect(sum(dayRows, 'active_seconds')).toBe(stats.active_seconds);
  for (const [label, column] of [['CSV: per hour', 'key_presses'], ['CSV: per minute', 'key_presses']]) {
    await menu.locator('summary').click();
    await menu.locator('summary').click();
    const file = await download(page, menu.getByRole('link', { name: label }));
    expect(sum(parseCsv(file.text), column), label).toBe(stats.total_keys);
  }
  const perMinute = await download(page, menu.getByRole('link', { name: 'CSV: per minute' }));
  expect(perMinute.text).toContain('"\'=cmd|calc"');

  // The PDF report: poppler reads its text (the headline figures are there) and draws its pages
  // (not blank).
  const [pdfFile] = await Promise.all([
    page.waitForEvent('download'),
    menu.getByRole('link', { name: 'PDF report' }).click(),
  ]);
  expect(pdfFile.suggestedFilename()).toBe(`keytrack-report-${stats.from}-to-${stats.to}.pdf`);
  const pdf = await pdfFile.path();
  const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
  expect(text).toContain('Your keyboard and mouse');
  expect(text).toContain('171');
  expect(text).toContain(email);
  const pages = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
  execFileSync('pdftoppm', ['-gray', '-r', '30', pdf, path.join(pages, 'page')]);
  const drawn = fs.readdirSync(pages).filter((f) => f.endsWith('.pgm')).sort();
  expect(drawn.length).toBe(3);
  for (const name of drawn) {
    const image = fs.readFileSync(path.join(pages, name));
    // Binary PGM: "P5", width, height, 255, then a byte per pixel.
    const header = image.subarray(0, 20).toString('latin1').split(/\s+/);
    const pixels = Number(header[1]) * Number(header[2]);
    const body = image.subarray(image.length - pixels);
    const inked = body.filter((v) => v < 200).length;
    expect(inked / pixels, `${name} is not blank`).toBeGreaterThan(0.002);
  }

  // The data page: the JSON export, the devices, and deletions.
  await nav.getByRole('link', { name: 'Your data' }).click();
  const json = await download(page, page.getByRole('link', { name: /^JSON: everything/ }));
  const everything = JSON.parse(json.text);
  expect(everything.format).toBe('keytrack-export');
  expect(everything.account.email).toBe(email);
  expect(everything.devices.map((d) => d.minutes.length)).toEqual([9, 9]);
  expect(json.text).not.toContain(token);
  const csv = await download(page, page.getByTestId('export-section').getByRole('link', { name: 'CSV: per key' }));
  expect(parseCsv(csv.text)[0]).toEqual(['key', 'code', 'presses', 'percent']);
  const shortcuts = await download(page, page.getByTestId('export-section').getByRole('link', { name: 'CSV: per shortcut' }));
  expect(parseCsv(shortcuts.text)[0]).toEqual(['shortcut', 'code', 'presses', 'percent']);
  const apps = await download(page, page.getByTestId('export-section').getByRole('link', { name: 'CSV: per application' }));
  expect(parseCsv(apps.text)[0]).toEqual(['application', 'active_seconds', 'key_presses', 'clicks', 'percent_of_time']);

  // Delete the day four days ago: the confirmation says what goes, then it is gone.
  const fourDaysAgo = dayRows.slice(1).find((row) => Number(row[2]) === 57)[0];
  const section = page.getByTestId('delete-days-section');
  await section.getByLabel('From').fill(fourDaysAgo);
  await section.getByLabel('To').fill(fourDaysAgo);
  await section.getByRole('button', { name: 'Review…' }).click();
  await expect(page.getByTestId('confirm-days')).toContainText('57 key presses, 18 clicks');
  await page.getByRole('button', { name: 'Yes, delete these days' }).click();
  await expect(page.getByTestId('days-deleted')).toContainText('Deleted 1 day of figures: 6 minute records');
  const after = await (await page.request.get('/api/v1/stats?range=30d')).json();
  expect(after.total_keys).toBe(171 - 57);

  // The devices page: rename the desk, then remove the laptop with its data: its figures go,
  // the desk's stay.
  await nav.getByRole('link', { name: 'Devices' }).click();
  await expect(page.getByTestId('pair-this-server')).toHaveText(`keytrack-agent pair --server ${new URL(page.url()).origin}`);
  const devices = page.locator('[data-widget="devices"]').getByTestId('device-table');
  await expect(devices.locator('tbody tr')).toHaveCount(2);
  const laptop = devices.locator('tr[data-device-name="=cmd|calc"]');
  await expect(laptop.locator('td[data-field="kept"]')).toHaveText('6');
  await devices.getByRole('button', { name: 'Rename Desk' }).click();
  await devices.getByTestId('rename-form').getByLabel('New name').fill('Office desk');
  await devices.getByTestId('rename-form').getByRole('button', { name: 'Save' }).click();
  await expect(devices.locator('tr[data-device-name="Office desk"]')).toBeVisible();
  await expect(devices.locator('tr[data-device-name="Desk"]')).toHaveCount(0);
  await devices.getByRole('button', { name: 'Remove =cmd|calc' }).click();
  const confirm = page.getByTestId('confirm-device');
  await expect(confirm).toContainText('=cmd|calc');
  await expect(confirm).toContainText('is revoked, so it uploads no more');
  await confirm.getByRole('checkbox').check();
  await confirm.getByRole('button', { name: 'Remove it' }).click();
  await expect(page.getByTestId('device-removed')).toContainText('6 minute records');
  await expect(devices.locator('tbody tr')).toHaveCount(1);
  const desk = await (await page.request.get('/api/v1/stats?range=30d')).json();
  expect(desk.total_keys).toBe(12 * 6);

  await nav.getByRole('link', { name: 'Your data' }).click();
  // The account: a wrong password is refused, the right one deletes it and logs out.
  const account = page.getByTestId('delete-account-section');
  await account.getByLabel('Your password, to confirm').fill('not it');
  await account.getByRole('button', { name: 'Delete my account for good' }).click();
  await expect(account.getByRole('alert')).toContainText('not your password');
  await account.getByLabel('Your password, to confirm').fill(PASSWORD);
  await account.getByRole('button', { name: 'Delete my account for good' }).click();
  await expect(page.getByRole('link', { name: 'Create an account' })).toBeVisible();
  expect((await page.request.get('/api/v1/me')).status()).toBe(401);
  const gone = await page.request.get('/api/v1/me', { headers: { Authorization: `Bearer ${token}` } });
  expect(gone.status()).toBe(401);
});

test("a team's Export menu gives its dashboard's figures as CSV and PDF", async ({ page }) => {
  await logInAsDemo(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Teams' }).click();
  await page.getByRole('link', { name: 'Demo team' }).click();
  await expect(page.locator('h1.team-name')).toContainText('Demo team');
  await page.getByRole('navigation', { name: 'Date range' }).getByRole('link', { name: '30 days' }).click();
  await expect(page).toHaveURL(/range=30d/);
  const teamId = page.url().match(/\/teams\/(\d+)/)[1];
  const stats = await (await page.request.get(`/api/v1/teams/${teamId}/stats?range=30d`)).json();
  expect(stats.totals).toBeTruthy();

  const menu = page.getByTestId('export-menu');
  await menu.locator('summary').click();
  const members = await download(page, menu.getByRole('link', { name: 'CSV: team and members' }));
  const rows = parseCsv(members.text);
  expect(rows[0]).toEqual(['who', 'key_presses', 'clicks', 'active_seconds', 'words_per_minute', 'active_days']);
  const total = rows.find((row) => row[0] === 'Team total');
  expect(Number(total[1])).toBe(stats.totals.total_keys);
  expect(rows.length).toBe(3 + stats.member_figures.length);

  const [pdfFile] = await Promise.all([page.waitForEvent('download'), menu.getByRole('link', { name: 'PDF report' }).click()]);
  const text = execFileSync('pdftotext', ['-layout', await pdfFile.path(), '-']).toString();
  expect(text).toContain('Demo team');
  expect(text).toContain(stats.totals.total_keys.toLocaleString('en-US'));
});

test("keys are named as printed in the person's layout: dashboard, team page, PDF and CSV", async ({ page }) => {
  await logInAsDemo(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  const setLayout = async (name) => {
    await nav.getByRole('link', { name: 'Profile' }).click();
    await page.getByLabel('Keyboard layout').selectOption({ label: name });
    await page.getByRole('button', { name: 'Save' }).first().click();
    await expect(page.getByText('Saved')).toBeVisible();
  };
  await setLayout('German (QWERTZ)');
  try {
    await nav.getByRole('link', { name: 'Dashboard' }).click();
    // Top keys and shortcuts say what is on the key (no "KeyE", no "Ctrl+KeyC"), the code kept
    // as data for scripts; on a German board the key US calls Z prints Y.
    const topKeys = page.locator('section:has(h2:text-is("Top keys")) li');
    await expect(topKeys.first()).toBeVisible();
    const names = await topKeys.locator('kbd').allTextContents();
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect(name).not.toMatch(/^(Key|Digit)/);
    await expect(page.locator('section:has(h2:text-is("Top keys")) li[data-key="KeyE"] kbd')).toHaveText('E');
    const shortcuts = page.locator('[data-widget="key-combos"]');
    await expect(shortcuts.locator('li[data-key="Ctrl+KeyC"] kbd')).toHaveText('Ctrl+C');
    await expect(shortcuts.locator('li[data-key="Ctrl+KeyZ"] kbd')).toHaveText('Ctrl+Y');
    // The heatmap's readout names the focused key as printed.
    await page.locator('[data-widget="keyboard-heatmap"] [data-key="KeyY"]').focus();
    await expect(page.getByTestId('key-readout')).toHaveText(/^Z: [\d,]+ presses$/);

    // The team page's shortcuts, in the reader's layout.
    await nav.getByRole('link', { name: 'Teams' }).click();
    await page.getByRole('link', { name: 'Demo team' }).click();
    const teamShortcuts = page.locator('[data-widget="team-combos"]');
    await expect(teamShortcuts.locator('li[data-key="Ctrl+KeyZ"] kbd')).toHaveText('Ctrl+Y');
    for (const name of await teamShortcuts.locator('kbd').allTextContents()) expect(name).not.toMatch(/Key[A-Z]/);

    // The PDF report and the CSV files.
    await nav.getByRole('link', { name: 'Dashboard' }).click();
    const menu = page.getByTestId('export-menu');
    await menu.locator('summary').click();
    const [pdfFile] = await Promise.all([page.waitForEvent('download'), menu.getByRole('link', { name: 'PDF report' }).click()]);
    const text = execFileSync('pdftotext', ['-layout', await pdfFile.path(), '-']).toString();
    expect(text).toContain('Ctrl+Y');
    expect(text).not.toMatch(/\bKey[A-Z]\b|Digit\d/);
    await menu.locator('summary').click();
    await menu.locator('summary').click();
    const perKey = parseCsv((await download(page, menu.getByRole('link', { name: 'CSV: per key' }))).text);
    expect(perKey[0]).toEqual(['key', 'code', 'presses', 'percent']);
    expect(perKey.find((row) => row[1] === 'KeyY')[0]).toBe('Z');
    expect(perKey.find((row) => row[1] === 'KeyZ')[0]).toBe('Y');
    await menu.locator('summary').click();
    await menu.locator('summary').click();
    const perShortcut = parseCsv((await download(page, menu.getByRole('link', { name: 'CSV: per shortcut' }))).text);
    expect(perShortcut.find((row) => row[1] === 'Ctrl+KeyZ')[0]).toBe('Ctrl+Y');
  } finally {
    await setLayout('US (QWERTY)');
  }
});
