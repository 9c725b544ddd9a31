import { expect, test } from '@playwright/test';
import { cli, E2E_ADMIN, signIn } from './fixtures';

test('a researcher launches a DPO run from a preset, watches it train, and reads reference and policy samples side by side', async ({ page }) => {
  test.setTimeout(240_000);
  const findDemo = () => (JSON.parse(cli('project', 'list', '--json')) as { id: number; name: string }[]).find((p) => p.name.startsWith('Demo: helpfulness'))?.id;
  await expect.poll(findDemo, { timeout: 30_000 }).toBeDefined();
  const demo = findDemo()!;
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto(`/projects/${demo}`);
  await page.getByRole('link', { name: 'Alignment', exact: true }).click();
  await expect(page.getByText('No alignment runs yet.')).toBeVisible();

  // A β out of range is refused by the server with the field named, and nothing is queued.
  await page.getByLabel('β (default 0.1)').fill('500');
  await page.getByRole('button', { name: 'Align' }).click();
  await expect(page.getByText(/beta/)).toBeVisible();
  await expect(page.getByText('No alignment runs yet.')).toBeVisible();

  await page.getByLabel('Loss').selectOption('DPO (sigmoid, β 0.1)');
  await page.getByLabel('β (default 0.1)').fill('0.2');
  await page.getByLabel('Epochs (default 3)').fill('1');
  await page.getByLabel('Name (optional)').fill('first dpo');
  await page.getByRole('button', { name: 'Align' }).click();
  const runs = page.getByRole('table', { name: 'Alignment runs' });
  await expect(runs.getByRole('row', { name: /first dpo/ })).toBeVisible();
  await expect(runs.getByRole('row', { name: /first dpo/ })).toContainText(/ready.*wasm/, { timeout: 200_000 });

  await runs.getByRole('button', { name: 'first dpo' }).click();
  const details = page.getByRole('region', { name: 'Run details' });
  // After the run: SFT and preference optimisation apart, each TRL metric in its own panel with axis titles.
  await expect(details.getByRole('region', { name: 'SFT curves' }).getByRole('img', { name: 'SFT loss (cross-entropy on chosen responses) by step' })).toBeVisible();
  const po = details.getByRole('region', { name: 'Preference optimisation curves' });
  for (const panel of ['Preference loss', 'Reward accuracy (chosen over rejected)', 'Reward margin', 'Implicit rewards', 'Log-probabilities']) await expect(po.getByRole('img', { name: `${panel} by step` })).toBeVisible();
  await expect(po.getByText('step').first()).toBeVisible();
  const samples = details.getByRole('table', { name: 'Samples of first dpo' });
  await expect(samples.getByRole('columnheader', { name: 'Reference (SFT)' })).toBeVisible();
  expect(await samples.getByRole('row').count()).toBeGreaterThan(1);
  await page.getByLabel('Compare first dpo').check();
  await expect(page.getByRole('region', { name: 'Comparison' })).toContainText('Win rate vs reference');
  await expect(page.getByRole('region', { name: 'Comparison' }).getByRole('img', { name: 'Preference loss: first dpo' }).locator('.recharts-line')).toHaveCount(1);
  await expect(runs.getByRole('link', { name: 'Download' })).toHaveAttribute('href', /\/api\/v1\/policies\/\d+\/export/);
});
