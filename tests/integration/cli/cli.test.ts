import { describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { jobs } from '@/db/schema';
import { collect, runTs, spawnTs } from '../../helpers/spawn';

const cli = (...args: string[]) => runTs('cli/main.ts', args);
const bin = (...args: string[]) => runTs('bin/arbiter.js', args);

describe('CLI', () => {
  it('creates a project and prints it with its id; --json is machine-readable', async () => {
    const text = await cli('project', 'create', '--name', 'From the CLI');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^created project (\d+): From the CLI/);
    const json = await cli('project', 'create', '--name', 'Second', '--overlap', '3', '--json');
    const project = JSON.parse(json.stdout) as { id: number; name: string };
    expect(project.name).toBe('Second');
    const list = JSON.parse((await bin('project', 'list', '--json')).stdout) as { id: number; name: string }[];
    expect(list.map((p) => p.name)).toEqual(['From the CLI', 'Second']);
  });

  it('rejects bad input with a clear message and a non-zero exit code', async () => {
    const missing = await cli('project', 'create');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('error: --name is required\n');
    const badOverlap = await cli('project', 'create', '--name', 'x', '--overlap', 'lots');
    expect(badOverlap.code).toBe(2);
    expect(badOverlap.stderr).toMatch(/--overlap: /);
    const unknown = await cli('project', 'destroy');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'project destroy'/);
    const notFound = await cli('jobs', 'watch', '999', '--json');
    expect(notFound.code).toBe(1);
    expect(JSON.parse(notFound.stderr)).toEqual({ error: 'job 999 not found' });
    const badFlag = await cli('user', 'create', '--email', 'a@example.com', '--bogus');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/Unknown option '--bogus'/);
  });

  it('creates users, invites and tokens', async () => {
    const created = await cli('user', 'create', '--email', 'res@example.com', '--password', 'research-pw', '--role', 'researcher', '--json');
    expect(JSON.parse(created.stdout)).toMatchObject({ email: 'res@example.com', role: 'researcher' });
    const weak = await cli('user', 'create', '--email', 'weak@example.com', '--password', 'short');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/password: password must be at least 8 characters/);
    const invite = await cli('user', 'invite', '--role', 'annotator', '--project', '1');
    expect(invite.stdout).toMatch(/\/invite\/inv_[\w-]+\n\(annotator, expires /);
    const invites = JSON.parse((await cli('user', 'invites', '--json')).stdout) as { id: number; role: string; projectId: number; status: string }[];
    expect(invites[0]).toMatchObject({ role: 'annotator', projectId: 1, status: 'open' });
    expect((await cli('user', 'revoke-invite', String(invites[0]!.id))).stdout).toBe(`invite ${invites[0]!.id} revoked\n`);
    const gone = await cli('user', 'revoke-invite', String(invites[0]!.id));
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(`error: invite ${invites[0]!.id} not found\n`);
    const member = await cli('project', 'add-member', '1', '--user', 'res@example.com', '--role', 'researcher');
    expect(member.stdout).toBe('res@example.com is now researcher of project 1\n');
    const ghost = await cli('project', 'add-member', '1', '--user', 'ghost@example.com');
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toBe('error: no user with email ghost@example.com; invite them first\n');
    const token = await cli('token', 'create', '--user', 'res@example.com', '--name', 'laptop', '--json');
    expect(JSON.parse(token.stdout)).toMatchObject({ name: 'laptop', token: expect.stringMatching(/^arb_/) });
  });

  it('generates the demo project, enqueues its statistics job and cancels it', async () => {
    const demo = await cli('demo', 'create', '--prompts', '8', '--json');
    const { projectId } = JSON.parse(demo.stdout) as { projectId: number };
    expect(projectId).toBeGreaterThan(0);
    const queued = await cli('stats', 'recompute', '--project', String(projectId));
    const jobId = Number(/queued job (\d+)/.exec(queued.stdout)?.[1]);
    expect(jobId).toBeGreaterThan(0);
    const listed = JSON.parse((await cli('jobs', 'list', '--json')).stdout) as { id: number; status: string }[];
    expect(listed.find((j) => j.id === jobId)?.status).toBe('queued');
    const cancelled = await cli('jobs', 'cancel', String(jobId));
    expect(cancelled.stdout).toBe(`job ${jobId}: cancelled\n`);
    expect((await getDb().select().from(jobs)).find((j) => j.id === jobId)?.status).toBe('cancelled');
  });

  it('watches a job that a worker runs until it succeeds (exit code 0), printing its progress', async () => {
    const demo = JSON.parse((await cli('demo', 'create', '--prompts', '20', '--json')).stdout) as { projectId: number };
    const queued = await cli('stats', 'recompute', '--project', String(demo.projectId), '--json');
    const job = JSON.parse(queued.stdout) as { id: number };
    const worker = collect(spawnTs('workers/main.ts', ['--exit-when-idle'], { ARBITER_WORKER_POLL_MS: '50' }));
    const watched = await cli('jobs', 'watch', String(job.id));
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(new RegExp(`#${job.id} succeeded 100% \\d+ comparisons, 5 systems`));
    expect((await worker).code).toBe(0);
  });

  it('prints an Arena Bradley–Terry leaderboard with bootstrap intervals, and refuses what it cannot do', async () => {
    const demo = JSON.parse((await cli('demo', 'create', '--prompts', '60', '--json')).stdout) as { projectId: number };
    const run = await cli('leaderboard', '--project', String(demo.projectId), '--bootstrap', '50', '--seed', '1', '--json');
    expect(run.code, run.stderr).toBe(0);
    const board = JSON.parse(run.stdout) as { rows: { system: string; rating: number; lower: number; upper: number; rank: number }[]; config: { rounds: number; seed: number } };
    expect(board.config).toMatchObject({ rounds: 50, seed: 1 });
    expect(board.rows[0]!.system).toBe('atlas-70b');
    expect(board.rows.at(-1)!.system).toBe('ember-3b');
    for (const row of board.rows) expect(row.lower).toBeLessThanOrEqual(row.rating);
    const text = await cli('leaderboard', '--project', String(demo.projectId), '--bootstrap', '10');
    expect(text.stdout).toMatch(/Bradley–Terry \(Arena\), \d+ battles, 10 bootstrap rounds, seed 0, L2 prior 0/);
    const davidson = await cli('leaderboard', '--project', String(demo.projectId), '--method', 'davidson', '--bootstrap', '10');
    expect(davidson.code, davidson.stderr).toBe(0);
    expect(davidson.stdout).toMatch(/Davidson tie model, \d+ battles, 10 bootstrap rounds, seed 0, tie parameter ν = \d\.\d{3} \(/);
    const elo = await cli('leaderboard', '--project', String(demo.projectId), '--method', 'elo', '--bootstrap', '10', '--json');
    expect(elo.code, elo.stderr).toBe(0);
    expect(JSON.parse(elo.stdout)).toMatchObject({ method: 'elo', config: { k: 4, rounds: 10 } });
    const method = await cli('leaderboard', '--project', String(demo.projectId), '--method', 'glicko');
    expect(method.code).toBe(2);
    expect(method.stderr).toMatch(/--method: method must be bt, style, davidson, rao-kupper, pl or elo/);
    const style = await cli('leaderboard', '--project', String(demo.projectId), '--method', 'style', '--bootstrap', '10');
    expect(style.code, style.stderr).toBe(0);
    // The demo generator writes better answers longer: length gets a positive coefficient.
    expect(style.stdout).toMatch(/style coefficients .*: length \d\.\d{3} \(/);
    const empty = JSON.parse((await cli('project', 'create', '--name', 'Empty', '--json')).stdout) as { id: number };
    const none = await cli('leaderboard', '--project', String(empty.id));
    expect(none.stderr).toBe(`error: project ${empty.id} has no comparisons between different systems yet\n`);
  });

  it('prints the quality report of a project (agreement, biases, cycles)', async () => {
    const demo = JSON.parse((await cli('demo', 'create', '--prompts', '60', '--json')).stdout) as { projectId: number };
    const run = await cli('quality', '--project', String(demo.projectId), '--json');
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as { judgments: number; annotators: number; agreement: { alphaChoice: number }; positionBias: { share: number }; lengthBias: { share: number } };
    expect(r.annotators).toBe(4);
    expect(r.judgments).toBeGreaterThan(100);
    expect(r.agreement.alphaChoice).toBeGreaterThan(0.3);
    expect(r.positionBias.share).toBeGreaterThan(0.35);
    expect(r.positionBias.share).toBeLessThan(0.65);
    expect(r.lengthBias.share).toBeGreaterThan(0.6); // the generator writes better answers longer
    // Dawid–Skene: the generator's annotators differ in noise; every one gets an accuracy and a weight.
    const reliability = (r as unknown as { reliability: { annotators: { accuracy: number; weight: number }[]; converged: boolean } }).reliability;
    expect(reliability.converged).toBe(true);
    expect(reliability.annotators).toHaveLength(4);
    expect(reliability.annotators.every((a) => a.accuracy > 0.4 && a.accuracy < 1 && Number.isFinite(a.weight))).toBe(true);
    const text = await cli('quality', '--project', String(demo.projectId));
    expect(text.stdout).toMatch(/Krippendorff α \(choice, nominal\) \d\.\d{3}/);
    expect(text.stdout).toMatch(/DS accuracy/);
  });
});
