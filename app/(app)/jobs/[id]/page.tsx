import type { Metadata } from 'next';
import { getJobForActor, listJobMetrics } from '@/db/queries/jobs';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { toJobJson } from '../job-types';
import { JobLive } from './job-live';

export const metadata: Metadata = { title: 'Job' };

export default async function JobPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const job = await loadOr404((await params).id, (id) => getJobForActor(actor, id));
  return <JobLive initial={toJobJson(job)} initialMetrics={await listJobMetrics(job.id)} />;
}
