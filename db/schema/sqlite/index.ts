/**
 * The SQLite tables, one file per domain (docs/architecture.md "Data model"). Times are integer
 * milliseconds since the epoch (`timestamp_ms`). drizzle.config.ts points drizzle-kit here, so
 * db/migrations is generated from exactly these definitions; db/schema/pg mirrors them column for column
 * (tests/unit/db/schema-parity.test.ts). Application code imports the tables from `@/db/schema`, never
 * from this folder: that index picks the tables of the running dialect.
 */
export * from './accounts';
export * from './annotation';
export * from './content';
export * from './invites';
export * from './jobs';
export * from './models';
export * from './projects';
export * from './workers';
