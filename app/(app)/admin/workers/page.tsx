import type { Metadata } from 'next';
import { listWorkers } from '@/db/queries/workers';
import { toWorkerJson } from './worker-types';
import { WorkersLive } from './workers-live';

export const metadata: Metadata = { title: 'Workers' };

/** The worker registry (admins only: app/(app)/admin/layout.tsx), refreshed live. */
export default async function WorkersPage() {
  const workers = (await listWorkers()).map(toWorkerJson);
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Workers</h1>
      <p className="text-sm text-slate-600">
        Every worker process on this database, on any host: <code>npm run worker</code> (all job kinds) or <code>npm run worker -- --kinds align-policy,train-reward-model</code>. A
        worker is live while it heartbeats; one silent longer than the stale timeout is unresponsive, and its job goes back to the queue.
      </p>
      <WorkersLive initial={workers} />
    </div>
  );
}
