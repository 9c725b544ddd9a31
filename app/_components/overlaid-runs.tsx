'use client';
import { useEffect, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

const COLOURS = ['#4f46e5', '#059669', '#d97706', '#e11d48', '#0891b2', '#7c3aed', '#65a30d', '#db2777'];

type Run = { name: string; jobId: number };
type Metric = { key: string; title: string; yLabel: string; domain?: [number, number]; /** keep only the steps this says belong (e.g. the preference stage) */ where?: (row: Record<string, number>) => boolean };

/**
 * Several runs' curves on shared axes (as W&B or TensorBoard overlay them): one chart per metric, one line per
 * run, a legend naming the runs. Each run's metrics come from GET /api/v1/jobs/:id/metrics, read once.
 */
export function OverlaidRuns({ runs, metrics }: { runs: readonly Run[]; metrics: readonly Metric[] }) {
  const [byRun, setByRun] = useState<Map<number, Map<number, Record<string, number>>>>(new Map());
  const key = runs.map((r) => r.jobId).join(',');
  useEffect(() => {
    let stop = false;
    void (async () => {
      const loaded = new Map<number, Map<number, Record<string, number>>>();
      for (const jobId of key.split(',').map(Number)) {
        const res = await fetch(`/api/v1/jobs/${jobId}/metrics`).catch(() => null);
        if (!res?.ok) continue;
        const { metrics: points } = (await res.json()) as { metrics: { step: number; name: string; value: number }[] };
        const steps = new Map<number, Record<string, number>>();
        for (const p of points) steps.set(p.step, { ...steps.get(p.step), [p.name]: p.value });
        loaded.set(jobId, steps);
      }
      if (!stop) setByRun(loaded);
    })();
    return () => {
      stop = true;
    };
  }, [key]);
  return (
    <div className="grid gap-4 md:grid-cols-2" aria-label="Overlaid runs">
      {metrics.map((m) => {
        // One row per step; each run's value under its own column.
        const rows = new Map<number, Record<string, number>>();
        runs.forEach((run, k) => {
          for (const [step, values] of byRun.get(run.jobId) ?? []) {
            if (values[m.key] === undefined || (m.where && !m.where(values))) continue;
            rows.set(step, { ...rows.get(step), step, [`run${k}`]: values[m.key]! });
          }
        });
        const data = [...rows.values()].sort((a, b) => a.step! - b.step!);
        return (
          <figure key={m.key + m.title} className="space-y-1">
            <figcaption className="text-xs font-medium text-slate-700">{m.title}</figcaption>
            <div className="h-52 w-full" role="img" aria-label={`${m.title}: ${runs.map((r) => r.name).join(' vs ')}`}>
              <ResponsiveContainer>
                <LineChart data={data} margin={{ top: 4, right: 12, bottom: 16, left: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} label={{ value: 'step', position: 'insideBottom', offset: -8, fontSize: 11 }} tick={{ fontSize: 10 }} />
                  <YAxis domain={m.domain ?? ['auto', 'auto']} label={{ value: m.yLabel, angle: -90, position: 'insideLeft', fontSize: 11 }} tick={{ fontSize: 10 }} width={48} />
                  <Tooltip />
                  <Legend wrapperStyle={{ fontSize: 11 }} />
                  {runs.map((run, k) => (
                    <Line key={run.jobId} dataKey={`run${k}`} name={run.name} stroke={COLOURS[k % COLOURS.length]} dot={false} connectNulls isAnimationActive={false} />
                  ))}
                </LineChart>
              </ResponsiveContainer>
            </div>
          </figure>
        );
      })}
    </div>
  );
}
