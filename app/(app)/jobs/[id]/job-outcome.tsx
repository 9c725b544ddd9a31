import Link from 'next/link';
import { ExportDownloads } from '@/app/(app)/projects/[id]/export/export-downloads';
import type { JobJson } from '../job-types';

const pct = (x: unknown) => (typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : null);
const count = (x: unknown) => (typeof x === 'number' ? x.toLocaleString('en') : '?');
const linkClass = 'font-medium text-indigo-700 underline';

/** Where a job's subject lives: a policy on the Alignment page, a reward model on its own page. */
export function subjectHref(job: Pick<JobJson, 'projectId' | 'subject'>): string | null {
  if (!job.projectId || !job.subject) return null;
  return job.subject.kind === 'policy' ? `/projects/${job.projectId}/align#policy-${job.subject.modelId}` : `/projects/${job.projectId}/models/${job.subject.modelId}`;
}

/**
 * What a finished job produced, in words with links to it: a leaderboard job to the leaderboard, a model job
 * to its model, an export to its files, a statistics job to the project. The raw result stays one click away.
 */
export function JobOutcome({ job }: { job: JobJson }) {
  if (job.status !== 'succeeded' || job.result === null || typeof job.result !== 'object') return null;
  const r = job.result as Record<string, unknown>;
  const project = job.projectId ? `/projects/${job.projectId}` : null;
  const subject = subjectHref(job);
  let body: React.ReactNode = null;
  if (job.kind === 'compute-leaderboard' && project) {
    body = (
      <p>
        A leaderboard of {count(r.systems)} systems from {count(r.battles)} battles.{' '}
        <Link className={linkClass} href={`${project}/leaderboard`}>
          Open the leaderboard
        </Link>
      </p>
    );
  } else if ((job.kind === 'train-reward-model' || job.kind === 'align-policy') && subject) {
    const evaluation = (r.evaluation ?? null) as { accuracy?: number | null } | null;
    const baseline = (r.baseline ?? null) as { accuracy?: number | null } | null;
    const winRate = r.winRate as number | null | undefined;
    body = (
      <p>
        {job.kind === 'align-policy' ? 'Policy' : 'Reward model'} <strong>{job.subject!.name}</strong>
        {pct(evaluation?.accuracy) ? ` · held-out accuracy ${pct(evaluation?.accuracy)}` : ''}
        {pct(baseline?.accuracy) ? ` (longer answer wins: ${pct(baseline?.accuracy)})` : ''}
        {pct(winRate) ? ` · wins ${pct(winRate)} against its reference` : ''}.{' '}
        <Link className={linkClass} href={subject}>
          Open {job.kind === 'align-policy' ? 'the policy' : 'the model'}
        </Link>
      </p>
    );
  } else if (job.kind === 'export-dataset' && job.projectId && Array.isArray(r.files)) {
    const counts = (r.counts ?? {}) as { pairs?: number };
    body = (
      <div className="space-y-2">
        <p>
          {count(counts.pairs)} pairs in {r.files.length} files.
        </p>
        <ExportDownloads projectId={job.projectId} jobId={job.id} files={r.files as string[]} />
      </div>
    );
  } else if (job.kind === 'recompute-stats' && project) {
    body = (
      <p>
        Statistics over {count(r.comparisons)} comparisons of {count(r.systems)} systems ({count(r.judgments)} judgments).{' '}
        <Link className={linkClass} href={project}>
          Open the project
        </Link>{' '}
        ·{' '}
        <Link className={linkClass} href={`${project}/quality`}>
          Quality
        </Link>
      </p>
    );
  } else if (job.kind === 'score-records' && subject) {
    body = (
      <p>
        {count(r.rows)} rows scored by <strong>{job.subject!.name}</strong>
        {pct(r.accuracy) ? ` · accuracy on their pairs ${pct(r.accuracy)}` : ''}.{' '}
        {typeof r.resultUrl === 'string' ? (
          <a className={linkClass} href={r.resultUrl}>
            Download the scores
          </a>
        ) : null}{' '}
        ·{' '}
        <Link className={linkClass} href={subject}>
          Open the model
        </Link>
      </p>
    );
  }
  return (
    <section aria-label="Result" className="space-y-3 rounded-lg border border-emerald-200 bg-emerald-50 p-5 text-sm text-emerald-950">
      <h2 className="text-base font-semibold">Result</h2>
      {body}
      <details>
        <summary className="cursor-pointer text-xs text-emerald-800">Raw result (JSON)</summary>
        <pre className="mt-2 overflow-x-auto rounded bg-white p-2 text-xs text-slate-800">{JSON.stringify(job.result, null, 2)}</pre>
      </details>
    </section>
  );
}
