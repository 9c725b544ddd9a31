/**
 * One simulated annotator in its own process: lease → submit until no work is left, against the
 * shared database. Prints the item ids it answered as JSON on the last line.
 * Args: projectId, then user ids (this process answers as each in turn, interleaving them).
 */
import { leaseNextTask, submitJudgment } from '@/db/queries/annotation';
import type { Actor } from '@/lib/auth/access';

const [projectIdArg, ...userIds] = process.argv.slice(2);
const projectId = Number(projectIdArg);
const actors: Actor[] = userIds.map((id) => ({ id, role: 'annotator', name: id, email: null, via: 'session' }));
const answered: number[] = [];
const active = new Set(actors);
while (active.size) {
  for (const actor of [...active]) {
    const task = leaseNextTask(actor, projectId);
    if (!task) {
      active.delete(actor);
      continue;
    }
    submitJudgment(actor, projectId, { id: crypto.randomUUID(), assignmentId: task.assignmentId, winner: 'a' });
    answered.push(task.itemId);
  }
}
console.log(JSON.stringify(answered));
