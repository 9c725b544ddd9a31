import { sql } from 'drizzle-orm';
import { firstRow } from '../client';
import { isPostgres } from '../dialect';

/** drizzle's record of applied migrations: in the `drizzle` schema on PostgreSQL, beside the tables on SQLite. */
const migrationsTable = isPostgres ? sql`drizzle.__drizzle_migrations` : sql`__drizzle_migrations`;

/** Throws when the database cannot answer; returns the applied migration count. */
export async function checkDatabase(): Promise<{ migrations: number }> {
  const row = await firstRow<{ n: number }>(sql`select count(*) as n from ${migrationsTable}`);
  return { migrations: row!.n };
}
