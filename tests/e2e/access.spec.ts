import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { E2E_DATA_DIR } from '../../playwright.config';
import { cli, signIn } from './fixtures';

test.describe('an annotator', () => {
  test.beforeAll(() => {
    cli('user', 'create', '--email', 'annie@e2e.test', '--password', 'annie-password', '--name', 'Annie', '--role', 'annotator');
  });

  test('cannot open the admin pages, sees no Jobs or Admin link, and sees no project she does not belong to', async ({ page }) => {
    await signIn(page, 'annie@e2e.test', 'annie-password');
    await expect(page.getByText('You are not a member of any project yet.')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Jobs' })).toHaveCount(0);
    await page.goto('/admin');
    await expect(page.getByRole('heading', { name: 'Access denied' })).toBeVisible();
    await expect(page.getByText('The admin pages are for admins only.')).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Users' })).toHaveCount(0);
    await page.goto('/projects/1');
    await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
  });
});

test('an admin invites an annotator by link, who joins and sees only that project', async ({ page, browser }) => {
  await signIn(page, 'admin@e2e.test', 'e2e-admin-password');
  await page.goto('/admin');
  const inviteCard = page.locator('section', { has: page.getByRole('heading', { name: 'Invite by link' }) });
  await inviteCard.getByLabel('Project (optional)').selectOption({ label: 'Demo: helpfulness of five assistants' });
  await inviteCard.getByRole('button', { name: 'Create invite link' }).click();
  const url = await page.getByTestId('invite-url').textContent();
  expect(url).toMatch(/\/invite\/inv_/);
  // One click copies the link.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await inviteCard.getByRole('button', { name: 'Copy link' }).click();
  await expect(inviteCard.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
  // The list says what each invite is: role, project, status, expiry.
  await page.reload();
  const invitesTable = page.getByRole('table', { name: 'Invites' });
  await expect(invitesTable.getByRole('row').nth(1)).toContainText(/annotator\s*Demo: helpfulness of five assistants\s*anyone with the link\s*open\s*20\d\d-/);

  const guest = await browser.newContext();
  const invited = await guest.newPage();
  await invited.goto(url!);
  await invited.getByLabel('Name').fill('Ivy');
  await invited.getByLabel('Email').fill('ivy@e2e.test');
  await invited.getByLabel('Password').fill('ivy-password');
  await invited.getByRole('button', { name: 'Create account' }).click();
  await expect(invited.getByRole('heading', { name: 'Projects' })).toBeVisible();
  await expect(invited.getByRole('link', { name: /Demo: helpfulness of five assistants/ })).toBeVisible();
  await expect(invited.getByText('you: annotator')).toBeVisible();
  await invited.goto('/projects/1/leaderboard');
  await expect(invited.getByRole('heading', { name: 'Access denied' })).toBeVisible();
  await invited.goto('/projects/1/quality');
  await expect(invited.getByRole('heading', { name: 'Access denied' })).toBeVisible();
  await guest.close();

  // Used now; a second invite is revoked after a confirmation, and its link stops working.
  await page.reload();
  await expect(invitesTable.getByRole('row').nth(1)).toContainText('used');
  await inviteCard.getByRole('button', { name: 'Create invite link' }).click();
  const second = (await page.getByTestId('invite-url').textContent())!;
  await page.reload();
  const secondId = (await invitesTable.getByRole('row').nth(1).getByRole('cell').first().textContent())!;
  await invitesTable.getByRole('button', { name: `Revoke invite ${secondId}` }).click();
  await expect(invitesTable.getByText(`Revoke invite #${secondId}? Its link stops working.`)).toBeVisible();
  await invitesTable.getByRole('button', { name: 'Cancel' }).click();
  await expect(invitesTable.getByRole('row').nth(1)).toContainText('open');
  await invitesTable.getByRole('button', { name: `Revoke invite ${secondId}` }).click();
  await invitesTable.getByRole('button', { name: 'Yes, revoke' }).click();
  await expect(invitesTable.getByRole('row').nth(1).getByRole('cell').first()).not.toHaveText(secondId);
  const stranger = await browser.newContext();
  const strangerPage = await stranger.newPage();
  await strangerPage.goto(second);
  await expect(strangerPage.getByRole('button', { name: 'Create account' })).toHaveCount(0);
  await stranger.close();
});

test('a token is copied from its banner, and revoking it asks first and takes it out of the banner', async ({ page, request }) => {
  await signIn(page, 'admin@e2e.test', 'e2e-admin-password');
  await page.goto('/settings/tokens');
  await page.getByLabel('Token name').fill('nightly export');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.getByTestId('new-token').textContent())!;
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByRole('button', { name: 'Copy token' }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
  await page.getByRole('button', { name: 'Revoke nightly export' }).click();
  await expect(page.getByText('Revoke “nightly export”? Scripts using it stop working.')).toBeVisible();
  await page.getByRole('button', { name: 'Yes, revoke' }).click();
  await expect(page.getByTestId('new-token')).toHaveCount(0);
  await expect(page.getByRole('listitem').filter({ hasText: 'nightly export' })).toContainText('revoked');
  const res = await request.get('/api/v1/me', { headers: { authorization: `Bearer ${token}` } }); // no session cookie here
  expect(res.status()).toBe(401);
});

test('pages carry a Content-Security-Policy that forbids framing, and still hydrate under it', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  const signInPage = await page.goto('/sign-in');
  const headers = signInPage!.headers();
  const csp = headers['content-security-policy'] ?? '';
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain("base-uri 'self'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).toMatch(/script-src 'self' 'unsafe-inline'(;|$)/); // no 'unsafe-eval' outside next dev
  expect(headers['x-frame-options']).toBe('DENY');
  // Signing in needs the hydrated form; the project page and the Jobs page's live list need client code too.
  await signIn(page, 'admin@e2e.test', 'e2e-admin-password');
  const projectPage = await page.goto('/projects/1');
  expect(projectPage!.headers()['content-security-policy']).toBe(csp);
  await expect(page.getByRole('heading', { name: 'Demo: helpfulness of five assistants' })).toBeVisible();
  expect(violations).toEqual([]);
});

test('an admin watches the workers live: a worker started on another host appears with its kinds, then shows stopped', async ({ page }) => {
  await signIn(page, 'admin@e2e.test', 'e2e-admin-password');
  await page.goto('/admin');
  await page.getByRole('link', { name: 'Workers →' }).click();
  await expect(page.getByRole('heading', { name: 'Workers' })).toBeVisible();
  // npm start's own worker (every kind).
  await expect(page.getByTestId('worker-row').filter({ hasText: 'all' }).filter({ hasText: 'live' }).first()).toBeVisible();

  const worker = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts', '--kinds', 'export-dataset'], {
    env: { ...process.env, ARBITER_DATA_DIR: E2E_DATA_DIR, ARBITER_HEARTBEAT_MS: '200' },
    stdio: 'ignore',
  });
  try {
    const row = page.getByTestId('worker-row').filter({ hasText: `:${worker.pid}` });
    await expect(row).toContainText('export-dataset', { timeout: 20_000 });
    await expect(row).toContainText('live');
  } finally {
    worker.kill('SIGTERM');
  }
  await expect(page.getByTestId('worker-row').filter({ hasText: `:${worker.pid}` })).toContainText('stopped', { timeout: 20_000 });
});
