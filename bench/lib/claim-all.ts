// Claims and completes jobs until the queue stays empty; prints how many it took.
import { getDb } from '@/db/client';
import { claimNextJob, completeJob } from '@/lib/jobs/queue';

const workerId = `bench-${process.pid}`;
const db = getDb();
let claimed = 0;
let idle = 0;
while (idle < 10) {
  const job = claimNextJob(db, workerId);
  if (!job) {
    idle++;
    await new Promise((r) => setTimeout(r, 5));
    continue;
  }
  idle = 0;
  claimed++;
  completeJob(db, job.id, workerId, null);
}
console.log(claimed);
