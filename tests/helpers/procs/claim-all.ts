// Claims and completes jobs until none is left; prints the ids it claimed (one line of JSON).
import { getDb } from '@/db/client';
import { claimNextJob, completeJob } from '@/db/queries/queue';

const workerId = process.argv[2] ?? `claimer-${process.pid}`;
const db = getDb();
const claimed: number[] = [];
let idle = 0;
while (idle < 20) {
  const job = claimNextJob(db, workerId);
  if (!job) {
    idle++;
    await new Promise((r) => setTimeout(r, 5));
    continue;
  }
  idle = 0;
  claimed.push(job.id);
  completeJob(db, job.id, workerId, null);
}
console.log(JSON.stringify(claimed));
