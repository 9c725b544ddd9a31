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
