/**
 * Raw SQL for tests that set up or inspect state directly, the same text on both dialects: `?` placeholders
 * (numbered for PostgreSQL here), and rows shaped as SQLite gives them — booleans as 1/0 — so one expectation
 * holds on either database. Product code never uses this (db/client.ts is its door).
 */
import { sql } from 'drizzle-orm';
import { getDb, rows } from '@/db/client';
import { isPostgres } from '@/db/dialect';

/** `?` → `$1, $2, …` outside quoted strings (the tests' SQL has no `?` inside literals or JSON operators). */
function numbered(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

const sqliteShaped = (row: Record<string, unknown>) => {
  for (const [key, value] of Object.entries(row)) if (typeof value === 'boolean') row[key] = value ? 1 : 0;
  return row;
};

/** Every row of `text`, run outside any transaction on a connection that may write. */
export async function queryRows<T = Record<string, unknown>>(text: string, ...params: unknown[]): Promise<T[]> {
  if (!isPostgres) {
    const statement = getDb().$client.prepare(text);
    return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as T[];
  }
  const client = (getDb() as unknown as { $client: { query: (q: string, p: unknown[]) => Promise<{ rows: Record<string, unknown>[] }> } }).$client;
  const result = await client.query(numbered(text), params);
  return result.rows.map(sqliteShaped) as T[];
}

/** The first row of `text`, or undefined. */
export async function queryRow<T = Record<string, unknown>>(text: string, ...params: unknown[]): Promise<T | undefined> {
  return (await queryRows<T>(text, ...params))[0];
}

/** The first column of the first row (like better-sqlite3's `.pluck().get()`). */
export async function queryValue<T = unknown>(text: string, ...params: unknown[]): Promise<T | undefined> {
  const row = await queryRow(text, ...params);
  return row === undefined ? undefined : (Object.values(row)[0] as T);
}

/** Runs a statement that changes rows. */
export async function execSql(text: string, ...params: unknown[]): Promise<void> {
  await queryRows(text, ...params);
}

/** The current count of a table's rows. */
export const countRows = async (table: string): Promise<number> => Number((await rows<{ n: number }>(sql`select count(*) as n from ${sql.identifier(table)}`, getDb()))[0]!.n);
