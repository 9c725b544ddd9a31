import type { JobView, MetricPoint } from '@/db/queries/jobs';

/** A JobView after JSON (dates become strings), as the SSE stream and server props deliver it. */
export type JobJson = Omit<JobView, 'createdAt' | 'startedAt' | 'finishedAt'> & { createdAt: string; startedAt: string | null; finishedAt: string | null };
export type { MetricPoint };

export function toJobJson(job: JobView): JobJson {
  return JSON.parse(JSON.stringify(job)) as JobJson;
}
