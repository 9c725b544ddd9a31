/**
 * The PostgreSQL tables: the SQLite schema (../sqlite) table for table and column for column, with column
 * types that give identical JavaScript types (./columns.ts); tests/unit/db/schema-parity.test.ts holds the
 * two together. drizzle-pg.config.ts points drizzle-kit here (migrations in db/migrations-pg). Application
 * code imports the tables from `@/db/schema`, never from this folder.
 */
export * from './accounts';
export * from './annotation';
export * from './content';
export * from './invites';
export * from './jobs';
export * from './models';
export * from './projects';
export * from './workers';
