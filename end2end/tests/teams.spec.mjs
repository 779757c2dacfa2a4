// Teams with consent: an owner creates a team and an invite link; two people join through it (one
// of them signing up from the link), all three upload activity through the API, the dashboard
// compares the members who share; when one withdraws, that hour no longer has three members who
// can be counted, so the team sees no totals, and the two who still share.
import { test, expect } from '@playwright/test';

const password = 'correct horse battery';

/// Waits until the page's wasm has loaded and run (hydration changes nothing visible).
async function hydrated(page) {
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('.wasm')));
  await page.waitForLoadState('networkidle');
}

async function signUp(page, email) {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('who')).toBeVisible();
}

/// Uploads a minute of `keys` presses ten minutes ago, as an agent would, with the page's session.
async function upload(page, device, keys) {
  const minute = Math.floor(Date.now() / 60_000) * 60 - 600;
  const batch = {
    device: { id: device, name: device },
    format: 2,
    minutes: [{ minute, utc_offset: 60, presses: keys, clicks: { left: 2, right: 0, middle: 0, other: 0 }, active_seconds: 40 }],
  };
  // A request with the session cookie comes from this site (as a page's would).
  const reply = await page.request.post('/api/v1/activity', { data: batch, headers: { Origin: new URL(page.url()).origin } });
  expect(reply.status()).toBe(200);
}

/// The names in the member table, top row first.
async function memberOrder(page) {
  return page.getByTestId('member-table').locator('tbody th').allTextContents();
}

test('an owner invites two people; the team compares those who share, and no totals once one withdraws', async ({ browser }) => {
  const stamp = Date.now();
  const [olga, bea, cy] = ['olga', 'bea', 'cy'].map((name) => `${name}-${stamp}`);
  const owner = await (await browser.newContext()).newPage();
  const second = await (await browser.newContext()).newPage();
  const third = await (await browser.newContext()).newPage();

  // The owner creates the team and an invite link anyone may use.
  await signUp(owner, `${olga}@example.com`);
  await owner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Teams' }).click();
  await expect(owner.getByTestId('no-teams')).toBeVisible();
  await owner.getByLabel('Name').fill('Night shift');
  await owner.getByRole('button', { name: 'Create team' }).click();
  await expect(owner).toHaveURL(/\/teams\/\d+$/);
  await expect(owner.locator('h1.team-name')).toContainText('Night shift');
  const teamPath = new URL(owner.url()).pathname;
  await hydrated(owner);
  await owner.getByTestId('invite-form').getByLabel('Use').selectOption('false');
  await owner.getByRole('button', { name: 'Create invite' }).click();
  const link = owner.getByTestId('invite-link');
  await expect(link).toHaveText(/\/join\/kti_[0-9a-f]{64}$/);
  const invitePath = await link.getAttribute('href');
  await expect(owner.getByTestId('invite-table')).toContainText('active');

  // The second person opens the link logged out, signs up from it and lands back on the invite.
  // Logged out, the invite still says which team it is for and who sent it.
  await second.goto(invitePath);
  await hydrated(second);
  await expect(second.getByTestId('join-team-name')).toHaveText('Join Night shift');
  await expect(second.getByTestId('invited-by')).toHaveText(/^.+ invited you to this team\.$/);
  await second.getByRole('link', { name: 'create an account' }).click();
  await expect(second).toHaveURL(/\/signup\?next=/);
  await hydrated(second);
  await second.getByLabel('Email').fill(`${bea}@example.com`);
  await second.getByLabel('Password').fill(password);
  await second.getByRole('button', { name: 'Sign up' }).click();
  await expect(second).toHaveURL(new RegExp(`${invitePath}$`));
  await expect(second.getByTestId('join-team-name')).toHaveText('Join Night shift');
  // Joining says exactly what the team will see; totals only is the default.
  await expect(second.getByTestId('what-the-team-sees')).toContainText('Never');
  await expect(second.getByLabel(/^Totals only/)).toBeChecked();
  await second.screenshot({ path: 'output/team-join.png', fullPage: true });
  await second.getByLabel(/^Share my figures/).check();
  await second.getByRole('button', { name: 'Join the team' }).click();
  await expect(second).toHaveURL(new RegExp(`${teamPath}$`));
  await expect(second.getByTestId('my-sharing')).toHaveText('You share your own figures with this team.');

  // The third person has an account already.
  await signUp(third, `${cy}@example.com`);
  await third.goto(invitePath);
  await hydrated(third);
  await third.getByLabel(/^Share my figures/).check();
  await third.getByRole('button', { name: 'Join the team' }).click();
  await expect(third).toHaveURL(new RegExp(`${teamPath}$`));

  // Everyone's agent uploads (through the API, with their own session).
  await upload(owner, 'olga-laptop', 100);
  await upload(second, 'bea-laptop', 200);
  await upload(third, 'cy-desktop', 300);

  // All three share: totals and every member, most keys first.
  await owner.goto(teamPath);
  await hydrated(owner);
  await expect(owner.getByTestId('team-total-keys')).toHaveText('600');
  await expect(owner.locator('[data-widget="team-summary"]')).toContainText('3 of 3 members counted');
  await expect(owner.getByTestId('member-table').locator('tbody tr')).toHaveCount(3);
  expect(await memberOrder(owner)).toEqual([cy, bea, olga]);
  for (const widget of ['team-summary', 'team-members', 'team-rhythm', 'team-leaderboard', 'team-combos']) {
    await expect(owner.locator(`[data-widget="${widget}"]`)).toBeVisible();
  }
  // The table sorts: a click on the column reverses it, a click on another column re-sorts.
  await owner.getByRole('button', { name: /^Key presses/ }).click();
  await expect.poll(() => memberOrder(owner)).toEqual([olga, bea, cy]);
  await owner.getByRole('button', { name: /^Member/ }).click();
  await expect.poll(() => memberOrder(owner)).toEqual([bea, cy, olga]);
  await expect(owner.locator('[data-widget="team-leaderboard"]')).toContainText(cy);

  // The second person withdraws: their figures leave the table at once, and with only two
  // sharing members and one private member in that hour, no team total may be shown (it minus
  // the two shown figures would be the third's).
  await second.reload();
  await hydrated(second);
  await second.getByTestId('sharing-form').getByLabel('Totals only').check();
  await second.getByRole('button', { name: 'Save my choice' }).click();
  await expect(second.getByTestId('my-sharing')).toHaveText('The team sees only totals of your activity.');
  await expect(second.getByTestId('totals-hidden')).toBeVisible();

  await owner.reload();
  await hydrated(owner);
  await expect(owner.getByTestId('totals-hidden')).toBeVisible();
  await expect(owner.getByTestId('team-total-keys')).toHaveCount(0);
  await expect(owner.getByTestId('member-table').locator('tbody tr')).toHaveCount(2);
  expect(await memberOrder(owner)).toEqual([cy, olga]);
  await expect(owner.locator('[data-widget="team-members"]')).not.toContainText(bea);
  // The JSON API agrees.
  const stats = await (await third.request.get(`/api/v1${teamPath}/stats`)).json();
  expect(stats.totals).toBeNull();
  expect(stats.member_figures.map((m) => m.name)).toEqual([cy, olga]);
  await owner.screenshot({ path: 'output/team-dashboard.png', fullPage: true });

  // The owner closes the invite and removes a member: both lists change at once.
  await owner.getByRole('button', { name: /^Revoke the invite made/ }).click();
  await expect(owner.getByTestId('invite-table').locator('.status')).toHaveText(['revoked']);
  await owner.getByRole('button', { name: `Remove ${cy} from the team` }).click();
  await expect(owner.getByTestId('member-list')).not.toContainText(cy);
  await expect(owner.getByTestId('member-list').locator('tbody tr')).toHaveCount(2);
});

test('a team that is not there, or not yours, says so once', async ({ page }) => {
  await signUp(page, `stranger-${Date.now()}@example.com`);
  await page.goto('/teams/999999');
  await expect(page.getByRole('heading', { name: 'Team not found' })).toBeVisible();
  await expect(page.locator('main')).toContainText('There is no such team, or you are not one of its members.');
  // One message, not a second bare "not found" under it.
  await expect(page.locator('main [role="alert"]')).toHaveCount(0);
  await expect(page.locator('main')).not.toContainText(/not found\./i);
});

test('the demo team shows every team widget', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill('demo@keytrack.local');
  await page.getByLabel('Password').fill('keytrack-demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('who')).toBeVisible();
  await page.goto('/teams');
  await page.getByRole('link', { name: 'Demo team' }).click();
  await expect(page.getByTestId('member-table').locator('tbody tr')).toHaveCount(5);
  await expect(page.locator('[data-widget="team-summary"]')).toContainText(/\d of 5 members counted/);
  const week = await page.getByTestId('team-total-keys').textContent();
  await page.getByRole('link', { name: '30 days' }).click();
  await expect(page).toHaveURL(/range=30d/);
  await expect(page.getByTestId('team-total-keys')).not.toHaveText(week);
  await page.waitForTimeout(1000); // the member chart animates in
  await page.screenshot({ path: 'output/demo-team.png', fullPage: true });
});
