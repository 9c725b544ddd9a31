import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { closeDb } from '@/db/client';
import { isPostgres } from '@/db/dialect';
import { resetAuth } from '@/db/queries/auth';
import { resetEnvCache } from '@/lib/env';
import { createTestDatabase, dropTestDatabase } from './postgres';

// A fresh data directory for every test file, and with it a fresh SQLite file; on the PostgreSQL pass a
// fresh database as well (child processes the test starts inherit both through the environment).
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-test-'));
process.env.ARBITER_DATA_DIR = dir;
process.env.ARBITER_DEMO = 'false';
delete process.env.ARBITER_ADMIN_EMAIL;
delete process.env.ARBITER_ADMIN_PASSWORD;
const database = isPostgres ? await createTestDatabase(process.env.ARBITER_DATABASE_URL!) : undefined;
if (database) process.env.ARBITER_DATABASE_URL = database;
resetEnvCache();
resetAuth();

afterAll(async () => {
  await closeDb();
  if (database) await dropTestDatabase(database);
  fs.rmSync(dir, { recursive: true, force: true });
});
