// Issue 37's single sign-on in the browser, against a real OpenID provider: panva's
// oidc-provider (from the npm registry) on a loopback port, with KeyTrack registered as a client
// (PKCE required) and its development login and consent pages, which the test fills in. The
// provider signs with a key this test holds, so that it can also hand out ID tokens the provider
// would never make (another audience, expired, a wrong nonce, another key's signature): each is
// refused with a clear page and stores nothing. A tampered `state` is refused the same way; a
// stranger's domain is refused under the invite policy, and let in by an invite carried through
// the flow; a password account is linked through a verified address; the administrator role
// follows a group claim. Then `--password-login off`: the button alone, and the command line's
// reset link as the way back in. The server logs at debug level and its log never holds the
// client secret or any token.
import { test, expect } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import { freePort, hydrated, serverBinary, startServer } from './desktop.mjs';

test.describe.configure({ mode: 'serial' });

const clientSecret = 'sso-test-client-secret-4b1d9a7e2c';
const password = 'correct horse battery';
const kid = 'keytrack-test-key';

// The provider's people: the login typed on its login page is the account id.
const people = {
  ada: { email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace', groups: ['keytrack-admins'] },
  bob: { email: 'bob@example.com', email_verified: true, name: 'Bob Password' },
  dave: { email: 'dave@example.com', email_verified: true, name: 'Dave Tokens' },
  eve: { email: 'eve@elsewhere.org', email_verified: true, name: 'Eve Stranger' },
  frank: { email: 'frank@elsewhere.org', email_verified: true, name: 'Frank Invited' },
  mallory: { email: 'root@example.net', email_verified: false, name: 'Not Root' },
};

// What the provider's way back (`state`) or its token endpoint's ID token becomes, when a test
// says so.
const tamper = { mode: null };

let provider;
let providerServer;
let keytrack;
let data;
let adminToken;
let keytrackPort;
let issuer;
let privateKey;
let otherKey;

function cli(...args) {
  const input = args[0] === 'user' && args[1] === 'add' ? `${password}\n` : undefined;
  const run = spawnSync(serverBinary, ['--data-dir', data, ...args], { input, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`keytrack ${args.join(' ')}: ${run.stderr}`);
  return run.stdout.trim();
}

async function api(path, init = {}) {
  const response = await fetch(`${keytrack.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', ...init.headers },
  });
  expect(response.ok, `${path}: ${response.status}`).toBe(true);
  return response.json();
}

const peopleOnServer = async () => (await api('/api/v1/admin/users')).people;

async function startKeytrack(...extra) {
  const args = [
    '--public-url', `http://127.0.0.1:${keytrackPort}`,
    '--oidc-issuer', issuer,
    '--oidc-client-id', 'keytrack',
    '--oidc-client-secret', clientSecret,
    '--oidc-name', 'Test ID',
    '--oidc-allowed-domains', 'example.com',
    '--oidc-admin-group', 'keytrack-admins',
    '--signup', 'invite',
    ...extra,
  ];
  return startServer(data, args, { ...process.env, KEYTRACK_LOG: 'debug,sqlx=warn' }, keytrackPort);
}

test.beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), 'keytrack-sso-'));
  cli('user', 'add', '--email', 'root@example.net', '--admin');
  cli('user', 'add', '--email', 'bob@example.com');
  adminToken = cli('token', 'create', '--email', 'root@example.net', '--name', 'sso test');

  ({ privateKey } = await generateKeyPair('RS256', { extractable: true }));
  ({ privateKey: otherKey } = await generateKeyPair('RS256', { extractable: true }));
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  keytrackPort = await freePort();
  const providerPort = await freePort();
  issuer = `http://127.0.0.1:${providerPort}`;
  provider = new Provider(issuer, {
    clients: [{
      client_id: 'keytrack',
      client_secret: clientSecret,
      redirect_uris: [`http://127.0.0.1:${keytrackPort}/auth/sso/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    pkce: { methods: ['S256'], required: () => true },
    jwks: { keys: [jwk] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    findAccount: (ctx, id) => people[id] && { accountId: id, claims: () => ({ sub: id, ...people[id] }) },
    features: { devInteractions: { enabled: true } },
  });
  // The test's own ID tokens: the provider's, with one claim changed, signed again.
  provider.use(async (ctx, next) => {
    await next();
    // An attacker's change of the way back: another state than the sign-in's.
    const location = ctx.response.get('location');
    if (tamper.mode === 'state' && location.startsWith(`http://127.0.0.1:${keytrackPort}/auth/sso/callback`)) {
      const changed = new URL(location);
      changed.searchParams.set('state', 'tampered-state');
      ctx.set('location', changed.toString());
    }
    if (ctx.path !== '/token' || !tamper.mode || !ctx.body?.id_token) return;
    const claims = decodeJwt(ctx.body.id_token);
    const now = Math.floor(Date.now() / 1000);
    let key = privateKey;
    if (tamper.mode === 'audience') claims.aud = 'another-client';
    if (tamper.mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 60 });
    if (tamper.mode === 'nonce') claims.nonce = 'not-the-nonce-of-this-sign-in';
    if (tamper.mode === 'signature') key = otherKey;
    ctx.body.id_token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
  });
  await new Promise((done) => { providerServer = provider.listen(providerPort, '127.0.0.1', done); });
  keytrack = await startKeytrack();
});

test.afterAll(async () => {
  keytrack?.server.kill();
  providerServer?.close();
  if (data) rmSync(data, { recursive: true, force: true });
});

/// Clicks "Sign in with Test ID" on `page` (at KeyTrack's login or sign-up page) and, at the
/// provider, signs in as `login` and consents when asked; resolves back at KeyTrack.
async function signInWithProvider(page, login) {
  await hydrated(page);
  await page.getByTestId('sso-button').click();
  for (let step = 0; step < 4; step += 1) {
    await page.waitForURL((url) => url.origin === keytrack.url || url.pathname.startsWith('/interaction/'));
    if (new URL(page.url()).origin === keytrack.url) return;
    const loginField = page.locator('input[name=login]');
    if (await loginField.count()) {
      await loginField.fill(login);
      await page.locator('input[name=password]').fill('anything');
      await page.getByRole('button', { name: 'Sign-in' }).click();
    } else {
      await page.getByRole('button', { name: 'Continue' }).click();
    }
    await page.waitForLoadState();
  }
  throw new Error('the provider did not send the browser back');
}

/// A page of a browser of its own: no cookies at KeyTrack or at the provider (whose session
/// would otherwise sign in the last person again).
async function freshPage(browser) {
  return (await browser.newContext()).newPage();
}

async function expectRefused(page, words) {
  await expect(page).toHaveURL(/\/login\?sso=refused$/);
  await expect(page.getByTestId('sso-refusal')).toContainText(words);
}

test('a first sign-in makes the account, a second signs in to it, and the role follows the group', async ({ page }) => {
  await page.goto(`${keytrack.url}/login?next=%2Fdevices`);
  await expect(page.getByTestId('sso-button')).toHaveText('Sign in with Test ID');
  await expect(page.getByTestId('login-form')).toBeVisible();
  await signInWithProvider(page, 'ada');
  // On to the page asked for, logged in as the provider's Ada.
  await expect(page).toHaveURL(`${keytrack.url}/devices`);
  await page.goto(`${keytrack.url}/profile`);
  await expect(page.locator('input[name=display_name]')).toHaveValue('Ada Lovelace');
  let ada = (await peopleOnServer()).find((p) => p.email === 'ada@example.com');
  expect(ada.admin).toBe(true);
  // Logged out, and in again: the same account.
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signInWithProvider(page, 'ada');
  await expect(page).toHaveURL(`${keytrack.url}/`);
  const everyone = await peopleOnServer();
  expect(everyone.map((p) => p.email).sort()).toEqual(['ada@example.com', 'bob@example.com', 'root@example.net']);
  ada = everyone.find((p) => p.email === 'ada@example.com');
  expect(ada.last_login_at).not.toBeNull();
});

test("a stranger's domain is refused, and let in by an invite carried through the sign-in", async ({ browser }) => {
  let page = await freshPage(browser);
  await page.goto(`${keytrack.url}/login`);
  await signInWithProvider(page, 'eve');
  await expectRefused(page, 'makes accounts by invitation');
  // Said once: the page again says nothing.
  await page.reload();
  await expect(page.getByTestId('sso-button')).toBeVisible();
  await expect(page.getByTestId('sso-refusal')).toHaveCount(0);
  expect((await peopleOnServer()).some((p) => p.email.endsWith('@elsewhere.org'))).toBe(false);

  const invite = await api('/api/v1/admin/invites', { method: 'POST', body: JSON.stringify({ valid_days: 1 }) });
  page = await freshPage(browser);
  await page.goto(`${keytrack.url}/signup?invite=${encodeURIComponent(invite.code)}`);
  await signInWithProvider(page, 'frank');
  await expect(page).toHaveURL(`${keytrack.url}/`);
  const invites = await api('/api/v1/admin/invites');
  expect(invites.find((i) => i.status === 'used')).toBeTruthy();
  expect((await peopleOnServer()).map((p) => p.email)).toContain('frank@elsewhere.org');
});

test('a password account is linked through a verified address only', async ({ browser }) => {
  let page = await freshPage(browser);
  await page.goto(`${keytrack.url}/login`);
  await signInWithProvider(page, 'mallory');
  await expectRefused(page, 'does not say the address is verified');
  page = await freshPage(browser);
  await page.goto(`${keytrack.url}/login`);
  await signInWithProvider(page, 'bob');
  await expect(page).toHaveURL(`${keytrack.url}/`);
  const audit = await api('/api/v1/admin/audit?action=sso_linked');
  const links = audit.events ?? audit;
  expect(links.map((e) => e.detail)).toEqual([`${issuer}, through the verified address bob@example.com`]);
});

test('a tampered state and ID tokens the provider would not make are refused, storing nothing', async ({ browser }) => {
  const before = (await peopleOnServer()).length;
  const fresh = () => freshPage(browser);

  tamper.mode = 'state';
  const page = await fresh();
  await page.goto(`${keytrack.url}/login`);
  await signInWithProvider(page, 'dave');
  await expectRefused(page, 'sign in again');
  await page.context().close();

  for (const mode of ['audience', 'expired', 'nonce', 'signature']) {
    tamper.mode = mode;
    const page = await fresh();
    await page.goto(`${keytrack.url}/login`);
    await signInWithProvider(page, 'dave');
    await expectRefused(page, "did not pass KeyTrack's checks");
    await page.context().close();
  }
  tamper.mode = null;
  expect((await peopleOnServer()).length).toBe(before);
  expect(keytrack.logged.text).toContain('the ID token did not pass');

  // The same person with the provider's own token: in.
  const dave = await fresh();
  await dave.goto(`${keytrack.url}/login`);
  await signInWithProvider(dave, 'dave');
  await expect(dave).toHaveURL(`${keytrack.url}/`);
  expect((await peopleOnServer()).length).toBe(before + 1);
  await dave.context().close();
});

test('with password login off the button is the way in, and the command line reset link the way back', async ({ page }) => {
  expect(keytrack.logged.text).not.toContain(clientSecret);
  keytrack.server.kill();
  await new Promise((done) => keytrack.server.once('exit', done));
  keytrack = await startKeytrack('--password-login', 'off');
  await page.goto(`${keytrack.url}/login`);
  await expect(page.getByTestId('sso-button')).toBeVisible();
  await expect(page.getByTestId('login-form')).toHaveCount(0);
  await page.goto(`${keytrack.url}/signup`);
  await expect(page.getByTestId('sso-button')).toBeVisible();
  await expect(page.getByTestId('signup-form')).toHaveCount(0);

  // The break-glass path: a reset link made on the server's command line logs the admin in.
  const link = cli('user', 'reset-link', '--email', 'root@example.net');
  await page.goto(`${keytrack.url}${link}`);
  await hydrated(page);
  await page.getByLabel('New password').fill('a brand new password 2026');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page).toHaveURL(`${keytrack.url}/`);
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
  expect(keytrack.logged.text).not.toContain(clientSecret);
  // Nor any token of the provider's (a JWT starts its two first parts with `eyJ`).
  expect(keytrack.logged.text).not.toMatch(/eyJ[\w-]+\.eyJ/);
});
