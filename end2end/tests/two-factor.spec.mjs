// Issue 37's two-factor sign-in in the browser: a new account sets it up on its profile, typing the
// code an authenticator app would compute from the secret shown (RFC 6238, computed here), sees its
// recovery codes once, then logs in with the password and a code, and with a recovery code; a
// wrong code keeps the page and says so. On a server of its own, an administrator requires it:
// a person without it sets it up before anything else, and after the administrator's reset logs
// in with the password alone and is sent to set it up again.
import { test, expect } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seriousProblems } from './axe.mjs';
import { hydrated, signUp, startServer } from './desktop.mjs';

// axe-core checks the setup and the code page (the server's CSP allows only its own scripts).
test.use({ bypassCSP: true });

const password = 'correct horse battery';

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const bytes = [];
  for (const letter of text.replace(/=+$/, '').toUpperCase()) {
    const index = alphabet.indexOf(letter);
    if (index < 0) throw new Error(`not base32: ${letter}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

// What an authenticator app shows at the time step `step` (HMAC-SHA1, 6 digits).
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const number = (digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / 30_000);

async function logInWithPassword(page, email) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/login\/code$/);
  await hydrated(page);
}

async function logOut(page) {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);
}

test('two-factor sign-in is set up on the profile and asked for at login, with recovery codes', async ({ page }) => {
  const email = await signUp(page, 'second-factor');
  await page.goto('/profile');
  await hydrated(page);
  const card = page.locator('[data-widget="two-factor"]');
  await expect(card.getByTestId('two-factor-off-note')).toContainText('Off.');
  await card.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  await expect(card.getByTestId('two-factor-setup').locator('.qr svg')).toBeVisible();
  const secret = (await card.getByTestId('two-factor-secret').textContent()).trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  expect(await seriousProblems(page)).toEqual([]);

  // A wrong code leaves it off and says why; the app's code turns it on.
  const confirm = card.getByTestId('two-factor-confirm');
  await confirm.getByRole('textbox').fill('000000');
  await confirm.getByRole('button', { name: 'Turn on' }).click();
  await expect(card.getByRole('alert')).toContainText('not the app');
  const setupStep = stepNow();
  await confirm.getByRole('textbox').fill(totp(secret, setupStep));
  await confirm.getByRole('button', { name: 'Turn on' }).click();
  await expect(card.getByTestId('two-factor-on')).toContainText('10 of 10 recovery codes left');
  const codes = (await card.getByTestId('recovery-codes').locator('li code').allTextContents()).map((c) => c.trim());
  expect(codes).toHaveLength(10);
  for (const code of codes) expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
  // Shown once: a reload shows the state, not the codes or the secret.
  await page.reload();
  await hydrated(page);
  await expect(card.getByTestId('two-factor-on')).toBeVisible();
  await expect(card.getByTestId('recovery-codes')).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);

  // The password alone: the code page, and a wrong code keeps it.
  await logOut(page);
  await logInWithPassword(page, email);
  const form = page.getByTestId('code-form');
  expect(await seriousProblems(page)).toEqual([]);
  await form.getByLabel('Code').fill('123456');
  await form.getByRole('button', { name: 'Log in' }).click();
  await expect(form.getByRole('alert')).toContainText('not right');
  await expect(page).toHaveURL(/\/login\/code$/);
  // The next step's code (the one setup took cannot be taken again): the dashboard.
  await form.getByLabel('Code').fill(totp(secret, Math.max(stepNow(), setupStep) + 1));
  await form.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('empty-state')).toBeVisible();

  // A recovery code, typed as read from paper: logged in, and one fewer left.
  await logOut(page);
  await logInWithPassword(page, email);
  await form.getByLabel('Code').fill(codes[0].toUpperCase().replaceAll('-', ' '));
  await form.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('empty-state')).toBeVisible();
  await page.goto('/profile');
  await hydrated(page);
  await expect(card.getByTestId('two-factor-on')).toContainText('9 of 10 recovery codes left');

  // Turned off with the password: the next login asks for no code.
  const off = card.getByTestId('two-factor-off');
  await off.getByLabel('Password').fill(password);
  await off.getByRole('button', { name: 'Turn off' }).click();
  await expect(card.getByTestId('two-factor-off-note')).toContainText('Off.');
  await logOut(page);
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('empty-state')).toBeVisible();
});

async function setUpOnCard(page, card) {
  await card.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  const secret = (await card.getByTestId('two-factor-secret').textContent()).trim();
  const confirm = card.getByTestId('two-factor-confirm');
  await confirm.getByRole('textbox').fill(totp(secret, stepNow()));
  await confirm.getByRole('button', { name: 'Turn on' }).click();
  await expect(card.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
  const codes = await card.getByTestId('recovery-codes').locator('li code').allTextContents();
  return [secret, ...codes.map((code) => code.trim())];
}

test('an administrator requires two-factor sign-in of everyone, and resets a lost one', async ({ browser }) => {
  // A server of its own: the policy is the whole server's, and the other tests' demo account must
  // not be asked for a code.
  const data = mkdtempSync(join(tmpdir(), 'keytrack-e2e-2fa-'));
  // Everything the server logs, at its most detailed, to search for the secrets afterwards.
  const { server, url, logged } = await startServer(data, ['--signup', 'open'], { ...process.env, KEYTRACK_LOG: 'debug' });
  const secrets = [];
  const adminContext = await browser.newContext({ baseURL: url });
  const personContext = await browser.newContext({ baseURL: url });
  try {
    const admin = await adminContext.newPage();
    await signUp(admin, 'site-admin');
    await admin.goto('/admin');
    await hydrated(admin);
    const policy = admin.locator('[data-widget="admin-two-factor"]');
    await expect(policy.getByTestId('two-factor-required')).toContainText('Optional');
    await policy.getByRole('button', { name: 'Require it of everyone' }).click();
    await expect(policy.getByTestId('two-factor-required')).toContainText('Required of every password account');

    // A new person: the setup comes before the dashboard, then "go on" opens it.
    const person = await personContext.newPage();
    const email = `${'asked'}-${Date.now()}@example.com`;
    await person.goto('/signup');
    await hydrated(person);
    await person.getByLabel('Email').fill(email);
    await person.getByLabel('Password').fill(password);
    await person.getByRole('button', { name: 'Sign up' }).click();
    const card = person.locator('[data-widget="two-factor"]');
    await expect(card.getByRole('heading', { name: 'Set up two-factor sign-in first' })).toBeVisible();
    await expect(person.getByTestId('empty-state')).toHaveCount(0);
    secrets.push(...(await setUpOnCard(person, card)));
    await person.getByRole('button', { name: 'I have saved them: go on' }).click();
    await expect(person.getByTestId('empty-state')).toBeVisible();
    // Required: the profile offers no way to turn it off.
    await person.goto('/profile');
    await hydrated(person);
    await expect(card.getByTestId('two-factor-on')).toBeVisible();
    await expect(card.getByTestId('two-factor-off')).toHaveCount(0);

    // A lost phone: the administrator resets it; the person logs in with the password alone and
    // is sent to set it up again.
    // The administrator has a password account too: asked first, at the next page.
    await admin.goto('/admin');
    await hydrated(admin);
    const adminCard = admin.locator('[data-widget="two-factor"]');
    await expect(adminCard.getByRole('heading', { name: 'Set up two-factor sign-in first' })).toBeVisible();
    secrets.push(...(await setUpOnCard(admin, adminCard)));
    await admin.getByRole('button', { name: 'I have saved them: go on' }).click();
    await expect(admin.locator('[data-widget="admin-two-factor"]')).toBeVisible();
    const row = admin.locator(`tr[data-person="${email}"]`);
    await expect(row.locator('[data-two-factor="on"]')).toBeVisible();
    await row.locator('[data-action="reset-two-factor"]').click();
    await expect(row.locator('[data-two-factor="on"]')).toHaveCount(0);
    await person.getByRole('button', { name: 'Log out' }).click();
    await expect(person).toHaveURL(/\/login/);
    await person.goto('/login');
    await hydrated(person);
    await person.getByLabel('Email').fill(email);
    await person.getByLabel('Password').fill(password);
    await person.getByRole('button', { name: 'Log in' }).click();
    await expect(card.getByRole('heading', { name: 'Set up two-factor sign-in first' })).toBeVisible();
    await expect(person).not.toHaveURL(/\/login\/code/);
    // No secret or recovery code was logged, in any form.
    expect(secrets).toHaveLength(22);
    const log = logged.text;
    expect(log).toContain('two_factor'); // the statements that stored them were logged
    for (const secret of secrets) {
      for (const form of [secret, secret.replaceAll('-', ''), secret.toUpperCase()]) expect(log).not.toContain(form);
    }
  } finally {
    await adminContext.close();
    await personContext.close();
    server.kill();
    rmSync(data, { recursive: true, force: true });
  }
});
