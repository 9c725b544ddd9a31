/** `npm run db:migrate`: apply pending migrations to the configured database and report. */
import { sql } from 'drizzle-orm';
import { db, openDatabase } from './client';
import { databasePath, loadEnvFiles } from '@/lib/env';

loadEnvFiles();
openDatabase();
const applied = await db().get<{ n: number }>(sql`select count(*) as n from __drizzle_migrations`);
console.log(`${databasePath()}: ${applied.n} migration(s) applied`);
