'use client';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { Button, Card, ErrorText, ProgressBar, StatusBadge } from '@/app/_components/ui';
import { cancelJobAction } from '../actions';
import { formatDuration, type JobJson, type MetricPoint } from '../job-types';
import { JobOutcome, subjectHref } from './job-outcome';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' }) : null);


const FINAL = ['succeeded', 'failed', 'cancelled'];

/** One job, followed live over /api/v1/jobs/:id/events until it ends. */
export function JobLive({ initial, initialMetrics }: { initial: JobJson; initialMetrics: MetricPoint[] }) {
  const [job, setJob] = useState(initial);
  const [metrics, setMetrics] = useState(initialMetrics);
  const [error, setError] = useState('');
  const isFinal = FINAL.includes(job.status);
  /** The clock a running job's duration counts to, ticking each second while it runs. */
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    if (isFinal) return;
    const tick = () => setNow(Date.now());
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [isFinal]);

  useEffect(() => {
    if (FINAL.includes(initial.status)) return;
    const source = new EventSource(`/api/v1/jobs/${initial.id}/events`);
    source.addEventListener('job', (e) => setJob(JSON.parse((e as MessageEvent<string>).data) as JobJson));
    source.addEventListener('metrics', (e) => {
      const points = JSON.parse((e as MessageEvent<string>).data) as MetricPoint[];
      setMetrics((m) => [...m.filter((p) => !points.some((q) => q.id === p.id)), ...points]);
    });
    source.addEventListener('end', () => source.close());
    return () => source.close();
  }, [initial.id, initial.status]);

  const latest = new Map<string, MetricPoint>();
  for (const m of metrics) latest.set(m.name, m);

  return (
    <div className="space-y-6">
      <div className="flex items-center gap-3">
        <h1 className="text-2xl font-semibold">
          Job #{job.id}: {job.title}
          {job.subject ? (
            <>
              {' · '}
              <Link className="text-indigo-700 underline" href={subjectHref(job) ?? '#'}>
                {job.subject.name}
              </Link>
            </>
          ) : null}
        </h1>
        <StatusBadge status={job.status} />
      </div>
      <Card>
        <div className="space-y-3">
          <ProgressBar value={job.progress} label="Job progress" />
          <p className="text-sm text-slate-700" aria-live="polite">
            <span data-testid="job-status">{job.status}</span> · {Math.round(job.progress * 100)}% · {job.message ?? ''}
          </p>
          {job.waitingFor ? (
            <p role="status" data-testid="job-waiting-for" className="rounded border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
              {job.waitingFor}. Start one with <code>npm run worker -- --kinds {job.kind}</code> (or without --kinds); the{' '}
              <Link className="underline" href="/admin/workers">
                Workers
              </Link>{' '}
              page lists those running.
            </p>
          ) : null}
          <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm sm:grid-cols-4" aria-label="Times">
            <div>
              <dt className="text-xs text-slate-500">Queued</dt>
              <dd>{when(job.createdAt)}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Started</dt>
              <dd>{when(job.startedAt) ?? 'not yet'}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Finished</dt>
              <dd>{when(job.finishedAt) ?? (isFinal ? '—' : 'running')}</dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Duration</dt>
              <dd data-testid="job-duration">{job.startedAt && (job.finishedAt || now) ? formatDuration((job.finishedAt ? Date.parse(job.finishedAt) : now!) - Date.parse(job.startedAt)) : '—'}</dd>
            </div>
          </dl>
          <p className="text-xs text-slate-500">
            attempt {job.attempts}/{job.maxAttempts}
            {job.lockedBy ? ` · worker ${job.lockedBy}` : ''}
            {job.projectId ? (
              <>
                {' '}
                · project <Link className="underline" href={`/projects/${job.projectId}`}>{job.projectName}</Link>
              </>
            ) : null}
          </p>
          {job.lastError ? <pre className="overflow-x-auto rounded bg-rose-50 p-2 text-xs text-rose-800">{job.lastError}</pre> : null}
          {!isFinal ? (
            <Button
              variant="danger"
              onClick={async () => {
                const result = await cancelJobAction({ jobId: job.id });
                if (!result.ok) setError(result.error);
              }}
            >
              Cancel job
            </Button>
          ) : null}
          <ErrorText>{error}</ErrorText>
        </div>
      </Card>
      {latest.size > 0 ? (
        <Card title="Metrics (latest)">
          <dl className="grid grid-cols-2 gap-3 text-sm md:grid-cols-4">
            {[...latest.values()].map((m) => (
              <div key={m.name}>
                <dt className="text-xs text-slate-500">{m.name}</dt>
                <dd className="font-mono">{Number.isInteger(m.value) ? m.value : m.value.toFixed(4)} <span className="text-xs text-slate-400">@ step {m.step}</span></dd>
              </div>
            ))}
          </dl>
        </Card>
      ) : null}
      <JobOutcome job={job} />
    </div>
  );
}
