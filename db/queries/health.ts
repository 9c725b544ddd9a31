import { sql } from 'drizzle-orm';
import { db } from '../client';

/** Throws when the database cannot answer; returns the applied migration count. */
export async function checkDatabase(): Promise<{ migrations: number }> {
  const row = await db().get<{ n: number }>(sql`select count(*) as n from __drizzle_migrations`);
  return { migrations: row.n };
}
