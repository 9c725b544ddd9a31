import { expect, test } from '@playwright/test';
import { cli, E2E_ADMIN, signIn } from './fixtures';

test('a researcher previews an upload, sees the bad row by line, and imports the valid rows', async ({ page }) => {
  cli('project', 'create', '--name', 'Uploads');
  const id = (JSON.parse(cli('project', 'list', '--json')) as { id: number; name: string }[]).find((p) => p.name === 'Uploads')!.id;
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto(`/projects/${id}`);
  await page.getByRole('link', { name: 'Import', exact: true }).click();
  const file = [
    JSON.stringify({ prompt: 'Best pet?', chosen: 'A cat.', rejected: 'A rock.', margin: 1 }),
    JSON.stringify({ prompt: 'Sky colour?', chosen: 'Blue.', rejected: '' }),
    JSON.stringify({ prompt: 'Capital of Italy?', chosen: 'Rome.', rejected: 'Milan.' }),
  ].join('\n');
  await page.getByLabel(/^File/).setInputFiles({ name: 'pairs.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(file) });
  await page.getByRole('button', { name: 'Preview' }).click();
  const report = page.getByTestId('import-report');
  await expect(report).toContainText('Format pairs');
  await expect(report).toContainText('Preview: 2 valid rows, 1 bad rows. Nothing was written.');
  await expect(report).toContainText('line 2: rejected must be a non-empty string');
  // The first rows as they will be stored, as a table.
  const preview = page.getByRole('table', { name: 'Preview of the first rows' });
  await expect(preview.getByRole('row')).toHaveCount(3);
  await expect(preview.getByRole('row').nth(1)).toContainText(/preference\s*Best pet\?\s*chosen: \[chosen\] A cat\. · rejected: \[rejected\] A rock\. · strength 1/);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(report).toContainText('Nothing was imported: 1 bad rows.');
  await page.getByLabel('Import the valid rows and report the rest').check();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(report).toContainText('Imported 2 rows: 2 new prompts, 4 new responses, 2 comparisons, 0 items; skipped 1 bad rows.');
  // Pairs are comparisons, not items to annotate: the page says so.
  await expect(report).toContainText('These pairs are stored as comparisons');
  await page.goto(`/projects/${id}`);
  await expect(page.locator('dd').nth(4)).toHaveText('2'); // comparisons
});

test('a file whose fields have other names is mapped in the column-mapping editor, previewed, then imported', async ({ page }) => {
  cli('project', 'create', '--name', 'Mapped votes');
  const id = (JSON.parse(cli('project', 'list', '--json')) as { id: number; name: string }[]).find((p) => p.name === 'Mapped votes')!.id;
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto(`/projects/${id}/import`);
  // LLMFAO-style crowd votes: left / right systems, a winner side, a worker, a prompt id.
  const csv = 'prompt,left,right,winner,worker\n8,Model One,Model Two,left,w1\n8,Model One,Model Two,tie,w2\n9,Model Two,Model Three,right,w1\n';
  await page.getByLabel(/^File/).setInputFiles({ name: 'votes.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'cannot tell the format' })).toBeVisible();
  // The page's own words: map the fields below (no command-line flag).
  await expect(page.getByRole('alert').filter({ hasText: 'cannot tell the format' })).not.toContainText('--map');
  const editor = page.getByRole('group', { name: 'Column mapping' });
  await expect(editor).toContainText('worker');
  await editor.getByLabel('Read left as').selectOption('model_a');
  await editor.getByLabel('Read right as').selectOption('model_b');
  await editor.getByLabel('Read worker as').selectOption('judge');
  await editor.getByLabel('Read prompt as').selectOption('question_id');
  await expect(editor).toContainText('--map "model_a=left, model_b=right, judge=worker, question_id=prompt"');
  await page.getByRole('button', { name: 'Preview' }).click();
  const report = page.getByTestId('import-report');
  await expect(report).toContainText('Format battles');
  await expect(report).toContainText('Preview: 3 valid rows, 0 bad rows. Nothing was written.');
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(report).toContainText('Imported 3 rows: 2 new prompts, 4 new responses, 3 comparisons, 0 items.');
});
