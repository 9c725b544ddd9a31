import fs from 'node:fs';
import { chromium, defineConfig } from '@playwright/test';

/** Debian's chromium where present (Playwright cannot download browsers here), else Playwright's own. */
function findChromium(): string {
  const candidates = [process.env.ARBITER_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', safe(() => chromium.executablePath())];
  const found = candidates.find((p): p is string => typeof p === 'string' && p.length > 0 && fs.existsSync(p));
  if (!found) {
    throw new Error('No Chromium found for the e2e tier. Install one (apt-get install -y chromium) or set ARBITER_CHROMIUM=/path/to/chrome.');
  }
  return found;
}

function safe(f: () => string): string | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

export const E2E_PORT = Number(process.env.ARBITER_E2E_PORT ?? 3217);
export const E2E_DATA_DIR = 'tests/.tmp/e2e-data';
export const E2E_ADMIN = { email: 'admin@e2e.test', password: 'e2e-admin-password' };

export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json', { outputFile: 'tests/.tmp/playwright.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: findChromium(),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: {
    // The same start-up a user runs (build if needed, migrate, admin, demo, server + one worker), on a fresh data dir, with one tiny local checkpoint.
    command: `rm -rf ${E2E_DATA_DIR} && node --import tsx tests/e2e/tiny-checkpoint.ts ${E2E_DATA_DIR}/checkpoints && node --import tsx scripts/start.ts`,
    url: `http://127.0.0.1:${E2E_PORT}/api/v1/health`,
    timeout: 420_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      PORT: String(E2E_PORT),
      HOSTNAME: '127.0.0.1',
      ARBITER_BASE_URL: `http://127.0.0.1:${E2E_PORT}`,
      ARBITER_DATA_DIR: E2E_DATA_DIR,
      ARBITER_ADMIN_EMAIL: E2E_ADMIN.email,
      ARBITER_ADMIN_PASSWORD: E2E_ADMIN.password,
      ARBITER_WORKERS: '1',
      ARBITER_HEARTBEAT_MS: '500',
      ARBITER_WORKER_POLL_MS: '200',
      ARBITER_DEMO: 'true',
      ARBITER_CHECKPOINTS_DIR: `${E2E_DATA_DIR}/checkpoints`,
      // Every test signs in from 127.0.0.1: the per-address limit (tested in the integration tier) would trip within a minute.
      ARBITER_SIGNIN_RATE_LIMIT: '1000',
    },
  },
});
