// Sign up -> log out -> log in -> create a token -> see it listed -> revoke it, clicking through the
// hydrated UI and checking that each click changes the page.
import { test, expect } from '@playwright/test';

test('a new user signs up, logs in, creates a token and revokes it', async ({ page }) => {
  const email = `ada-${Date.now()}@example.com`;
  const password = 'correct horse battery';
  const hydrated = async () => {
    // Leptos removes nothing visible when it hydrates; wait until its wasm has loaded and run.
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('.wasm')));
    await page.waitForLoadState('networkidle');
  };

  await page.goto('/signup');
  await hydrated();
  // The time zone comes from the browser (set to Paris in the config) once the page is hydrated.
  await expect(page.locator('input[name="timezone"]')).toHaveValue('Europe/Paris');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Sign up' }).click();
  // The browser's own minlength check or the server's rule: either way no account and a clear error.
  await page.getByLabel('Password').fill('aaaaaaaaaaaa');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('alert')).toContainText('too easy to guess: repeats like "aaa" are easy to guess.');
  // A common password, long enough, is no better.
  await page.getByLabel('Password').fill('password1234');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('alert')).toContainText('too easy to guess');

  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('who')).toHaveText(email.split('@')[0]);
  await expect(page.getByTestId('empty-state')).toContainText('No activity yet');
  // The empty dashboard: a button to add a computer, and no Export menu while there is nothing to export.
  await expect(page.getByTestId('empty-state').getByRole('link', { name: 'Add a computer' })).toHaveClass(/\bbutton\b/);
  await expect(page.getByTestId('export-menu')).toBeHidden();

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign up' })).toBeVisible();

  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');

  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('who')).toBeVisible();

  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'API tokens' }).click();
  await expect(page).toHaveURL(/\/tokens$/);
  await expect(page.getByTestId('no-tokens')).toBeVisible();
  await page.getByLabel('Name').fill('Work laptop');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = page.getByTestId('new-token');
  await expect(token).toHaveText(/^kt_[0-9a-f]{64}$/);
  const row = page.locator('tr[data-token-name="Work laptop"]');
  await expect(row).toContainText('active');
  await expect(row).toContainText('never');

  // The token works against the API, and stops working once revoked.
  const secret = (await token.textContent()).trim();
  const me = await page.request.get('/api/v1/me', { headers: { Authorization: `Bearer ${secret}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).email).toBe(email);

  await row.getByRole('button', { name: 'Revoke Work laptop' }).click();
  await expect(row.locator('.status')).toContainText('revoked');
  await expect(row.getByRole('button')).toHaveCount(0);
  const after = await page.request.get('/api/v1/me', { headers: { Authorization: `Bearer ${secret}` } });
  expect(after.status()).toBe(401);

  // The profile form saves, and keeps the browser's time zone chosen at sign-up.
  await nav.getByRole('link', { name: 'Profile' }).click();
  await page.getByLabel('Display name').fill('Ada L.');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  // The header says the new name at once, and the form is the same one (still saying "Saved.").
  await expect(page.getByTestId('who')).toHaveText('Ada L.');
  await expect(page.getByText('Saved.')).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Display name')).toHaveValue('Ada L.');
  await expect(page.getByLabel('Time zone')).toHaveValue('Europe/Paris');

  // Every time is written in the person's zone, the one on the profile (not the browser's, not
  // UTC): the token list as the server writes it and as the hydrated page shows it.
  await page.getByLabel('Time zone').selectOption('Asia/Tokyo');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  const served = await (await page.request.get('/tokens')).text();
  const createdAt = served.match(/<td>(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) ([A-Z+\-0-9]+)(?:<!>)*<\/td>/);
  expect(createdAt, 'the token list as served names a time').not.toBeNull();
  expect(createdAt[2]).toBe('JST');
  // Made in this test, so within a few minutes of now, in Tokyo's time.
  const minutesAgo = (Date.now() - Date.parse(`${createdAt[1].replace(' ', 'T')}:00+09:00`)) / 60000;
  expect(minutesAgo).toBeGreaterThanOrEqual(-1);
  expect(minutesAgo).toBeLessThan(15);
  expect(served).not.toMatch(/\d{2}:\d{2} UTC/);
  await nav.getByRole('link', { name: 'API tokens' }).click();
  const listed = page.locator('tr[data-token-name="Work laptop"]');
  await expect(listed).toContainText(`${createdAt[1]} JST`);
  await expect(listed.locator('.status')).toContainText(/revoked \d{4}-\d{2}-\d{2} \d{2}:\d{2} JST/);
  await expect(listed).not.toContainText('UTC');
});
