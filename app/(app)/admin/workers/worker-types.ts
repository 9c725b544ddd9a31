import type { WorkerView } from '@/db/queries/workers';

/** A WorkerView after JSON (dates become strings), as GET /api/v1/workers and the page's props deliver it. */
export type WorkerJson = Omit<WorkerView, 'startedAt' | 'heartbeatAt' | 'stoppedAt'> & { startedAt: string; heartbeatAt: string; stoppedAt: string | null };

export function toWorkerJson(worker: WorkerView): WorkerJson {
  return JSON.parse(JSON.stringify(worker)) as WorkerJson;
}
