// Starts the real server (the debug build that `cargo leptos build` made) on a free port with a
// fresh data dir, and stops it by its PID when the tests end.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export default async function globalSetup() {
  const root = resolve(import.meta.dirname, '..');
  const targetDir = process.env.CARGO_TARGET_DIR || join(root, 'target');
  const binary = process.env.KEYTRACK_BIN || join(targetDir, 'debug', 'keytrack');
  const dataDir = mkdtempSync(join(tmpdir(), 'keytrack-e2e-'));
  // The demo account, as a newcomer meets it (scripts/run.sh makes the same one).
  const demo = spawnSync(binary, ['demo', '--data-dir', dataDir], { cwd: root, encoding: 'utf8' });
  if (demo.status !== 0) throw new Error(`keytrack demo failed: ${demo.stderr}`);
  // Sign-up open, as the tests sign people up (admin.spec turns it to invite-only and back).
  const server = spawn(binary, ['serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir, '--signup', 'open'], {
    cwd: root,
    env: { ...process.env, LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT || join(targetDir, 'site') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not print its address in 30 s')), 30_000);
    server.on('exit', (code) => reject(new Error(`the server exited early with code ${code}`)));
    let seen = '';
    server.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = seen.match(/listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
  });
  process.env.KEYTRACK_URL = url;
  process.env.KEYTRACK_DATA_DIR = dataDir;
  return async () => {
    server.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  };
}
