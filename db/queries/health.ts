import { sql } from 'drizzle-orm';
import { getDb } from '../client';

/** Throws when the database cannot answer; returns the applied migration count. */
export function checkDatabase(): { migrations: number } {
  const row = getDb().get<{ n: number }>(sql`select count(*) as n from __drizzle_migrations`);
  return { migrations: row.n };
}
