'use client';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export type MetricPoint = { step: number } & Partial<Record<string, number>>;
export type Panel = { title: string; yLabel: string; series: { key: string; name: string; color: string }[]; domain?: [number, number] };

/**
 * One small chart per panel (W&B style): its own title, axis titles (step; the quantity), and legend when it
 * holds several series. Panels with no points are left out.
 */
export function MetricPanels({ label, panels, points }: { label: string; panels: readonly Panel[]; points: readonly MetricPoint[] }) {
  const shown = panels.filter((p) => points.some((pt) => p.series.some((s) => typeof pt[s.key] === 'number')));
  if (shown.length === 0) return null;
  return (
    <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3" aria-label={label}>
      {shown.map((p) => (
        <figure key={p.title} className="space-y-1">
          <figcaption className="text-xs font-medium text-slate-700">{p.title}</figcaption>
          <div className="h-44 w-full" role="img" aria-label={`${p.title} by step`}>
            <ResponsiveContainer>
              <LineChart data={points as MetricPoint[]} margin={{ top: 4, right: 12, bottom: 16, left: 8 }}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} label={{ value: 'step', position: 'insideBottom', offset: -8, fontSize: 11 }} tick={{ fontSize: 10 }} />
                <YAxis domain={p.domain ?? ['auto', 'auto']} label={{ value: p.yLabel, angle: -90, position: 'insideLeft', fontSize: 11 }} tick={{ fontSize: 10 }} width={48} />
                <Tooltip />
                {p.series.length > 1 ? <Legend wrapperStyle={{ fontSize: 11 }} /> : null}
                {p.series.map((s) => (
                  <Line key={s.key} dataKey={s.key} name={s.name} stroke={s.color} dot={false} connectNulls isAnimationActive={false} />
                ))}
              </LineChart>
            </ResponsiveContainer>
          </div>
        </figure>
      ))}
    </div>
  );
}
