import { and, asc, desc, eq, gt, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import { isAdmin, type Actor } from '@/lib/auth/access';
import { AppError, isAppError } from '@/lib/errors';
import { enqueueJob, requestJobCancel } from './queue';
import { JOB_DEFINITIONS, type JobKind, type JobPayloadInput } from '@/lib/jobs/registry';
import type { JobStatus } from '@/lib/jobs/statuses';
import { jobMetrics, jobs, models, projectMembers, projects, type Job } from '../schema';
import { db } from '../client';
import { assertCanManageProject } from './projects';
import { waitingFor, type LiveWorkerKinds } from '@/lib/jobs/waiting-for';
import { liveWorkerKinds } from './workers';

export type JobView = {
  id: number;
  kind: string;
  title: string;
  status: JobStatus;
  projectId: number | null;
  projectName: string | null;
  progress: number;
  message: string | null;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  result: unknown;
  lockedBy: string | null;
  /** For a queued job no live worker can take: what it waits for (db/queries/workers.ts); null otherwise. */
  waitingFor: string | null;
  /** The reward model or policy the job trains or uses (payload.modelId), by name, so pages need not say "model 2". */
  subject: JobSubject | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
};

export type JobSubject = { modelId: number; name: string; kind: string };

/** The subjects of these jobs, by job id: the model rows their payloads name. */
async function jobSubjects(rows: readonly Job[]): Promise<Map<number, JobSubject>> {
  const modelIdOf = (job: Job): number | null => {
    const id = (job.payload as { modelId?: unknown } | null)?.modelId;
    return typeof id === 'number' ? id : null;
  };
  const ids = [...new Set(rows.map(modelIdOf).filter((id): id is number => id !== null))];
  if (ids.length === 0) return new Map();
  const found = await db().select({ modelId: models.id, name: models.name, kind: models.kind }).from(models).where(inArray(models.id, ids));
  const byId = new Map(found.map((m) => [m.modelId, m]));
  return new Map(rows.flatMap((job) => {
    const subject = byId.get(modelIdOf(job) ?? -1);
    return subject ? [[job.id, subject] as const] : [];
  }));
}

function toView(job: Job, projectName: string | null, live: LiveWorkerKinds | null, subject: JobSubject | null): JobView {
  const definition = (JOB_DEFINITIONS as Record<string, { title: string } | undefined>)[job.kind];
  return {
    id: job.id,
    kind: job.kind,
    title: definition?.title ?? job.kind,
    status: job.status,
    projectId: job.projectId,
    projectName,
    progress: job.progress,
    message: job.message,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    lastError: job.lastError,
    result: job.result,
    lockedBy: job.lockedBy,
    waitingFor: job.status === 'queued' && live ? waitingFor(job.kind, live) : null,
    subject,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

/** Jobs an actor may see: admins all; researchers those of projects they research. Annotators none. */
function visibility(actor: Actor): SQL | undefined {
  if (isAdmin(actor)) return undefined;
  if (!actor.id || actor.role === 'annotator') return sql`false`;
  const managed = db()
    .select({ id: projectMembers.projectId })
    .from(projectMembers)
    .where(and(eq(projectMembers.userId, actor.id), eq(projectMembers.role, 'researcher')));
  return or(inArray(jobs.projectId, managed), and(isNull(jobs.projectId), eq(jobs.createdBy, actor.id)));
}

export async function listJobsForActor(actor: Actor, options: { projectId?: number; limit?: number; status?: JobStatus[]; kind?: JobKind } = {}): Promise<JobView[]> {
  const filters = [visibility(actor)];
  if (options.kind) filters.push(eq(jobs.kind, options.kind));
  if (options.projectId !== undefined) filters.push(eq(jobs.projectId, options.projectId));
  if (options.status?.length) filters.push(inArray(jobs.status, options.status));
  const rows = await db()
    .select({ job: jobs, projectName: projects.name })
    .from(jobs)
    .leftJoin(projects, eq(projects.id, jobs.projectId))
    .where(and(...filters))
    .orderBy(desc(jobs.id))
    .limit(options.limit ?? 50);
  const live = rows.some((r) => r.job.status === 'queued') ? await liveWorkerKinds() : null;
  const subjects = await jobSubjects(rows.map((r) => r.job));
  return rows.map((r) => toView(r.job, r.projectName, live, subjects.get(r.job.id) ?? null));
}

export async function getJobForActor(actor: Actor, jobId: number): Promise<JobView> {
  const [row] = await db()
    .select({ job: jobs, projectName: projects.name })
    .from(jobs)
    .leftJoin(projects, eq(projects.id, jobs.projectId))
    .where(and(eq(jobs.id, jobId), visibility(actor)))
    .limit(1);
  if (!row) throw new AppError('not-found', `job ${jobId} not found`);
  const subjects = await jobSubjects([row.job]);
  return toView(row.job, row.projectName, row.job.status === 'queued' ? await liveWorkerKinds() : null, subjects.get(row.job.id) ?? null);
}

/**
 * A job of one kind and one project that the actor may see (e.g. an export of project 3). Any other id —
 * missing, hidden from the actor, another kind or another project's — gets the same 'not-found' error (notFound),
 * so the answer tells nothing about jobs the caller cannot see.
 */
export async function getProjectJobForActor(actor: Actor, jobId: number, expected: { kind: JobKind; projectId: number }, notFound: string): Promise<JobView> {
  let job: JobView;
  try {
    job = await getJobForActor(actor, jobId);
  } catch (error) {
    if (isAppError(error, 'not-found')) throw new AppError('not-found', notFound);
    throw error;
  }
  if (job.kind !== expected.kind || job.projectId !== expected.projectId) throw new AppError('not-found', notFound);
  return job;
}

export type MetricPoint = { id: number; step: number; name: string; value: number };

export async function listJobMetrics(jobId: number, afterId = 0, limit = 5000): Promise<MetricPoint[]> {
  return db()
    .select({ id: jobMetrics.id, step: jobMetrics.step, name: jobMetrics.name, value: jobMetrics.value })
    .from(jobMetrics)
    .where(and(eq(jobMetrics.jobId, jobId), gt(jobMetrics.id, afterId)))
    .orderBy(asc(jobMetrics.id))
    .limit(limit);
}

/**
 * Enqueues a project-scoped job after checking the actor manages that project. The check reads the project's
 * summary (row counts), so it runs before the insert's write transaction rather than holding the write lock.
 */
export async function enqueueProjectJob<K extends JobKind>(actor: Actor, kind: K, payload: JobPayloadInput<K> & { projectId: number }): Promise<JobView> {
  await assertCanManageProject(actor, payload.projectId);
  const job = await enqueueJob(kind, payload, { projectId: payload.projectId, createdBy: actor.id });
  return getJobForActor(actor, job.id);
}

export async function cancelJobForActor(actor: Actor, jobId: number): Promise<JobView> {
  const job = await getJobForActor(actor, jobId);
  if (actor.role === 'annotator') throw new AppError('forbidden', 'You do not have access to this resource');
  await requestJobCancel(job.id);
  return getJobForActor(actor, jobId);
}
