// Claims and completes jobs until none is left, waiting out a busy database as workers do (db/busy.ts);
// prints the ids it claimed (one line of JSON).
import { retryWhileBusy } from '@/db/busy';
import { closeDb } from '@/db/client';
import { claimNextJob, completeJob, leaseOf } from '@/db/queries/queue';

const workerId = process.argv[2] ?? `claimer-${process.pid}`;
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
