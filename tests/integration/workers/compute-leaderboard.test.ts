import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { listLatestLeaderboards } from '@/db/queries/leaderboards';
import { addProjectMember, createProject } from '@/db/queries/projects';
import { jobs } from '@/db/schema';
import { CLI_ACTOR } from '@/lib/auth/access';
import { enqueueJob } from '@/db/queries/queue';
import { runOnce } from '@/workers/run-once';
import { leaseNextTask } from '@/db/queries/annotation';
import { submitJudgment } from '@/db/queries/judgment-submit';
import { addCandidates } from '@/db/queries/candidates';
import { createActor } from '../../helpers/actors';
import { createGeneratedProject } from '../../helpers/projects';
import { queryRows } from '../../helpers/sql';

const quiet = () => undefined;
const jobRow = async (id: number) => (await getDb().select().from(jobs).where(eq(jobs.id, id)))[0]!;

describe('compute-leaderboard job', () => {
  it('stores a Bradley–Terry and a Davidson leaderboard with intervals, newest per method', async () => {
    const { projectId } = await createGeneratedProject({ prompts: 80 });
    for (const method of ['bt', 'davidson', 'style'] as const) {
      const job = await enqueueJob('compute-leaderboard', { projectId, method, rounds: 20, seed: 3 });
      expect((await runOnce({ workerId: 'lb', heartbeatMs: 50, log: quiet }))?.status).toBe('succeeded');
      expect((await jobRow(job.id)).result).toMatchObject({ systems: 5 });
    }
    const boards = await listLatestLeaderboards(projectId);
    expect(boards.map((b) => b.method).sort()).toEqual(['bt', 'davidson', 'style']);
    const style = boards.find((b) => b.method === 'style')!;
    expect(style.result.style!.map((s) => s.feature)).toEqual(['length', 'headers', 'lists', 'bold']);
    expect(style.result.rows).toHaveLength(5);
    const bt = boards.find((b) => b.method === 'bt')!;
    expect(bt.config).toEqual({ rounds: 20, seed: 3, l2: 0 });
    expect(bt.result.rows[0]!.system).toBe('atlas-70b');
    expect(bt.result.rows.every((r) => r.lower <= r.rating && r.rating <= r.upper)).toBe(true);
    expect(bt.result.matrix!.systems).toEqual(bt.result.rows.map((r) => r.system));
    expect(bt.result.matrix!.battles[0]![1]).toBe(bt.result.matrix!.battles[1]![0]);
    expect(bt.result.matrix!.winRate[0]![1]! + bt.result.matrix!.winRate[1]![0]!).toBeCloseTo(1, 12);
    expect(boards.find((b) => b.method === 'davidson')!.result.tieParameter!.value).toBeGreaterThan(0);
  });

  it('fits Plackett–Luce over k-wise rankings (ties kept) and online Elo over battles', async () => {
    const researcher = await createActor('researcher');
    const project = await createProject(researcher, { name: 'rankings', settings: { tasks: ['ranking'], rankingSize: 3 } });
    const systems = ['strong', 'middle', 'weak'];
    await addCandidates(
      researcher,
      project.id,
      Array.from({ length: 30 }, (_, p) => ({ prompt: `q${p}`, responses: systems.map((system) => ({ system, content: `${system} answers q${p}` })) })),
    );
    const annotator = await createActor('annotator');
    await addProjectMember(project.id, annotator.id, 'annotator');
    const bySystem = new Map((await queryRows<{ id: number; system: string }>('select id, system from responses where project_id = ?', project.id)).map((r) => [r.id, r.system]));
    for (let k = 0; ; k++) {
      const task = await leaseNextTask(annotator, project.id);
      if (!task) break;
      const id = (name: string) => task.responses.find((r) => bySystem.get(r.id) === name)!.id;
      // Mostly strong > middle > weak, sometimes middle first, sometimes a tie at the bottom.
      const ranking = k % 5 === 0 ? [[id('middle')], [id('strong')], [id('weak')]] : k % 5 === 1 ? [[id('strong')], [id('middle'), id('weak')]] : [[id('strong')], [id('middle')], [id('weak')]];
      await submitJudgment(annotator, project.id, { id: crypto.randomUUID(), assignmentId: task.assignmentId, ranking });
    }
    for (const method of ['pl', 'elo'] as const) {
      await enqueueJob('compute-leaderboard', { projectId: project.id, method, rounds: 30, seed: 1 });
      expect((await runOnce({ workerId: 'lb', heartbeatMs: 50, log: quiet }))?.status).toBe('succeeded');
    }
    const boards = await listLatestLeaderboards(project.id);
    const pl = boards.find((b) => b.method === 'pl')!;
    expect(pl.result.rows.map((r) => r.system)).toEqual(['strong', 'middle', 'weak']);
    expect(pl.result.rows.every((r) => r.lower <= r.rating && r.rating <= r.upper)).toBe(true);
    expect(pl.result.rows.find((r) => r.system === 'strong')!.battles).toBe(30);
    expect(boards.find((b) => b.method === 'elo')!.result.rows[0]!.system).toBe('strong');
  });

  it('rejects an unknown method at enqueue time and fails clearly on a project without comparisons', async () => {
    // @ts-expect-error an unknown method is also a compile error
    await expect(enqueueJob('compute-leaderboard', { projectId: 1, method: 'glicko' })).rejects.toThrow(/method/);
    const empty = await createProject(CLI_ACTOR, { name: 'Empty' });
    const job = await enqueueJob('compute-leaderboard', { projectId: empty.id });
    await getDb().update(jobs).set({ maxAttempts: 1 }).where(eq(jobs.id, job.id));
    expect((await runOnce({ workerId: 'lb', heartbeatMs: 50, log: quiet }))?.status).toBe('failed');
    expect((await jobRow(job.id)).lastError).toMatch(/no comparisons between different systems yet/);
  });
});
