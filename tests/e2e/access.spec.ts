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
