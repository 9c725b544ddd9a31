import { z } from 'zod';
import { cancelJobForActor, enqueueProjectJob, getJobForActor, listJobsForActor, type JobView } from '@/db/queries/jobs';
import { createDemoProject } from '@/db/queries/demo';
import { CLI_ACTOR } from '@/lib/auth/access';
import { FINAL_STATUSES, JOB_STATUSES } from '@/lib/jobs/statuses';
import { emit, idSchema, parseValue, requireValue, table, type CliIO, type Command } from '../context';

const percent = (p: number) => `${Math.round(p * 100)}%`;

/** Prints a job's status line whenever it changes until the job is final (nothing with --json); returns the final job. */
export async function watchJob(id: number, io: CliIO): Promise<JobView> {
  let last = '';
  for (;;) {
    const job = await getJobForActor(CLI_ACTOR, id);
    const line = `#${job.id} ${job.status} ${percent(job.progress)} ${job.message ?? ''}`.trim();
    if (line !== last && !io.json) io.out(line);
    last = line;
    if (FINAL_STATUSES.includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function finish(job: JobView, io: CliIO): void {
  if (io.json) io.out(JSON.stringify(job, null, 2));
  if (job.status !== 'succeeded') {
    process.exitCode = 1;
    if (!io.json) io.out(`job ${job.id} ${job.status}${job.lastError ? `: ${job.lastError.split('\n')[0]}` : ''}`);
  }
}

export const jobCommands: Command[] = [
  {
    name: 'jobs list',
    usage: 'jobs list [--project <id>] [--status <status>] [--json]',
    summary: 'recent jobs with status and progress',
    options: { project: { type: 'string' }, status: { type: 'string' } },
    run: async ({ values }, io) => {
      const jobs = await listJobsForActor(CLI_ACTOR, {
        projectId: values.project === undefined ? undefined : parseValue(idSchema, values.project, '--project'),
        status: values.status === undefined ? undefined : [parseValue(z.enum(JOB_STATUSES), values.status, '--status')],
      });
      emit(io, jobs, table(jobs.map((j) => ({ ...j, progress: percent(j.progress), project: j.projectName ?? '', subject: j.subject?.name ?? '' })), ['id', 'kind', 'subject', 'status', 'progress', 'project', 'message']));
    },
  },
  {
    name: 'jobs watch',
    usage: 'jobs watch <id> [--json]',
    summary: 'follow a job until it ends (exit code 1 unless it succeeds)',
    run: async ({ positionals }, io) => finish(await watchJob(parseValue(idSchema, positionals[0], 'job id'), io), io),
  },
  {
    name: 'jobs cancel',
    usage: 'jobs cancel <id> [--json]',
    summary: 'cancel a queued job, or ask a running one to stop',
    run: async ({ positionals }, io) => {
      const job = await cancelJobForActor(CLI_ACTOR, parseValue(idSchema, positionals[0], 'job id'));
      emit(io, job, `job ${job.id}: ${job.status}`);
    },
  },
  {
    name: 'stats recompute',
    usage: 'stats recompute --project <id> [--wait] [--json]',
    summary: "enqueue the recompute-stats job for a project (--wait follows it; a worker must be running)",
    options: { project: { type: 'string' }, wait: { type: 'boolean' } },
    run: async ({ values }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const job = await enqueueProjectJob(CLI_ACTOR, 'recompute-stats', { projectId });
      if (!values.wait) return emit(io, job, `queued job ${job.id} (${job.kind})`);
      finish(await watchJob(job.id, io), io);
    },
  },
  {
    name: 'demo create',
    usage: 'demo create [--seed <n>] [--prompts <n>] [--json]',
    summary: 'generate the demo project (prompts, responses, simulated judgments) and print its id',
    options: { seed: { type: 'string' }, prompts: { type: 'string' } },
    run: async ({ values }, io) => {
      const seed = values.seed === undefined ? undefined : parseValue(z.coerce.number().int().min(0), values.seed, '--seed');
      const prompts = values.prompts === undefined ? undefined : parseValue(z.coerce.number().int().min(1).max(100_000), values.prompts, '--prompts');
      const created = await createDemoProject(CLI_ACTOR, { ...(seed === undefined ? {} : { seed }), ...(prompts === undefined ? {} : { prompts }) });
      emit(io, created, `created demo project ${created.projectId} (${created.prompts} prompts, ${created.items} items, ${created.judgments} judgments)`);
    },
  },
];
