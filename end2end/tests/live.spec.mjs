// The live view end to end, real parts only: the real agent on a virtual desktop (Xvfb) typing
// with xdotool, the real server, and Chromium on the pages. A new token's page confirms the first
// upload by itself; the dashboard's key count rises by exactly what was typed within 2 s of the
// last key, without a reload; a team page follows its members the same way; the demo moves.
import { test, expect } from '@playwright/test';
import {
  agentBinary, approve, hydrated, pairingLink, serverBinary, signUp, sleep, startDisplay, waitFor, xdotool,
} from './desktop.mjs';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/// Pairs the real agent with `token` and starts it on `display`, saving once a minute (its normal
/// cadence: only an open page makes it send sooner).
async function startAgent(display, url, token) {
  const dir = mkdtempSync(join(tmpdir(), 'keytrack-e2e-agent-'));
  const config = join(dir, 'agent');
  const pair = spawnSync(agentBinary, ['--config-dir', config, 'pair', '--server', url, '--token', token], { encoding: 'utf8' });
  if (pair.status !== 0) throw new Error(`keytrack-agent pair: ${pair.stderr}`);
  return runAgent(display, dir, config);
}

/// Starts the agent paired in `config` on `display`; stopping it removes `dir`.
async function runAgent(display, dir, config) {
  const log = join(dir, 'agent.log');
  const out = openSync(log, 'a');
  const agent = spawn(agentBinary, ['--config-dir', config, 'run', '--flush-secs', '60'], {
    env: { ...process.env, DISPLAY: display.name },
    stdio: ['ignore', out, out],
  });
  const text = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  await waitFor('the agent to start capturing', () => text().includes('capturing on'));
  // rdev's XRecord context is set up right after the agent reports.
  await sleep(1_500);
  return {
    log: text,
    stop: () => {
      agent.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const number = async (locator) => Number((await locator.textContent()).replace(/[^\d]/g, ''));

/// Types `text` and waits until `locator`'s number is `expected`: within 2 s of the last key.
async function typeAndExpect(page, display, text, locator, expected) {
  await page.evaluate(() => { window.sameDocument = true; });
  xdotool(display, 'type', '--delay', '20', text);
  const lastKey = Date.now();
  await expect.poll(() => number(locator), { timeout: 2_000, intervals: [50] }).toBe(expected);
  const took = Date.now() - lastKey;
  expect(await page.evaluate(() => window.sameDocument), 'no reload').toBe(true);
  return took;
}

async function createToken(page, name) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API tokens' }).click();
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create token' }).click();
  return (await page.getByTestId('new-token').textContent()).trim();
}

test('a new token confirms its first upload and the dashboard follows the keyboard', async ({ page }) => {
  const display = await startDisplay();
  let agent;
  try {
    await signUp(page, 'live');

    const token = await createToken(page, 'desktop');
    const pairing = page.getByTestId('pairing-status');
    await expect(pairing).toHaveText('Waiting for the first upload with this token…');
    agent = await startAgent(display, new URL(page.url()).origin, token);
    xdotool(display, 'type', '--delay', '30', 'hello');
    await expect(pairing).toHaveText(/^✓ Received from .+ at \d\d:\d\d:\d\d$/, { timeout: 5_000 });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    const total = page.getByTestId('total-keys');
    await expect(total).toHaveText('5');
    await expect(page.getByTestId('live-badge')).toContainText(/^Live · last data \d\d:\d\d:\d\d from /);
    await expect(page.getByTestId('last-hour-keys')).toHaveText('5 key presses in the last 60 minutes');

    const took = await typeAndExpect(page, display, 'abcdefghijklmnopqrst', total, 25);
    console.log(`dashboard: +20 keys shown ${took} ms after the last key`);
    await expect(page.getByTestId('last-hour-keys')).toHaveText('25 key presses in the last 60 minutes');
  } finally {
    agent?.stop();
    display.stop();
  }
});

test('an agent pairs by code: its person approves it in the browser, and its typing arrives', async ({ page }) => {
  const display = await startDisplay();
  const dir = mkdtempSync(join(tmpdir(), 'keytrack-e2e-pair-'));
  const config = join(dir, 'agent');
  let pair;
  let agent;
  try {
    const email = await signUp(page, 'pair');

    const url = new URL(page.url()).origin;
    pair = spawn(agentBinary, ['--config-dir', config, 'pair', '--server', url, '--device-name', 'E2E desktop'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pairing = await pairingLink(pair);
    expect(pairing.printed()).toContain(`approve the code ${pairing.code}`);
    await approve(page, pairing, 'E2E desktop');
    expect(pairing.printed()).toContain(`as ${email} (device "E2E desktop")`);

    // The agent uploads with the token it collected: the new token's row says it was used.
    agent = await runAgent(display, dir, config);
    xdotool(display, 'type', '--delay', '30', 'hello');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await expect(page.getByTestId('total-keys')).toHaveText('5', { timeout: 20_000 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API tokens' }).click();
    const row = page.locator('tr[data-token-name="E2E desktop"]');
    await expect(row.locator('td.status')).toHaveText('active');

    // The devices page: the computer as its agent describes itself, today's keys, its token.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    const device = page.locator('[data-widget="devices"] tr[data-device-name="E2E desktop"]');
    await expect(device.locator('td[data-field="platform"]')).toHaveText(/^Linux · /);
    await expect(device.locator('td[data-field="agent"]')).toHaveText(/^\d+\.\d+\.\d+/);
    await expect(device.locator('td[data-field="today"]')).toContainText('5 keys');
    await expect(device.locator('td[data-field="token"]')).toContainText('E2E desktop');

    // The same code cannot be approved twice.
    await page.goto(pairing.link);
    await hydrated(page);
    await expect(page.locator('[data-widget="pairing"]')).toContainText('used already');
  } finally {
    if (pair && pair.exitCode === null) pair.kill('SIGKILL');
    if (agent) agent.stop();
    else rmSync(dir, { recursive: true, force: true });
    display.stop();
  }
});

test('a team page follows its members live, as far as the team rules allow', async ({ page }) => {
  const display = await startDisplay();
  let agent;
  try {
    await page.goto('/login');
    await hydrated(page);
    await page.getByLabel('Email').fill('demo@keytrack.local');
    await page.getByLabel('Password').fill('keytrack-demo');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByTestId('who')).toHaveText('Demo User');
    const token = await createToken(page, 'team desktop');
    agent = await startAgent(display, new URL(page.url()).origin, token);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Teams' }).click();
    await page.getByRole('link', { name: 'Demo team' }).click();
    await page.getByRole('navigation', { name: 'Date range' }).getByRole('link', { name: 'Today' }).click();
    await expect(page.getByTestId('live-badge')).toContainText('Live');
    const mine = page.getByTestId('member-table').locator('tr', { hasText: 'Demo User' }).getByTestId('member-keys');
    await expect(mine).toBeVisible();
    // Let the page settle: what arrived before it opened is in its first figures.
    await sleep(1_000);
    const before = await number(mine);
    const took = await typeAndExpect(page, display, 'abcdefghijklmnopqrst', mine, before + 20);
    console.log(`team page: +20 keys shown ${took} ms after the last key`);
  } finally {
    agent?.stop();
    display.stop();
  }
});

test('the demo dashboard moves while the server runs with the demo keyboard', async ({ page }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keytrack-e2e-demo-'));
  let server;
  try {
    const demo = spawnSync(serverBinary, ['demo', '--data-dir', dataDir], { encoding: 'utf8' });
    expect(demo.status, demo.stderr).toBe(0);
    server = spawn(serverBinary, ['serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir, '--demo-typing'], {
      env: { ...process.env, LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT || join(targetDir, 'site') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise((found, fail) => {
      let seen = '';
      server.stdout.on('data', (chunk) => {
        seen += chunk;
        const match = seen.match(/listening on (http:\/\/\S+)/);
        if (match) found(match[1]);
      });
      server.on('exit', (code) => fail(new Error(`the demo server exited with ${code}`)));
    });
    await page.goto(`${url}/login`);
    await hydrated(page);
    await page.getByLabel('Email').fill('demo@keytrack.local');
    await page.getByLabel('Password').fill('keytrack-demo');
    await page.getByRole('button', { name: 'Log in' }).click();
    const total = page.getByTestId('total-keys');
    await expect(total).toBeVisible();
    await expect(page.getByTestId('live-badge')).toContainText('from Demo keyboard (live)');
    await page.evaluate(() => { window.sameDocument = true; });
    const first = await number(total);
    await expect.poll(() => number(total), { timeout: 10_000 }).toBeGreaterThan(first);
    expect(await page.evaluate(() => window.sameDocument)).toBe(true);
  } finally {
    server?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
