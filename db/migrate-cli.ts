/** `npm run db:migrate`: apply pending migrations to the configured database and report. */
import { appliedMigrationCount, closeDb, describeDatabase, openDatabase } from './client';
import { loadEnvFiles } from '@/lib/env';

loadEnvFiles();
await openDatabase();
console.log(`${describeDatabase()}: ${await appliedMigrationCount()} migration(s) applied`);
await closeDb();
