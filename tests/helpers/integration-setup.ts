import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { closeDb } from '@/db/client';
import { resetAuth } from '@/db/queries/auth';
import { resetEnvCache } from '@/lib/env';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-test-'));
process.env.ARBITER_DATA_DIR = dir;
process.env.ARBITER_DEMO = 'false';
delete process.env.ARBITER_ADMIN_EMAIL;
delete process.env.ARBITER_ADMIN_PASSWORD;
resetEnvCache();
resetAuth();

afterAll(() => {
  closeDb();
  fs.rmSync(dir, { recursive: true, force: true });
});
