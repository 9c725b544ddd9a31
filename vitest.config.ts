import path from 'node:path';
import { defineConfig } from 'vitest/config';

const alias = { '@': path.resolve(import.meta.dirname) };

/** The integration tier runs twice (scripts/test.ts): on SQLite, then with ARBITER_DATABASE_URL on PostgreSQL. */
const onPostgres = Boolean(process.env.ARBITER_DATABASE_URL);
/** About the SQLite file itself, or SQLite as a source: no PostgreSQL counterpart to run. */
const SQLITE_ONLY = [
  'tests/integration/db/sqlite-file.test.ts', // pragmas, WAL, another process holding the file's lock (PostgreSQL's: db/postgres.test.ts)
  'tests/integration/db/backup.test.ts', // the SQLite online backup API (pg_dump's backups: db/postgres-backup.test.ts)
  'tests/integration/db/storage-faults.test.ts', // a full disk faked with max_page_count, read-only storage with query_only
  'tests/integration/workers/busy-database.test.ts', // a worker facing another connection's SQLite write lock
  'tests/integration/db/db-copy.test.ts', // copies this SQLite database into PostgreSQL
  'tests/integration/start/npm-start.test.ts', // first start on a fresh data directory and arbiter.db (e2e-pg starts npm start on PostgreSQL)
  'tests/integration/lint/**', // static checks of the source: nothing to run twice
];
const POSTGRES_ONLY = ['tests/integration/db/postgres.test.ts', 'tests/integration/db/postgres-backup.test.ts', 'tests/integration/db/notify.test.ts'];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          exclude: onPostgres ? SQLITE_ONLY : POSTGRES_ONLY,
          environment: 'node',
          // A fresh data directory (so a fresh SQLite file) for every test file; with ARBITER_DATABASE_URL
          // set (scripts/test.ts's PostgreSQL pass), a fresh database copied from a template migrated once.
          setupFiles: ['tests/helpers/integration-setup.ts'],
          globalSetup: ['tests/helpers/postgres-global-setup.ts'],
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
