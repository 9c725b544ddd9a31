import { expect, test } from '@playwright/test';
import { E2E_ADMIN, signIn } from './fixtures';

test('a researcher signs in, opens the demo project, starts a job, watches it finish, and signs out', async ({ page }) => {
  await page.goto('/projects');
  await expect(page).toHaveURL(/\/sign-in$/);

  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.getByRole('link', { name: /Demo: helpfulness of five assistants/ }).click();
  await expect(page.getByRole('heading', { name: 'Demo: helpfulness of five assistants' })).toBeVisible();
  await expect(page.getByText(/^No statistics yet\. \d+ judgments and \d+ comparisons so far: recompute/)).toBeVisible();

  // The user stays on the project: the job's progress shows under the button (Server-Sent Events), and the
  // statistics appear when it ends, without a reload.
  const projectUrl = page.url();
  await page.getByRole('button', { name: 'Recompute statistics' }).click();
  await expect(page.getByTestId('followed-job')).toContainText('Statistics recomputed.', { timeout: 30_000 });
  expect(page.url()).toBe(projectUrl);
  await expect(page.getByRole('cell', { name: 'atlas-70b' })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'ember-3b' })).toBeVisible();

  // The job page says what it produced, with links, and when it ran.
  await page.getByTestId('followed-job').getByRole('link', { name: /^job #\d+$/ }).click();
  await expect(page.getByRole('heading', { name: /Job #\d+: Recompute project statistics/ })).toBeVisible();
  await expect(page.getByTestId('job-status')).toHaveText('succeeded');
  await expect(page.getByRole('progressbar', { name: 'Job progress' })).toHaveAttribute('aria-valuenow', '100');
  const result = page.getByRole('region', { name: 'Result' });
  await expect(result).toContainText(/Statistics over \d+ comparisons of 5 systems/);
  await expect(page.getByTestId('job-duration')).toHaveText(/^\d+ (s|min \d+ s)$/);
  await expect(page.getByRole('definition').filter({ hasText: 'not yet' })).toHaveCount(0);
  await result.getByRole('link', { name: 'Open the project' }).click();
  await expect(page.getByRole('heading', { name: 'Demo: helpfulness of five assistants' })).toBeVisible();
  await expect(page.getByText(/since these were computed/)).toHaveCount(0);
  // One more judgment: the overview says its statistics no longer include everything.
  await page.evaluate(async (url) => {
    const id = url.split('/projects/')[1];
    const headers = { 'content-type': 'application/json' };
    const { task } = (await (await fetch(`/api/v1/projects/${id}/assignments/next`, { method: 'POST', headers })).json()) as { task: { assignmentId: number } };
    await fetch(`/api/v1/projects/${id}/judgments`, { method: 'POST', headers, body: JSON.stringify({ id: crypto.randomUUID(), assignmentId: task.assignmentId, winner: 'a', strength: 1 }) });
  }, projectUrl);
  await page.reload();
  await expect(page.getByRole('status').filter({ hasText: '1 comparison added since these were computed: recompute to include it.' })).toBeVisible();

  // The project's pages are tabs on each of them; its settings read as text.
  const tabs = page.getByRole('navigation', { name: 'Project' });
  await expect(tabs.getByRole('link')).toHaveText(['Overview', 'Annotate', 'Annotation progress', 'Import', 'Export', 'Leaderboard', 'Quality', 'Models', 'Alignment', 'Settings']);
  await expect(tabs.getByRole('link', { name: 'Overview' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByLabel('Task settings')).toContainText('Annotations per item');
  await tabs.getByRole('link', { name: 'Leaderboard' }).click();
  await expect(page.getByText('No leaderboard computed yet.')).toBeVisible();
  await expect(tabs.getByRole('link', { name: 'Leaderboard' })).toHaveAttribute('aria-current', 'page');
  await page.getByLabel('Bootstrap rounds').fill('50');
  await page.getByRole('button', { name: 'Compute leaderboard' }).click();
  // The leaderboard appears on this page when its job ends.
  await expect(page.getByTestId('followed-job')).toContainText('Leaderboard computed', { timeout: 30_000 });
  await expect(page.getByRole('heading', { name: 'Bradley–Terry (Chatbot Arena)' })).toBeVisible();
  await expect(page.getByText(/50 bootstrap rounds · seed 0 · L2 prior 0/)).toBeVisible();
  await expect(page.getByRole('img', { name: /^atlas-70b: \d+, interval \d+ to \d+$/ })).toBeVisible();
  // Win-rate and battle-count heatmaps (recharts), 5 × 5 cells each.
  await expect(page.getByRole('img', { name: /^Win rate of the row system.*: 5 × 5 heatmap$/ })).toBeVisible();
  await expect(page.getByTestId('heatmap-rate').locator('.heatmap-cell')).toHaveCount(25);
  await expect(page.getByTestId('heatmap-count').locator('.heatmap-cell')).toHaveCount(25);
  // Each heatmap has its colour scale, and the values sit in the cells.
  await expect(page.getByRole('img', { name: 'Colour scale: 0% (row loses) to 50% to 100% (row wins)' })).toBeVisible();
  expect(await page.getByTestId('heatmap-rate').locator('.heatmap-value').count()).toBeGreaterThan(0);
  // A second method, then a second run of the first: one tab per method, their comparison, history behind a toggle.
  await page.getByRole('combobox', { name: 'Method' }).selectOption('elo');
  await page.getByRole('button', { name: 'Compute leaderboard' }).click();
  const methodTabs = page.getByRole('navigation', { name: 'Leaderboard methods' });
  await expect(methodTabs.getByRole('link')).toHaveText(['Bradley–Terry (Chatbot Arena)', 'Online Elo (baseline)', 'Compare methods'], { timeout: 30_000 });
  await methodTabs.getByRole('link', { name: 'Compare methods' }).click();
  await expect(page.getByRole('table', { name: 'Methods side by side' }).getByRole('row')).toHaveCount(6);
  await expect(page.getByRole('heading', { name: 'Bradley–Terry (Chatbot Arena)' })).toHaveCount(0);
  await methodTabs.getByRole('link', { name: 'Bradley–Terry (Chatbot Arena)' }).click();
  await page.getByRole('combobox', { name: 'Method' }).selectOption('bt');
  await page.getByRole('button', { name: 'Compute leaderboard' }).click();
  await page.getByRole('link', { name: 'Show 1 earlier run of this method' }).click({ timeout: 30_000 });
  await expect(page.getByRole('table', { name: 'Earlier runs' }).getByRole('row')).toHaveCount(2);

  await page.getByRole('link', { name: 'Demo: helpfulness of five assistants' }).click();
  await page.getByRole('link', { name: 'Quality' }).click();
  await expect(page.getByRole('heading', { name: 'Quality' })).toBeVisible();
  await expect(page.getByText('Krippendorff α (choice)')).toBeVisible();
  await expect(page.getByText(/left won \d+\.\d%/)).toBeVisible();
  // Each number comes with a one-line reading; biases with their 95% interval, drawn against 50%.
  const lengthBias = page.getByRole('group', { name: 'Length bias' });
  await expect(lengthBias.getByTestId('reading')).toHaveText(/95% CI \d+%–\d+%: (no evidence that annotators prefer the longer one|(Warning: )?annotators prefer the (longer|shorter) answer (much )?more often than chance)/);
  await expect(page.getByRole('img', { name: /^Longer won: \d+%, 95% interval \d+% to \d+%$/ })).toBeVisible();
  await expect(page.getByRole('group', { name: 'Krippendorff α (choice)' }).getByTestId('reading')).toHaveText(/reliable|tentative|low|not enough/);
  await expect(page.getByRole('columnheader', { name: 'Dawid–Skene accuracy' })).toBeVisible();
  await expect(page.getByRole('columnheader', { name: 'Gold accuracy' })).toBeVisible();

  await page.getByRole('link', { name: 'Jobs' }).click();
  await expect(page.getByText('● live')).toBeVisible();
  await expect(page.getByRole('progressbar', { name: /Job \d+ progress/ }).first()).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto('/projects');
  await expect(page).toHaveURL(/\/sign-in$/);
});
