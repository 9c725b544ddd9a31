import { execFileSync } from 'node:child_process';
import { expect, type Page } from '@playwright/test';
import { E2E_ADMIN, E2E_DATA_DIR } from '../../playwright.config';

export { E2E_ADMIN };

/** Seeds through the CLI against the server's data directory (never through the UI under test). */
export function cli(...args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    env: { ...process.env, ARBITER_DATA_DIR: E2E_DATA_DIR },
    encoding: 'utf8',
  });
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Projects' })).toBeVisible();
}

/** The id of the project whose name matches. */
export const projectId = (name: RegExp): number => (JSON.parse(cli('project', 'list', '--json')) as { id: number; name: string }[]).find((p) => name.test(p.name))!.id;

/** The workbench's "N done · M remaining" line, read. */
export async function progress(page: Page): Promise<{ done: number; remaining: number }> {
  const text = (await page.getByTestId('progress-text').textContent()) ?? '';
  const m = /(\d+) done · (\d+) remaining/.exec(text);
  return { done: Number(m?.[1]), remaining: Number(m?.[2]) };
}
