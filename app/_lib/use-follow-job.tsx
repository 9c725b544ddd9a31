'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';
import { ProgressBar } from '@/app/_components/ui';

type FollowedJob = { id: number; status: string; progress: number; message: string | null; lastError: string | null };
const FINAL = ['succeeded', 'failed', 'cancelled'];

/**
 * Starts following a job the page just queued (GET /api/v1/jobs/:id/events, the job page's stream) and, when it
 * ends, refreshes the page's server data in place: the user stays where they were and sees the result appear.
 */
export function useFollowJob(): { job: FollowedJob | null; follow: (jobId: number) => void } {
  const router = useRouter();
  const [jobId, setJobId] = useState<number | null>(null);
  const [job, setJob] = useState<FollowedJob | null>(null);
  useEffect(() => {
    if (jobId === null) return;
    const source = new EventSource(`/api/v1/jobs/${jobId}/events`);
    source.addEventListener('job', (e) => {
      const next = JSON.parse((e as MessageEvent<string>).data) as FollowedJob;
      setJob(next);
      if (FINAL.includes(next.status)) {
        source.close();
        router.refresh();
      }
    });
    source.addEventListener('end', () => source.close());
    return () => source.close();
  }, [jobId, router]);
  const follow = useCallback((id: number) => {
    setJob({ id, status: 'queued', progress: 0, message: null, lastError: null });
    setJobId(id);
  }, []);
  return { job, follow };
}

/** The followed job's state under the button that started it: progress while it runs, the outcome after. */
export function FollowedJobStatus({ job, doneText }: { job: FollowedJob | null; doneText: string }) {
  if (!job) return null;
  const link = (
    <Link className="underline" href={`/jobs/${job.id}`}>
      job #{job.id}
    </Link>
  );
  return (
    <div role="status" className="space-y-1 text-sm" data-testid="followed-job">
      {job.status === 'succeeded' ? (
        <p className="text-emerald-800">
          {doneText} ({link})
        </p>
      ) : job.status === 'failed' || job.status === 'cancelled' ? (
        <p className="text-rose-700">
          {link} {job.status}
          {job.lastError ? `: ${job.lastError.split('\n')[0]}` : ''}
        </p>
      ) : (
        <>
          <p className="text-slate-600">
            {job.status === 'queued' ? 'Queued' : 'Running'} · {Math.round(job.progress * 100)}%{job.message ? ` · ${job.message}` : ''} ({link})
          </p>
          <ProgressBar value={job.progress} label={`Job ${job.id} progress`} />
        </>
      )}
    </div>
  );
}
