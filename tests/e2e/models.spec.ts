import { expect, test } from '@playwright/test';
import { cli, E2E_ADMIN, signIn } from './fixtures';

test('a researcher trains reward models from presets, watches them train, compares them, reads the flags, sends them back, and scores responses', async ({ page }) => {
  test.setTimeout(180_000);
  const findDemo = () => (JSON.parse(cli('project', 'list', '--json')) as { id: number; name: string }[]).find((p) => p.name.startsWith('Demo: helpfulness'))?.id;
  await expect.poll(findDemo, { timeout: 30_000 }).toBeDefined();
  const demo = findDemo()!;
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto(`/projects/${demo}`);
  await page.getByRole('link', { name: 'Models', exact: true }).click();
  await expect(page.getByText('No reward models yet.')).toBeVisible();

  await page.getByLabel('Preset').selectOption('Ensemble of 5 (flags mislabelled pairs)');
  await page.getByLabel('Members').fill('3');
  await page.getByLabel('Epochs (default 10)').fill('4');
  await page.getByLabel('Name (optional)').fill('three members');
  await page.getByRole('button', { name: 'Train' }).click();
  const table = page.getByRole('table', { name: 'Reward models' });
  await expect(table.getByRole('row', { name: /three members/ })).toBeVisible();
  // Live: the row turns ready without a reload, with a held-out accuracy and the backend it ran on.
  await expect(table.getByRole('row', { name: /three members/ })).toContainText(/ready.*%.*wasm/, { timeout: 120_000 });
  await expect(table.getByRole('row', { name: /three members/ })).toContainText('ensemble ×3');

  await page.getByLabel('Preset').selectOption('Bradley–Terry (fast)');
  await page.getByLabel('Name (optional)').fill('plain bt');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(table.getByRole('row', { name: /plain bt/ })).toContainText(/ready/, { timeout: 120_000 });

  await page.getByLabel('Compare three members').check();
  await page.getByLabel('Compare plain bt').check();
  const side = page.getByRole('region', { name: 'Comparison' });
  await expect(side).toContainText('Held-out accuracy (ties excluded)');
  await expect(side).toContainText('Flagged: mislabelled / ambiguous');
  await expect(side.getByRole('img', { name: 'Reliability diagram' })).toBeVisible();
  // Their training overlaid: one line per model, a legend naming both.
  const overlaid = side.getByRole('img', { name: /^Training loss: (three members vs plain bt|plain bt vs three members)$/ });
  await expect(overlaid).toBeVisible();
  await expect(overlaid.locator('.recharts-line')).toHaveCount(2);
  await expect(overlaid).toContainText('plain bt');

  await table.getByRole('link', { name: 'three members' }).click();
  await expect(page.getByRole('heading', { name: 'three members' })).toBeVisible();
  await expect(page.getByText('Longer response wins')).toBeVisible();
  // Flagged pairs: 50 a page, sorted on the server by the header the researcher clicks.
  const flagged = page.getByRole('table', { name: 'Flagged pairs' });
  const pager = page.getByRole('navigation', { name: 'Flagged pairs pages' });
  await expect(pager).toContainText(/Page 1 of \d+ · \d+ flagged pairs/);
  const [, pages, total] = /of (\d+) · (\d+)/.exec((await pager.textContent())!)!.map(Number);
  await expect(flagged.locator('tbody tr')).toHaveCount(Math.min(50, total!));
  const strengths = async () => (await flagged.locator('tbody tr td:first-child').allTextContents()).map(Number);
  const ascending = await strengths();
  expect(ascending).toEqual([...ascending].sort((x, y) => x - y));
  await expect(flagged.getByRole('columnheader', { name: /Strength/ })).toHaveAttribute('aria-sort', 'ascending');
  await flagged.getByRole('link', { name: /^Strength/ }).click();
  await expect(flagged.getByRole('columnheader', { name: /Strength/ })).toHaveAttribute('aria-sort', 'descending');
  const descending = await strengths();
  expect(descending).toEqual([...descending].sort((x, y) => y - x));
  if (pages! > 1) {
    await pager.getByRole('link', { name: 'Next →' }).click();
    await expect(pager).toContainText(`Page 2 of ${pages}`);
    expect(Math.max(...(await strengths()))).toBeLessThanOrEqual(Math.min(...descending));
  }
  const send = page.getByRole('button', { name: /Send \d+ likely mislabelled pairs back for re-annotation/ });
  await expect(send).toBeVisible();
  if (await send.isEnabled()) {
    await send.click();
    await expect(page.getByRole('status').filter({ hasText: /items sent back for another judgment/ })).toBeVisible();
  }

  await page.getByLabel('Prompt', { exact: true }).fill('How do I reverse a list in Python?');
  await page.getByLabel('Responses, one per line').fill('Use reversed(xs) or xs[::-1]; both keep the original list.\nNo idea.');
  await page.getByRole('button', { name: 'Score' }).click();
  await expect(page.getByRole('list', { name: 'Scores' }).getByRole('listitem')).toHaveCount(2);
});

test('a researcher fine-tunes the local checkpoint as a reward model with LoRA, and downloads it for transformers and as a PEFT adapter', async ({ page }) => {
  test.setTimeout(180_000);
  const findDemo = () => (JSON.parse(cli('project', 'list', '--json')) as { id: number; name: string }[]).find((p) => p.name.startsWith('Demo: helpfulness'))?.id;
  await expect.poll(findDemo, { timeout: 30_000 }).toBeDefined();
  const demo = findDemo()!;
  // Every page load finds its icon: no request on these pages answers 404.
  const missing: string[] = [];
  page.on('response', (r) => void (r.status() === 404 && missing.push(r.url())));
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto(`/projects/${demo}/models`);
  await expect(page.locator('link[rel="icon"]')).toHaveCount(1);
  await page.getByLabel('Preset').selectOption('Bradley–Terry (fast)');
  await page.getByLabel('Features').selectOption({ label: "Fine-tune checkpoint tiny-llama end to end with a scalar head (as TRL's RewardTrainer)" });
  const tuning = page.getByRole('group', { name: 'Fine-tuning' });
  await tuning.getByLabel('LoRA rank (0 trains every weight)').fill('4');
  await tuning.getByLabel('Max tokens per response').fill('64');
  await tuning.getByLabel('Pairs per step').fill('16');
  const targets = tuning.getByRole('group', { name: 'LoRA target modules' });
  for (const t of ['k_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']) await targets.getByLabel(t).uncheck();
  await page.getByLabel('Epochs (default 1)').fill('1');
  await page.getByLabel('Name (optional)').fill('fine-tuned llama');
  await page.getByRole('button', { name: 'Train' }).click();
  const table = page.getByRole('table', { name: 'Reward models' });
  await expect(table.getByRole('progressbar', { name: 'Training fine-tuned llama' })).toBeVisible();

  // The model's page, opened while it trains, follows the run and shows the results when it ends: no reload.
  await table.getByRole('link', { name: 'fine-tuned llama' }).click();
  await expect(page.getByRole('heading', { name: 'fine-tuned llama' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Held-out evaluation' })).toHaveCount(0);
  await expect(page.getByTestId('followed-job')).toContainText('Training finished', { timeout: 150_000 });
  await expect(page.getByRole('heading', { name: 'Held-out evaluation' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Training' }).getByRole('img', { name: 'Training loss by step' })).toBeVisible();
  // The curve stays after the run.
  await page.reload();
  await expect(page.getByRole('region', { name: 'Training' }).getByRole('img', { name: 'Training loss by step' })).toBeVisible();
  await page.goBack();
  await expect(table.getByRole('row', { name: /fine-tuned llama/ })).toContainText(/ready.*%/);
  await expect(table.getByRole('row', { name: /fine-tuned llama/ })).toContainText('bt · fine-tuned tiny-llama, LoRA r 4');

  await table.getByRole('link', { name: 'fine-tuned llama' }).click();
  await expect(page.getByText(/tiny-llama fine-tuned with LoRA \(r 4, alpha 32, q_proj, v_proj\)/)).toBeVisible();
  for (const [link, file] of [['Download for transformers (sequence classifier)', /-hf\.zip$/], ['Download the PEFT adapter (LoRA r 4)', /-peft\.zip$/]] as const) {
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: link }).click();
    expect((await download).suggestedFilename()).toMatch(file);
  }
  // The Alignment page offers the same target modules once LoRA is on.
  await page.goto(`/projects/${demo}/align`);
  await page.getByLabel('LoRA rank (0: all weights train)').fill('8');
  await expect(page.getByRole('group', { name: 'LoRA target modules' }).getByRole('checkbox')).toHaveCount(7);
  expect(missing).toEqual([]);
});
