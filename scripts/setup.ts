/**
 * First-start set-up, in its own short-lived process so `npm start`'s launcher stays small:
 * apply migrations, create the admin (or print a setup link), seed the demo project.
 */
import { closeDb, getDb } from '@/db/client';
import { bootstrap } from '@/db/seed/bootstrap';
import { baseUrl, dataDir, getEnv, loadEnvFiles } from '@/lib/env';

loadEnvFiles();
const env = getEnv();
getDb();
const setup = await bootstrap();
closeDb();

console.log(`\nArbiter at ${baseUrl(env)}  (data: ${dataDir(env)})`);
if (setup.adminEmail) console.log(`Admin account created: ${setup.adminEmail}`);
if (setup.setupUrl) console.log(`No users yet. Create the admin account here (one-time link, valid 24 h):\n  ${setup.setupUrl}`);
if (setup.demoProjectId) console.log(`Demo project created: ${baseUrl(env)}/projects/${setup.demoProjectId}`);
