// Opens (and so migrates) the configured database, then reports the tables it sees.
import { sql } from 'drizzle-orm';
import { appliedMigrationCount, closeDb, firstRow, openDatabase } from '@/db/client';
import { isPostgres } from '@/db/dialect';

await openDatabase();
const tables = await firstRow<{ n: number }>(
  isPostgres ? sql`select count(*) as n from pg_tables where schemaname = 'public'` : sql`select count(*) as n from sqlite_master where type = 'table'`,
);
console.log(JSON.stringify({ tables: tables?.n ?? 0, migrations: await appliedMigrationCount() }));
await closeDb();
