import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getJobForActor, listJobMetrics } from '@/db/queries/jobs';
import { NotFoundError } from '@/lib/auth/access';
import { requireActor } from '@/app/_lib/session';
import { toJobJson } from '../job-types';
import { JobLive } from './job-live';

export const metadata: Metadata = { title: 'Job' };

export default async function JobPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const id = Number((await params).id);
  if (!Number.isInteger(id) || id <= 0) notFound();
  let job;
  try {
    job = getJobForActor(actor, id);
  } catch (error) {
    if (error instanceof NotFoundError) notFound();
    throw error;
  }
  return <JobLive initial={toJobJson(job)} initialMetrics={listJobMetrics(id)} />;
}
