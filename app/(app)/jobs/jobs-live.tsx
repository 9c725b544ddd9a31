'use client';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { ProgressBar, StatusBadge } from '@/app/_components/ui';
import type { JobJson } from './job-types';

/** The job list, kept current by the /api/v1/jobs/events stream. */
export function JobsLive({ initial }: { initial: JobJson[] }) {
  const [jobs, setJobs] = useState(initial);
  const [live, setLive] = useState(false);
  useEffect(() => {
    const source = new EventSource('/api/v1/jobs/events');
    source.addEventListener('open', () => setLive(true));
    source.addEventListener('error', () => setLive(false));
    source.addEventListener('jobs', (e) => setJobs(JSON.parse((e as MessageEvent<string>).data) as JobJson[]));
    return () => source.close();
  }, []);
  return (
    <div className="rounded-lg border border-slate-200 bg-white">
      <p className="border-b border-slate-100 px-4 py-2 text-xs text-slate-500">{live ? '● live' : '○ connecting…'}</p>
      {jobs.length === 0 ? <p className="p-4 text-sm text-slate-600">No jobs yet.</p> : null}
      <ul>
        {jobs.map((job) => (
          <li key={job.id} className="grid grid-cols-[4rem_1fr_7rem_10rem] items-center gap-4 border-t border-slate-100 px-4 py-3 text-sm first:border-t-0">
            <Link href={`/jobs/${job.id}`} className="font-mono text-indigo-700 underline">
              #{job.id}
            </Link>
            <div>
              <Link href={`/jobs/${job.id}`} className="font-medium">
                {job.title}
                {job.subject ? `: ${job.subject.name}` : ''}
              </Link>
              <p className="text-xs text-slate-500">
                {job.projectName ?? '—'} · {job.waitingFor ?? job.message ?? ''}
              </p>
            </div>
            <StatusBadge status={job.status} />
            <ProgressBar value={job.progress} label={`Job ${job.id} progress`} />
          </li>
        ))}
      </ul>
    </div>
  );
}
