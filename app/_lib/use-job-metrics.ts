'use client';
import { useEffect, useState } from 'react';

export type MetricPoint = { step: number } & Partial<Record<string, number>>;

/**
 * A job's metrics (GET /api/v1/jobs/:id/metrics) as one row per step holding the named series, polled
 * every 1.5 s while `live` (once otherwise). The training curves of the Models and Alignment pages read it.
 */
export function useJobMetrics(jobId: number, names: readonly string[], live = true): MetricPoint[] {
  const [points, setPoints] = useState<MetricPoint[]>([]);
  const key = names.join('\n');
  useEffect(() => {
    let stop = false;
    const wanted = new Set(key.split('\n'));
    const load = async () => {
      try {
        const res = await fetch(`/api/v1/jobs/${jobId}/metrics`);
        if (!res.ok) return;
        const { metrics } = (await res.json()) as { metrics: { step: number; name: string; value: number }[] };
        const bySteps = new Map<number, MetricPoint>();
        for (const m of metrics) {
          if (!wanted.has(m.name)) continue;
          const row = bySteps.get(m.step) ?? { step: m.step };
          row[m.name] = m.value;
          bySteps.set(m.step, row);
        }
        if (!stop) setPoints([...bySteps.values()].sort((a, b) => a.step - b.step));
      } catch {
        // retried on the next tick
      }
    };
    void load();
    const timer = live ? setInterval(() => void load(), 1500) : null;
    return () => {
      stop = true;
      if (timer) clearInterval(timer);
    };
  }, [jobId, key, live]);
  return points;
}
