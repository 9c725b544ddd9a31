// Claims and completes jobs until none is left, waiting out a busy database as workers do (db/busy.ts);
// prints the ids it claimed (one line of JSON). With a start file (argv[3]) it opens the database, prints
// "ready", and waits for that file to exist before claiming: claimers started together then compete from
// the same moment, whatever each one's start-up took.
import fs from 'node:fs';
import { retryWhileBusy } from '@/db/busy';
import { closeDb, openDatabase } from '@/db/client';
import { claimNextJob, completeJob, leaseOf } from '@/db/queries/queue';

const workerId = process.argv[2] ?? `claimer-${process.pid}`;
const startFile = process.argv[3];
if (startFile) {
  await openDatabase();
  console.log('ready');
  while (!fs.existsSync(startFile)) await new Promise((r) => setTimeout(r, 5));
}
const claimed: number[] = [];
let idle = 0;
while (idle < 20) {
  const job = await retryWhileBusy(() => claimNextJob(workerId));
  if (!job) {
    idle++;
    await new Promise((r) => setTimeout(r, 5));
    continue;
  }
  idle = 0;
  claimed.push(job.id);
  await retryWhileBusy(() => completeJob(leaseOf(job, workerId), null));
}
await closeDb();
console.log(JSON.stringify(claimed));
