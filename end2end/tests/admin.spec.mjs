// Issue 36 in the browser, real parts only: the demo account is the site administrator; sign-up by
// invite refuses a stranger and takes an invite link once; an administrator disables a person whose
// dashboard is open in another browser, whose page loses its session and its live stream; and a
// password reset by email through a real SMTP server (aiosmtpd, with STARTTLS), its link followed
// here, after which the new password works and the old one and the link do not.
import { test, expect } from '@playwright/test';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { logInAsDemo } from './demo-login.mjs';
import { freePort, hydrated, signUp, startServer, waitFor } from './desktop.mjs';

const password = 'correct horse battery';

async function setPolicy(page, label) {
  await page.goto('/admin');
  await hydrated(page);
  const form = page.getByTestId('policy-form');
  await form.getByLabel(label).check();
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('[data-widget="admin-policy"]').getByRole('status')).toHaveText('Saved.');
}

test('sign-up by invite refuses a stranger and takes an invite link once', async ({ page, browser }) => {
  await logInAsDemo(page);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' })).toBeVisible();
  await setPolicy(page, /^By invite/);
  const stranger = await browser.newContext();
  const invited = await browser.newContext();
  try {
    const strangerPage = await stranger.newPage();
    await strangerPage.goto('/signup');
    await hydrated(strangerPage);
    await expect(strangerPage.getByTestId('sign-up-note')).toContainText('by invitation');
    await strangerPage.getByLabel('Email').fill(`stranger-${Date.now()}@example.com`);
    await strangerPage.getByLabel('Password').fill(password);
    await strangerPage.getByRole('button', { name: 'Sign up' }).click();
    await expect(strangerPage.getByRole('alert')).toContainText('by invitation');

    // The administrator makes a link; the invited person signs up with it.
    await page.getByTestId('invite-form').getByRole('button', { name: 'Make an invite link' }).click();
    const link = (await page.getByTestId('new-invite').locator('code').textContent()).trim();
    expect(link).toMatch(/\/signup\?invite=kts_[0-9a-f]{64}$/);
    const invitedPage = await invited.newPage();
    await invitedPage.goto(link);
    await hydrated(invitedPage);
    await expect(invitedPage.getByTestId('sign-up-note')).toHaveCount(0);
    await invitedPage.getByLabel('Email').fill(`invited-${Date.now()}@example.com`);
    await invitedPage.getByLabel('Password').fill(password);
    await invitedPage.getByRole('button', { name: 'Sign up' }).click();
    await expect(invitedPage.getByTestId('empty-state')).toBeVisible();

    // The same link again, by someone else: used up.
    await strangerPage.goto(link);
    await hydrated(strangerPage);
    await strangerPage.getByLabel('Email').fill(`second-${Date.now()}@example.com`);
    await strangerPage.getByLabel('Password').fill(password);
    await strangerPage.getByRole('button', { name: 'Sign up' }).click();
    await expect(strangerPage.getByRole('alert')).toContainText('used already');
    await page.reload();
    await hydrated(page);
    await expect(page.locator('tr[data-invite-status="used"]').first()).toBeVisible();
  } finally {
    await setPolicy(page, /^Open/);
    await stranger.close();
    await invited.close();
  }
});

test('a disabled person loses their session and live stream at once, and is back when enabled', async ({ page, browser }) => {
  const other = await browser.newContext();
  try {
    const person = await other.newPage();
    const email = await signUp(person, 'disabled');
    // Their dashboard is live.
    await expect(person.getByTestId('live-badge')).not.toHaveClass(/live-off/);

    await logInAsDemo(page);
    await page.goto('/admin');
    await hydrated(page);
    await page.getByTestId('people-search').fill(email);
    const row = page.locator(`tr[data-person="${email}"]`);
    await expect(row.locator('td[data-role]')).toHaveText(/member/);
    await row.locator('button[data-action="disable"]').click();
    await expect(row.locator('td[data-role]')).toHaveText(/disabled/);

    // The stream ends, and the page finds itself logged out without a reload: the welcome page.
    await expect(person.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Log in' })).toBeVisible();
    await expect(person.getByTestId('who')).toHaveCount(0);
    await person.goto('/login');
    await hydrated(person);
    await person.getByLabel('Email').fill(email);
    await person.getByLabel('Password').fill(password);
    await person.getByRole('button', { name: 'Log in' }).click();
    await expect(person.getByRole('alert')).toContainText('disabled');

    await row.locator('button[data-action="enable"]').click();
    await expect(row.locator('td[data-role]')).toHaveText(/member/);
    await person.getByRole('button', { name: 'Log in' }).click();
    await expect(person.getByTestId('empty-state')).toBeVisible();
  } finally {
    await other.close();
  }
});

test('a password reset by email: the link arrives, works once, and the new password replaces the old', async ({ browser }) => {
  const dir = mkdtempSync(join(tmpdir(), 'keytrack-e2e-mail-'));
  const children = [];
  try {
    // A certificate for localhost (with the subjectAltName rustls wants), signed by a test CA the
    // server is told to trust (SSL_CERT_FILE, which the system's roots are read from).
    spawnSync('sh', ['-c', "printf 'subjectAltName=DNS:localhost\\n' > san.ext"], { cwd: dir });
    const run = (...args) => {
      const done = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      if (done.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${done.stderr}`);
    };
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=KeyTrack test CA');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'smtp.key', '-out', 'smtp.csr', '-subj', '/CN=localhost');
    run('x509', '-req', '-in', 'smtp.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'smtp.pem', '-days', '2', '-extfile', 'san.ext');

    // The real SMTP server: aiosmtpd from the tests' venv (scripts/setup.sh), STARTTLS required,
    // writing what it receives into a Maildir.
    const venv = process.env.KEYTRACK_VENV || join(homedir(), '.cache', 'keytrack', 'venv');
    const smtpPort = await freePort();
    const maildir = join(dir, 'mail');
    const smtp = spawn(join(venv, 'bin', 'python'), [
      '-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtpPort}`, '--tlscert', join(dir, 'smtp.pem'), '--tlskey', join(dir, 'smtp.key'),
      '-c', 'aiosmtpd.handlers.Mailbox', maildir,
    ], { stdio: 'inherit' });
    children.push(smtp);
    await waitFor('the SMTP server to listen', () => spawnSync('bash', ['-c', `</dev/tcp/127.0.0.1/${smtpPort}`]).status === 0);

    // A server of its own that sends reset links through it, at the address it is opened at.
    const smtpArgs = [
      '--smtp-host', 'localhost', '--smtp-port', String(smtpPort), '--smtp-security', 'starttls',
      '--smtp-from', 'KeyTrack <keytrack@example.com>',
    ];
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { server } = await startServer(join(dir, 'data'), ['--signup', 'open', '--public-url', url, ...smtpArgs], {
      ...process.env,
      SSL_CERT_FILE: join(dir, 'ca.pem'),
    }, port);
    children.push(server);

    const context = await browser.newContext({ baseURL: url });
    const page = await context.newPage();
    const email = `forgetful-${Date.now()}@example.com`;
    await page.goto('/signup');
    await hydrated(page);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect(page.getByTestId('empty-state')).toBeVisible();
    await page.getByRole('button', { name: 'Log out' }).click();

    await page.goto('/login');
    await hydrated(page);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByTestId('forgot-form').getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await expect(page.getByTestId('forgot-sent')).toBeVisible();

    const newMail = join(maildir, 'new');
    let message = '';
    await waitFor('the reset email', () => {
      if (!existsSync(newMail)) return false;
      const files = readdirSync(newMail);
      if (files.length === 0) return false;
      message = readFileSync(join(newMail, files[0]), 'utf8');
      return true;
    }, 30_000);
    expect(message).toContain(`To: ${email}`);
    // Quoted-printable soft line breaks, if any, joined first.
    const body = message.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    const link = body.match(/http:\/\/127\.0\.0\.1:\d+\/reset\?token=ktr_[0-9a-f]{64}/)?.[0];
    expect(link, message).toBeTruthy();

    await page.goto(link);
    await hydrated(page);
    const newPassword = 'a brand new passphrase';
    await page.getByLabel('New password').fill(newPassword);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await expect(page.getByTestId('empty-state')).toBeVisible();
    await page.getByRole('button', { name: 'Log out' }).click();

    // The old password no longer works, the new one does; the link is used up.
    await page.goto('/login');
    await hydrated(page);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');
    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByTestId('empty-state')).toBeVisible();
    await page.goto(link);
    await hydrated(page);
    await page.getByLabel('New password').fill('yet another passphrase');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await expect(page.getByRole('alert')).toContainText('used already');
    await context.close();
  } finally {
    for (const child of children) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
