import { defineConfig } from 'drizzle-kit';

/**
 * PostgreSQL migrations (db/migrations-pg), generated from db/schema/pg; SQLite's are drizzle.config.ts's.
 * `npm run db:generate` writes both, so a schema change lands in both dialects in one step. Generating
 * needs no database: drizzle-kit diffs against the snapshots in db/migrations-pg/meta.
 */
export default defineConfig({
  schema: './db/schema/pg/index.ts',
  out: './db/migrations-pg',
  dialect: 'postgresql',
});
