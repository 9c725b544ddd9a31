/**
 * Job change notifications over LISTEN/NOTIFY (db/notify.ts and the triggers of db/migrations-pg/0001), the
 * PostgreSQL pass only (vitest.config.ts): what is announced and what is not, the listener's reconnect, and a
 * job's SSE stream that reacts at once although it no longer polls (its fallback tick is 15 s).
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { GET as jobEvents } from '@/app/api/v1/jobs/[id]/events/route';
import { withWriteTransaction } from '@/db/client';
import { jobListenerBackendPid, subscribeToJobs, type JobNotification } from '@/db/notify';
import { addJobMetrics, claimNextJob, completeJob, enqueueJob, heartbeatJob, leaseOf, reportJobProgress } from '@/db/queries/queue';
import { createApiToken } from '@/db/queries/api-tokens';
import { jobs } from '@/db/schema';
import { eq } from 'drizzle-orm';
import { getDb } from '@/db/client';
import { createActor } from '../../helpers/actors';
import { createGeneratedProject } from '../../helpers/projects';
import { collect, spawnTs, waitFor } from '../../helpers/spawn';
import { apiRequest, params } from '../../helpers/http';

const url = () => process.env.ARBITER_DATABASE_URL!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Subscribes and records every notification until `stop`. */
async function recorder() {
  const seen: JobNotification[] = [];
  const stop = await subscribeToJobs((n) => seen.push(n));
  expect(stop, 'notifications exist on PostgreSQL').toBeDefined();
  return { seen, stop: stop! };
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error('timed out');
    await sleep(10);
  }
}

const unsubscribers: (() => void)[] = [];
afterEach(() => unsubscribers.splice(0).forEach((stop) => stop()));

describe('job notifications (PostgreSQL)', () => {
  it('announces each committed change a reader shows, once per transaction, and nothing rolled back or heartbeat-only', async () => {
    const { seen, stop } = await recorder();
    unsubscribers.push(stop);
    const job = await enqueueJob('recompute-stats', { projectId: 1 }, { projectId: null });
    await until(() => seen.some((n) => n.type === 'job' && n.id === job.id && n.status === 'queued'));
    expect(seen.find((n) => n.type === 'job' && n.id === job.id)).toEqual({ type: 'job', id: job.id, kind: 'recompute-stats', status: 'queued', projectId: null });

    const claimed = (await claimNextJob('notify-test'))!;
    expect(claimed.id).toBe(job.id);
    const lease = leaseOf(claimed, 'notify-test');
    await until(() => seen.some((n) => n.type === 'job' && n.id === job.id && n.status === 'running'));

    // A heartbeat alone is not announced; progress is.
    seen.length = 0;
    await heartbeatJob(lease);
    await reportJobProgress(lease, 0.5, 'halfway');
    await until(() => seen.length > 0);
    await sleep(100);
    expect(seen).toEqual([{ type: 'job', id: job.id, kind: 'recompute-stats', status: 'running', projectId: null }]);

    // Metrics: one notification for a transaction of several points.
    seen.length = 0;
    await addJobMetrics(lease, 1, { loss: 0.5, accuracy: 0.75, lr: 0.001 });
    await until(() => seen.length > 0);
    await sleep(100);
    expect(seen).toEqual([{ type: 'metrics', id: job.id }]);

    // A rolled-back change is never announced.
    seen.length = 0;
    await withWriteTransaction(async (tx) => {
      await tx.insert(jobs).values({ kind: 'recompute-stats', payload: { projectId: 1 } });
      throw new Error('abandon');
    }).catch(() => undefined);
    await completeJob(lease, { ok: true });
    await until(() => seen.length > 0);
    await sleep(100);
    expect(seen).toEqual([{ type: 'job', id: job.id, kind: 'recompute-stats', status: 'succeeded', projectId: null }]);
  });

  it('reopens a lost listening connection, tells subscribers to re-read, and hears later changes', async () => {
    const { seen, stop } = await recorder();
    unsubscribers.push(stop);
    const pid = jobListenerBackendPid();
    expect(pid).toBeGreaterThan(0);
    const admin = new pg.Client({ connectionString: url() });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    await until(() => seen.some((n) => n.type === 'resync'), 5000);
    expect(jobListenerBackendPid()).not.toBe(pid);
    const job = await enqueueJob('recompute-stats', { projectId: 2 });
    await until(() => seen.some((n) => n.type === 'job' && n.id === job.id));
  });

  it("pushes a job's change to its SSE stream at once, with no polling", async () => {
    const researcher = await createActor('researcher');
    const token = (await createApiToken(researcher.id, { name: 'sse' })).token;
    const job = await enqueueJob('recompute-stats', { projectId: 3 }, { createdBy: researcher.id });
    const response = await jobEvents(apiRequest(`/api/v1/jobs/${job.id}/events`, { token }), params({ id: String(job.id) }));
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const read = async (pattern: RegExp, ms: number) => {
      const started = Date.now();
      while (!pattern.test(text)) {
        const left = ms - (Date.now() - started);
        if (left <= 0) throw new Error(`no ${String(pattern)} within ${ms} ms; got ${text}`);
        const chunk = await Promise.race([reader.read(), sleep(left).then(() => undefined)]);
        if (chunk?.value) text += decoder.decode(chunk.value);
      }
      return Date.now() - started;
    };
    try {
      await read(/"status":"queued"/, 3000);
      // Let the stream settle into waiting (its fallback tick is 15 s away), then change the job elsewhere.
      await sleep(300);
      // (Earlier tests left jobs queued: claim until this one is taken.)
      let claimed = await claimNextJob('sse-test');
      while (claimed?.id !== job.id) claimed = await claimNextJob('sse-test');
      const latency = await read(/"status":"running"/, 5000);
      expect(latency).toBeLessThan(2000);
      await addJobMetrics(leaseOf(claimed, 'sse-test'), 1, { loss: 1 });
      expect(await read(/event: metrics/, 5000)).toBeLessThan(2000);
    } finally {
      await reader.cancel();
    }
  });

  it('wakes an idle worker process for a new job at once, though its poll interval is a minute', async () => {
    const worker = spawnTs('workers/main.ts', ['--kinds', 'recompute-stats'], { ARBITER_WORKER_POLL_MS: '60000', ARBITER_HEARTBEAT_MS: '200' });
    const done = collect(worker);
    try {
      let output = '';
      worker.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      await waitFor(() => output.includes('waits for job notifications'), 30_000, 20);
      // Earlier tests left jobs of other kinds queued: this worker takes only recompute-stats.
      const { projectId } = await createGeneratedProject({ prompts: 5 });
      await sleep(300);
      const enqueuedAt = Date.now();
      const job = await enqueueJob('recompute-stats', { projectId }, { projectId });
      const claimedAt = await waitFor(async () => {
        const [row] = await getDb().select({ status: jobs.status }).from(jobs).where(eq(jobs.id, job.id));
        return row!.status !== 'queued' ? Date.now() : undefined;
      }, 10_000, 10);
      expect(claimedAt - enqueuedAt).toBeLessThan(1500);
    } finally {
      worker.kill('SIGTERM');
      await done;
    }
  });
});
