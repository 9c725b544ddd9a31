/**
 * One simulated annotator in its own process: lease → submit until no work is left, against the
 * shared database. Prints the item ids it answered as JSON on the last line.
 * Args: projectId, then user ids (this process answers as each in turn, interleaving them).
 * ARBITER_TEST_LIMIT caps the answers (bench/annotation.ts). With ARBITER_TEST_GO set, prints "ready" and waits for that file, so several processes start together.
 * ARBITER_TEST_PACE_MS waits that long after each answer, so on a loaded machine the first process to wake cannot finish everything before the others start.
 */
import fs from 'node:fs';
import { openDatabase } from '@/db/client';
import { leaseNextTask } from '@/db/queries/annotation';
import { submitJudgment } from '@/db/queries/judgment-submit';
import type { Actor } from '@/lib/auth/access';

const [projectIdArg, ...userIds] = process.argv.slice(2);
const projectId = Number(projectIdArg);
const actors: Actor[] = userIds.map((id) => ({ id, role: 'annotator', name: id, email: null, via: 'session' }));
const go = process.env.ARBITER_TEST_GO;
if (go) {
  await openDatabase(); // open (and migrate) before the start line
  console.log('ready');
  while (!fs.existsSync(go)) await new Promise((r) => setTimeout(r, 2));
}
const answered: number[] = [];
const limit = Number(process.env.ARBITER_TEST_LIMIT ?? Infinity);
const pace = Number(process.env.ARBITER_TEST_PACE_MS ?? 0);
const active = new Set(actors);
while (active.size && answered.length < limit) {
  for (const actor of [...active]) {
    const task = await leaseNextTask(actor, projectId);
    if (!task) {
      active.delete(actor);
      continue;
    }
    await submitJudgment(actor, projectId, { id: crypto.randomUUID(), assignmentId: task.assignmentId, winner: 'a' });
    answered.push(task.itemId);
    if (pace) await new Promise((r) => setTimeout(r, pace));
  }
}
console.log(JSON.stringify(answered));
