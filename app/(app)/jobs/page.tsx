import type { Metadata } from 'next';
import { listJobsForActor } from '@/db/queries/jobs';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';
import { toJobJson } from './job-types';
import { JobsLive } from './jobs-live';

export const metadata: Metadata = { title: 'Jobs' };

export default async function JobsPage() {
  const actor = await requireActor();
  if (actor.role === 'annotator') return <Forbidden what="Jobs are for researchers and admins." />;
  const jobs = (await listJobsForActor(actor)).map(toJobJson);
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Jobs</h1>
      <p className="text-sm text-slate-600">Background work (statistics, imports, fits, alignment) runs in worker processes. This list updates live.</p>
      <JobsLive initial={jobs} />
    </div>
  );
}
