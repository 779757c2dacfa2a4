// Logging in as the demo account, once the page has hydrated (a click before that would be lost).
import { expect } from '@playwright/test';

export async function logInAsDemo(page) {
  await page.goto('/login');
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('.wasm')));
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Email').fill('demo@keytrack.local');
  await page.getByLabel('Password').fill('keytrack-demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('who')).toHaveText('Demo User');
}
