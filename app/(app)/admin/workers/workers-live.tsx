'use client';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import type { WorkerJson } from './worker-types';

const REFRESH_MS = 2000;
const STATE_STYLE: Record<WorkerJson['state'], string> = {
  live: 'bg-emerald-100 text-emerald-800',
  unresponsive: 'bg-amber-100 text-amber-900',
  stopped: 'bg-slate-100 text-slate-600',
};

/** The registry table, re-read from GET /api/v1/workers every 2 s (the heartbeat's own pace). */
export function WorkersLive({ initial }: { initial: WorkerJson[] }) {
  const [workers, setWorkers] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    const refresh = async () => {
      try {
        const response = await fetch('/api/v1/workers', { cache: 'no-store' });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = (await response.json()) as { workers: WorkerJson[] };
        if (!cancelled) {
          setWorkers(body.workers);
          setError(null);
        }
      } catch (e) {
        if (!cancelled) setError(e instanceof Error ? e.message : String(e));
      }
    };
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, []);
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <p className="border-b border-slate-100 px-4 py-2 text-xs text-slate-500">{error ? `○ refresh failed (${error})` : `● refreshed every ${REFRESH_MS / 1000} s`}</p>
      {workers.length === 0 ? <p className="p-4 text-sm text-slate-600">No worker has registered yet. Jobs stay queued until one runs.</p> : null}
      {workers.length > 0 ? (
        <table className="w-full text-sm">
          <thead>
            <tr className="text-left text-slate-500">
              <th className="px-4 py-2">Worker</th>
              <th>State</th>
              <th>Kinds</th>
              <th>Job</th>
              <th>Backend</th>
              <th>GPU</th>
              <th>Version</th>
              <th>Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {workers.map((w) => (
              <tr key={w.id} data-testid="worker-row" className="border-t border-slate-100">
                <td className="px-4 py-2 font-mono">{w.id}</td>
                <td>
                  <span className={`rounded px-2 py-0.5 text-xs ${STATE_STYLE[w.state]}`}>{w.state}</span>
                </td>
                <td>{w.kinds ? w.kinds.join(', ') : 'all'}</td>
                <td>
                  {w.currentJobId ? (
                    <Link className="font-mono text-indigo-700 underline" href={`/jobs/${w.currentJobId}`}>
                      #{w.currentJobId}
                    </Link>
                  ) : (
                    <span className="text-slate-400">idle</span>
                  )}
                </td>
                <td>{w.backend ?? '—'}</td>
                <td>{w.gpu ?? '—'}</td>
                <td>{w.version}</td>
                <td>{(w.lastSeenMs / 1000).toFixed(1)} s ago</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
