import type { JobView, MetricPoint } from '@/db/queries/jobs';

/** A JobView after JSON (dates become strings), as the SSE stream and server props deliver it. */
export type JobJson = Omit<JobView, 'createdAt' | 'startedAt' | 'finishedAt'> & { createdAt: string; startedAt: string | null; finishedAt: string | null };
export type { MetricPoint };

export function toJobJson(job: JobView): JobJson {
  return JSON.parse(JSON.stringify(job)) as JobJson;
}

/** A duration as "12 s", "4 min 5 s" or "2 h 3 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
