import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { listLatestLeaderboards } from '@/db/queries/leaderboards';
import { createProject } from '@/db/queries/projects';
import { jobs } from '@/db/schema';
import { CLI_ACTOR } from '@/lib/auth/access';
import { enqueueJob } from '@/lib/jobs/queue';
import { runOnce } from '@/workers/run-once';
import { createGeneratedProject } from '../../helpers/projects';

const quiet = () => undefined;
const jobRow = (id: number) => getDb().select().from(jobs).where(eq(jobs.id, id)).get()!;

describe('compute-leaderboard job', () => {
  it('stores a Bradley–Terry and a Davidson leaderboard with intervals, newest per method', async () => {
    const { projectId } = createGeneratedProject({ prompts: 80 });
    for (const method of ['bt', 'davidson'] as const) {
      const job = enqueueJob(getDb(), 'compute-leaderboard', { projectId, method, rounds: 20, seed: 3 });
      expect((await runOnce({ workerId: 'lb', heartbeatMs: 50, log: quiet }))?.status).toBe('succeeded');
      expect(jobRow(job.id).result).toMatchObject({ systems: 5 });
    }
    const boards = listLatestLeaderboards(projectId);
    expect(boards.map((b) => b.method).sort()).toEqual(['bt', 'davidson']);
    const bt = boards.find((b) => b.method === 'bt')!;
    expect(bt.config).toEqual({ rounds: 20, seed: 3, l2: 0 });
    expect(bt.result.rows[0]!.system).toBe('atlas-70b');
    expect(bt.result.rows.every((r) => r.lower <= r.rating && r.rating <= r.upper)).toBe(true);
    expect(boards.find((b) => b.method === 'davidson')!.result.tieParameter!.value).toBeGreaterThan(0);
  });

  it('rejects an unknown method at enqueue time and fails clearly on a project without comparisons', async () => {
    // @ts-expect-error an unknown method is also a compile error
    expect(() => enqueueJob(getDb(), 'compute-leaderboard', { projectId: 1, method: 'glicko' })).toThrow(/method/);
    const empty = createProject(CLI_ACTOR, { name: 'Empty' });
    const job = enqueueJob(getDb(), 'compute-leaderboard', { projectId: empty.id });
    getDb().update(jobs).set({ maxAttempts: 1 }).where(eq(jobs.id, job.id)).run();
    expect((await runOnce({ workerId: 'lb', heartbeatMs: 50, log: quiet }))?.status).toBe('failed');
    expect(jobRow(job.id).lastError).toMatch(/no comparisons between different systems yet/);
  });
});
