// Opens (and so migrates) the database named by ARBITER_DATA_DIR, then reports the tables it sees.
import { sql } from 'drizzle-orm';
import { closeDb, db } from '@/db/client';

const rows = await db().all<{ name: string }>(sql`select name from sqlite_master where type = 'table' order by name`);
const migrations = await db().get<{ n: number }>(sql`select count(*) as n from __drizzle_migrations`);
console.log(JSON.stringify({ tables: rows.length, migrations: migrations.n }));
closeDb();
