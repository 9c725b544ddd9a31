/**
 * First-start set-up, in its own short-lived process so `npm start`'s launcher stays small:
 * apply migrations, create the admin (or print a setup link), seed the demo project, and remove the
 * temporary import files that a process killed mid-import left in <data dir>/uploads.
 */
import { closeDb, openDatabase } from '@/db/client';
import { bootstrap } from '@/db/seed/bootstrap';
import { sweepOrphanUploads } from '@/lib/data/upload-files';
import { baseUrl, dataDir, getEnv, loadEnvFiles } from '@/lib/env';

loadEnvFiles();
const env = getEnv();
await openDatabase();
let setup: Awaited<ReturnType<typeof bootstrap>>;
try {
  setup = await bootstrap();
} catch (error) {
  // A refused ARBITER_ADMIN_PASSWORD (or any set-up error) is one line to fix, not a stack trace.
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
await closeDb();
// Before the server and workers start: files of imports whose process died (their pid is gone) or older than a day.
const orphans = sweepOrphanUploads();

console.log(`\nArbiter at ${baseUrl(env)}  (data: ${dataDir(env)})`);
if (setup.adminEmail) console.log(`Admin account created: ${setup.adminEmail}`);
if (setup.setupUrl) console.log(`No users yet. Create the admin account here (one-time link, valid 24 h):\n  ${setup.setupUrl}`);
if (setup.demoProjectId) console.log(`Demo project created: ${baseUrl(env)}/projects/${setup.demoProjectId}`);
if (orphans.length) console.log(`Removed ${orphans.length} temporary import file(s) left by a stopped process in ${dataDir(env)}/uploads`);
