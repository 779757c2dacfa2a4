// The parts of a desktop the browser tests drive: a private Xvfb display, xdotool on it, Wine, the
// real binaries the build made (server, agent), and the browser's side of signing up and pairing.
import { spawn, spawnSync } from 'node:child_process';
import { expect } from '@playwright/test';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
export const targetDir = process.env.CARGO_TARGET_DIR || join(root, 'target');
export const agentBinary = process.env.KEYTRACK_AGENT_BIN || join(targetDir, 'debug', 'keytrack-agent');
export const serverBinary = process.env.KEYTRACK_BIN || join(targetDir, 'debug', 'keytrack');

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/// A free loopback port.
export async function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
    probe.on('error', fail);
  });
}

/// A server of the test's own on a loopback port (`port`, or a free one), serving the built site,
/// with `args` after `serve --addr ... --data-dir DATA`; resolves once it listens, with its process,
/// address and what it has logged so far (`logged.text`, growing; also shown as the tests run).
export async function startServer(data, args, env = process.env, chosenPort = undefined) {
  const port = chosenPort ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const server = spawn(serverBinary, ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', data, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logged = { text: '' };
  server.stderr.on('data', (chunk) => {
    logged.text += chunk;
    process.stderr.write(chunk);
  });
  await new Promise((done, fail) => {
    let seen = '';
    server.stdout.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes('listening on')) done();
    });
    server.on('exit', (code) => fail(new Error(`the server exited with ${code}`)));
  });
  return { server, url, logged };
}

export async function waitFor(what, check, ms = 15_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/// The process whose lock holds display `n`, if any.
function displayOwner(n) {
  const lock = `/tmp/.X${n}-lock`;
  if (!existsSync(lock)) return null;
  const pid = Number(readFileSync(lock, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/// Whether a live X server holds display `n`; the lock and socket a killed one left are removed.
function displayTaken(n) {
  const owner = displayOwner(n);
  if (owner !== null && existsSync(`/proc/${owner}`)) return true;
  rmSync(`/tmp/.X${n}-lock`, { force: true });
  rmSync(`/tmp/.X11-unix/X${n}`, { force: true });
  return false;
}

/// A private X server, on a display number no other test uses.
export async function startDisplay() {
  for (let n = 600 + (process.pid % 100) * 3; ; n++) {
    if (displayTaken(n)) continue;
    const xvfb = spawn('Xvfb', [`:${n}`, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    try {
      await waitFor('Xvfb', () => existsSync(`/tmp/.X11-unix/X${n}`) && displayOwner(n) === xvfb.pid, 10_000);
      await sleep(300);
      // SIGTERM: Xvfb removes its lock and socket on the way out.
      if (xvfb.exitCode === null) return { name: `:${n}`, stop: () => xvfb.kill('SIGTERM') };
    } catch {
      xvfb.kill('SIGKILL');
    }
  }
}

export function xdotool(display, ...args) {
  const run = spawnSync('xdotool', args, { env: { ...process.env, DISPLAY: display.name }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`xdotool ${args.join(' ')}: ${run.stderr}`);
}

export async function hydrated(page) {
  await page.waitForFunction(() => document.documentElement.hasAttribute('data-hydrated'));
}

const password = 'correct horse battery';

/// Signs up a new account named after `name` in the browser; its email.
export async function signUp(page, name) {
  const email = `${name}-${Date.now()}@example.com`;
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('empty-state')).toBeVisible();
  return email;
}

/// Collects what a pairing process prints; resolves with the link and code once printed.
export async function pairingLink(child) {
  const seen = { text: '' };
  child.stdout.on('data', (chunk) => { seen.text += chunk; });
  child.stderr.on('data', (chunk) => { seen.text += chunk; });
  const exited = new Promise((done) => child.on('exit', (code) => done(code)));
  await waitFor('the agent to print its pairing link', () => /\/pair\?code=[A-Z]{4}-[A-Z]{4}/.test(seen.text), 90_000);
  const [, link, code] = seen.text.match(/(http\S+\/pair\?code=([A-Z]{4}-[A-Z]{4}))/);
  return { link, code, exited, printed: () => seen.text };
}

/// Approves a pairing code in the browser (checking the device's name when given) and waits for
/// the agent's `pair` to end well.
export async function approve(page, pairing, deviceName) {
  await page.goto(pairing.link);
  await hydrated(page);
  if (deviceName) await expect(page.getByTestId('pairing-device')).toHaveText(deviceName);
  await expect(page.getByTestId('pairing-code')).toHaveText(pairing.code);
  await page.getByTestId('pairing-approve').click();
  await expect(page.getByTestId('pairing-decision')).toContainText('Approved');
  expect(await pairing.exited, pairing.printed()).toBe(0);
}

/// The SHA-256 of a file's bytes, in hex.
export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/// Debian's Wine 8 cannot start a Windows program built by Rust 1.95 on its own: std imports
/// `ProcessPrng` from bcryptprimitives.dll, which that Wine lacks. The test fixture in
/// agent/tests/fixtures/wine is that one function; built with MinGW into `dir`, beside the .exe.
export function buildProcessPrngShim(dir) {
  const fixture = join(root, 'agent', 'tests', 'fixtures', 'wine');
  const build = spawnSync(
    'x86_64-w64-mingw32-gcc',
    ['-shared', '-O2', '-o', join(dir, 'bcryptprimitives.dll'),
      join(fixture, 'bcryptprimitives.c'), join(fixture, 'bcryptprimitives.def'), '-lbcrypt'],
    { encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`building the ProcessPrng shim: ${build.stderr}`);
}

/// Wine hands typed keys to the window it has in front, which follows X's focus only once Wine has
/// processed it (late on a busy machine, with no window manager on Xvfb). Focuses the Wine window
/// whose title holds `title` until Wine has `program` (e.g. `notepad.exe`) in front, as the
/// fixture foreground.exe (built with MinGW into `dir`) reports.
export async function bringToFront(wine, display, dir, title, program) {
  const helper = join(dir, 'foreground.exe');
  if (!existsSync(helper)) {
    const fixture = join(root, 'agent', 'tests', 'fixtures', 'wine', 'foreground.c');
    const build = spawnSync('x86_64-w64-mingw32-gcc', ['-O2', '-o', helper, fixture], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`building foreground.exe: ${build.stderr}`);
  }
  const env = { ...process.env, DISPLAY: display.name };
  let inFront = '';
  const check = () => {
    const found = spawnSync('xdotool', ['search', '--onlyvisible', '--name', title], { env, encoding: 'utf8' });
    const window = found.stdout.trim().split('\n').filter(Boolean).pop();
    if (!window) return false;
    // A window that is not mapped yet refuses the focus (BadMatch): the next round tries again.
    spawnSync('xdotool', ['windowfocus', '--sync', window], { env, encoding: 'utf8', timeout: 5_000 });
    inFront = spawnSync('/usr/lib/wine/wine64', [helper], { env: wine.env, encoding: 'utf8' }).stdout.trim().toLowerCase();
    return inFront.endsWith(`\\${program}`);
  };
  await waitFor(`Wine to have ${program} in front`, check, 60_000).catch((error) => {
    throw new Error(`${error.message}; it has ${inFront || 'nothing'}`);
  });
}

/// A Wine prefix of its own on `display`: `spawn` runs a Windows program in it (64-bit loader),
/// `stop` ends every process of the prefix.
export function startWine(display) {
  const prefix = mkdtempSync(join(tmpdir(), 'keytrack-e2e-wine-'));
  const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', DISPLAY: display.name, WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  const children = [];
  return {
    env,
    spawn(args, options = {}) {
      const child = spawn('/usr/lib/wine/wine64', args, { env, ...options });
      children.push(child);
      return child;
    },
    stop() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      spawnSync('wineserver', ['-k'], { env });
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
