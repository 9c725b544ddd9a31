/** What live workers run (db/queries/workers.ts, liveWorkerKinds): any at all, one of every kind, these kinds. */
export type LiveWorkerKinds = { any: boolean; all: boolean; kinds: Set<string> };

/**
 * What a queued job waits for when no live worker runs its kind — said on the job's page instead of waiting
 * silently; null when some live worker could take it.
 */
export function waitingFor(kind: string, live: LiveWorkerKinds): string | null {
  if (live.all || live.kinds.has(kind)) return null;
  return live.any ? `Waiting for a worker that runs ${kind}: no live worker takes this kind` : `Waiting for a worker that runs ${kind}: no worker is running`;
}
