// "Add a computer" end to end, real parts only. The commands the page gives, copied with its
// button, are run as a person would: they download the agent this server was built with, check
// its SHA-256, pair it by code (approved here, in the browser), install it to start with the
// session, and its typing arrives. The Windows agent is downloaded from the page the same way
// and paired and run under Wine, typing into Wine's Notepad.
import { test, expect } from '@playwright/test';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  agentBinary, approve, bringToFront, buildProcessPrngShim, pairingLink, sha256, signUp, startDisplay, startServer, startWine,
  targetDir, waitFor, xdotool,
} from './desktop.mjs';

async function openAddComputer(page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
  await page.getByRole('link', { name: 'Add a computer' }).click();
  await expect(page.locator('[data-widget="add-computer"]')).toBeVisible();
}

/// Opens the dashboard and waits until it shows `keys` key presses (an open dashboard makes the
/// agent send its open minute at once).
async function expectDashboardKeys(page, keys, timeout = 20_000) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
  await expect(page.getByTestId('total-keys')).toHaveText(String(keys), { timeout });
}

function logOf(file) {
  return () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
}

test('Linux: the copied commands install this server\'s agent, pair it by code, and it counts', async ({ page, context }) => {
  test.setTimeout(120_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const display = await startDisplay();
  const home = mkdtempSync(join(tmpdir(), 'keytrack-e2e-home-'));
  let pair;
  let agent;
  try {
    await signUp(page, 'add-linux');
    await openAddComputer(page);
    const origin = new URL(page.url()).origin;
    // Headless Chromium here says it runs on Linux: that platform is chosen first.
    await expect(page.getByRole('button', { name: 'Linux' })).toHaveAttribute('aria-pressed', 'true');
    const sha = (await page.getByTestId('agent-sha256').textContent()).trim();
    expect(sha, 'the agent offered is the one built beside this server').toBe(sha256(readFileSync(agentBinary)));
    await expect(page.getByTestId('agent-download')).toContainText(`${(statSync(agentBinary).size / 1e6).toFixed(1)} MB`);

    const commands = page.getByTestId('install-commands');
    await expect(commands).toContainText(`pair --server ${origin}`);
    // This test server has no public URL and the page is open at 127.0.0.1: a warning says the
    // commands work on this computer only. Linux says which sessions it counts on.
    await expect(page.getByTestId('loopback-warning')).toContainText(`opened at ${origin}, an address only this computer reaches`);
    await expect(page.getByTestId('loopback-warning')).toContainText('--public-url');
    await expect(page.getByTestId('linux-session-note')).toContainText('Wayland');
    await page.getByTestId('copy-commands').click();
    await expect(page.getByTestId('copy-status')).toHaveText('Copied to the clipboard.');
    await expect(page.getByTestId('copy-commands')).toHaveText('Copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(await commands.textContent());
    const lines = copied.split('\n');
    expect(lines).toHaveLength(5);

    // A person's shell on the new computer: its own home, this display.
    const env = { ...process.env, HOME: home, DISPLAY: display.name };
    delete env.XDG_CONFIG_HOME;
    const fetched = spawnSync('bash', ['-e', '-c', lines.slice(0, 3).join('\n')], { env, encoding: 'utf8' });
    expect(fetched.status, fetched.stderr).toBe(0);
    expect(fetched.stdout).toContain('keytrack-agent: OK');
    const installed = join(home, '.local', 'bin', 'keytrack-agent');
    expect(statSync(installed).mode & 0o111, 'executable').not.toBe(0);

    pair = spawn('bash', ['-c', lines[3]], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const pairing = await pairingLink(pair);
    await approve(page, pairing);

    // install-service writes the systemd user unit for the installed agent; enabling it needs a
    // user session's systemd, which this test machine does not run.
    spawnSync('bash', ['-c', lines[4]], { env, encoding: 'utf8' });
    const configDir = join(home, '.config', 'keytrack-agent');
    const unit = readFileSync(join(home, '.config', 'systemd', 'user', 'keytrack-agent.service'), 'utf8');
    expect(unit).toContain(`ExecStart="${installed}" --config-dir "${configDir}" run\n`);

    // Run as the unit runs it: the typing arrives in the account that approved the code.
    const log = join(home, 'agent.log');
    const out = openSync(log, 'a');
    agent = spawn(installed, ['--config-dir', configDir, 'run', '--flush-secs', '60'], { env, stdio: ['ignore', out, out] });
    await waitFor('the agent to start capturing', () => logOf(log)().includes('capturing on'));
    await new Promise((done) => setTimeout(done, 1_500));
    xdotool(display, 'type', '--delay', '30', 'hello');
    await expectDashboardKeys(page, 5);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await expect(page.locator('[data-widget="devices"] td[data-field="platform"]')).toHaveText(/^Linux · x86_64/);
  } finally {
    if (pair && pair.exitCode === null) pair.kill('SIGKILL');
    if (agent && agent.exitCode === null) agent.kill('SIGKILL');
    display.stop();
    rmSync(home, { recursive: true, force: true });
  }
});

test('Windows: the page\'s agent downloads with its checksum, pairs by code under Wine, and counts Notepad\'s keys', async ({ page, context }) => {
  test.setTimeout(240_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const windowsAgent = join(targetDir, 'x86_64-pc-windows-gnu', 'debug', 'keytrack-agent.exe');
  expect(existsSync(windowsAgent), `${windowsAgent}: scripts/test.sh cross-builds it`).toBe(true);
  const display = await startDisplay();
  const wine = startWine(display);
  const dir = mkdtempSync(join(tmpdir(), 'keytrack-e2e-windows-'));
  try {
    await signUp(page, 'add-windows');
    await openAddComputer(page);
    const origin = new URL(page.url()).origin;
    // The copy of the Linux commands is forgotten when another platform is chosen.
    await page.getByTestId('copy-commands').click();
    await expect(page.getByTestId('copy-status')).toHaveText('Copied to the clipboard.');
    await page.getByRole('button', { name: 'Windows' }).click();
    await expect(page.getByRole('button', { name: 'Windows' })).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByTestId('copy-status')).toHaveText('');
    const commands = page.getByTestId('install-commands');
    await expect(commands).toContainText(`Invoke-WebRequest -Uri "${origin}/downloads/windows-x86_64/keytrack-agent.exe"`);
    const sha = (await page.getByTestId('agent-sha256').textContent()).trim();
    await expect(commands).toContainText(`-Algorithm SHA256).Hash -ne "${sha}"`);
    await expect(commands).toContainText(`pair --server ${origin}`);
    await expect(page.getByTestId('unsigned-note')).toContainText('not signed');

    // What the page links to is the cross-built agent, byte for byte, and its checksum file agrees.
    const href = await page.getByTestId('agent-download').getByRole('link').getAttribute('href');
    const download = await page.request.get(href);
    expect(download.ok()).toBe(true);
    expect(download.headers()['content-disposition']).toBe('attachment; filename="keytrack-agent.exe"');
    const exe = await download.body();
    expect(sha256(exe)).toBe(sha);
    expect(sha).toBe(sha256(readFileSync(windowsAgent)));
    expect(await (await page.request.get(`${href}.sha256`)).text()).toBe(`${sha}  keytrack-agent.exe\n`);
    expect((await page.request.get('/downloads/windows-x86_64/other.exe')).status()).toBe(404);
    writeFileSync(join(dir, 'keytrack-agent.exe'), exe);
    buildProcessPrngShim(dir);

    // Pairing by code, the agent a Windows program under Wine.
    const config = join(dir, 'config');
    const pair = wine.spawn(
      [join(dir, 'keytrack-agent.exe'), '--config-dir', config, 'pair', '--server', origin, '--device-name', 'Wine desktop'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const pairing = await pairingLink(pair);
    await approve(page, pairing, 'Wine desktop');

    // Its hook sees what is typed into a Windows window: Wine's Notepad.
    const log = join(dir, 'agent.log');
    const out = openSync(log, 'a');
    wine.spawn([join(dir, 'keytrack-agent.exe'), '--config-dir', config, 'run', '--flush-secs', '60'], { stdio: ['ignore', out, out] });
    await waitFor('the agent to start capturing', () => logOf(log)().includes('capturing on'), 60_000);
    wine.spawn(['notepad'], { stdio: 'ignore' });
    await bringToFront(wine, display, dir, 'Notepad', 'notepad.exe');
    xdotool(display, 'type', '--delay', '30', 'hello');
    await expectDashboardKeys(page, 5, 30_000);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    const device = page.locator('[data-widget="devices"] tr[data-device-name="Wine desktop"]');
    await expect(device.locator('td[data-field="platform"]')).toHaveText(/^Windows · x86_64/);
    await expect(device.locator('td[data-field="today"]')).toContainText('5 keys');
  } finally {
    wine.stop();
    display.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a wrong pairing code says so in plain words and keeps what was typed', async ({ page }) => {
  await signUp(page, 'wrong-code');
  await page.goto('/pair');
  await page.getByLabel('Code').fill('ABCD-EFGH');
  await page.getByRole('button', { name: 'Continue' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('No pairing waits for this code');
  // Plain text on a page: no Markdown backticks around the command.
  await expect(alert).not.toContainText('`');
  await expect(page.getByLabel('Code')).toHaveValue('ABCD-EFGH');
});

test('with --public-url, every command and link to copy names it, and the loopback warning is gone', async ({ browser }) => {
  const dir = mkdtempSync(join(tmpdir(), 'keytrack-e2e-public-'));
  const publicUrl = 'https://keytrack.example.com';
  const { server, url } = await startServer(join(dir, 'data'), ['--signup', 'open', '--public-url', publicUrl]);
  const context = await browser.newContext({ baseURL: url });
  try {
    const page = await context.newPage();
    await signUp(page, 'public-url');
    await openAddComputer(page);
    const commands = page.getByTestId('install-commands');
    await expect(commands).toContainText(`pair --server ${publicUrl}`);
    await expect(commands).toContainText(`${publicUrl}/downloads/`);
    await expect(commands).not.toContainText('127.0.0.1');
    await expect(page.getByTestId('loopback-warning')).toHaveCount(0);
    // macOS: how to get the agent, and the permissions macOS asks for.
    await page.getByRole('button', { name: 'macOS' }).click();
    await expect(commands).toContainText(`pair --server ${publicUrl}`);
    await expect(page.getByTestId('macos-permissions')).toContainText('Input Monitoring');
    await expect(page.getByTestId('macos-permissions')).toContainText('Accessibility');
    // The devices page's pairing command and a new token's.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await expect(page.getByTestId('pair-this-server')).toHaveText(`keytrack-agent pair --server ${publicUrl}`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Name').fill('script');
    await page.getByRole('button', { name: 'Create token' }).click();
    await expect(page.locator('.new-token')).toContainText(`pair --server ${publicUrl} --token kt_`);
  } finally {
    await context.close();
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
