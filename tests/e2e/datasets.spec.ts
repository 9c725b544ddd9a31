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
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(report).toContainText('Nothing was imported: 1 bad rows.');
  await page.getByLabel('Import the valid rows and report the rest').check();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(report).toContainText('Imported 2 rows: 2 new prompts, 4 new responses, 2 comparisons, 0 items; skipped 1 bad rows.');
  await page.goto(`/projects/${id}`);
  await expect(page.locator('dd').nth(4)).toHaveText('2'); // comparisons
});
