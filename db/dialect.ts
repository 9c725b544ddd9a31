/**
 * Which database this process talks to, fixed when the process starts: PostgreSQL when
 * ARBITER_DATABASE_URL is set (postgres://…), the embedded SQLite file otherwise.
 *
 * It is read here, straight from the environment and once, because the schema module picks its table
 * objects at import time (db/schema/index.ts) and every query module imports those objects. lib/env.ts
 * validates the same variable with the rest of the configuration.
 */
export type Dialect = 'sqlite' | 'postgres';

export const DIALECT: Dialect = process.env.ARBITER_DATABASE_URL ? 'postgres' : 'sqlite';

export const isPostgres = DIALECT === 'postgres';
