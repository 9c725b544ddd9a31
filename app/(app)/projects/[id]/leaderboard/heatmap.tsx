'use client';

import { Rectangle, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from 'recharts';

type Cell = { x: number; y: number; value: number | null; label: string };

/** Blue (row loses) → white (even) → red (row wins), or white → indigo for counts. */
function colour(value: number | null, kind: 'rate' | 'count', max: number): string {
  if (value === null) return '#f1f5f9';
  if (kind === 'count') {
    const t = max > 0 ? value / max : 0;
    return `rgb(${Math.round(255 - 176 * t)}, ${Math.round(255 - 185 * t)}, ${Math.round(255 - 26 * t)})`;
  }
  const t = Math.max(-1, Math.min(1, (value - 0.5) * 2));
  return t >= 0 ? `rgb(255, ${Math.round(255 - 155 * t)}, ${Math.round(255 - 155 * t)})` : `rgb(${Math.round(255 + 155 * t)}, ${Math.round(255 + 120 * t)}, 255)`;
}

/**
 * A square heatmap over systems (rows and columns in leaderboard order), drawn with recharts: a scatter
 * of categorical points whose shape is the cell rectangle, with a tooltip per cell. A text table with
 * the same numbers sits beside it for screen readers and copying.
 */
export function Heatmap({ title, systems, values, kind }: { title: string; systems: string[]; values: (number | null)[][]; kind: 'rate' | 'count' }) {
  const n = systems.length;
  const max = Math.max(0, ...values.flat().filter((v): v is number => v !== null));
  const cells: Cell[] = [];
  values.forEach((row, r) =>
    row.forEach((value, c) => cells.push({ x: c, y: r, value, label: value === null ? '–' : kind === 'rate' ? `${(value * 100).toFixed(0)}%` : String(value) })),
  );
  const size = Math.max(18, Math.min(44, Math.floor(560 / Math.max(n, 1))));
  const left = 8 + 7 * Math.max(...systems.map((s) => s.length), 4);
  const height = n * size + 90;
  return (
    <figure className="space-y-2">
      <figcaption className="text-sm font-medium text-slate-700">{title}</figcaption>
      <div role="img" aria-label={`${title}: ${n} × ${n} heatmap`} data-testid={`heatmap-${kind}`} style={{ height, maxWidth: n * size + left + 40 }}>
        <ResponsiveContainer width="100%" height="100%">
          <ScatterChart margin={{ top: 8, right: 16, bottom: 70, left: 8 }}>
            <XAxis type="number" dataKey="x" domain={[-0.5, n - 0.5]} ticks={systems.map((_, k) => k)} tickFormatter={(k: number) => systems[k] ?? ''} angle={-40} textAnchor="end" interval={0} tick={{ fontSize: 11 }} />
            <YAxis type="number" dataKey="y" domain={[-0.5, n - 0.5]} ticks={systems.map((_, k) => k)} tickFormatter={(k: number) => systems[k] ?? ''} reversed interval={0} width={left} tick={{ fontSize: 11 }} />
            <ZAxis range={[size * size, size * size]} />
            <Tooltip
              cursor={false}
              content={({ payload }) => {
                const cell = payload?.[0]?.payload as Cell | undefined;
                if (!cell) return null;
                return (
                  <div className="rounded border border-slate-200 bg-white px-2 py-1 text-xs shadow">
                    {systems[cell.y]} vs {systems[cell.x]}: {cell.label}
                  </div>
                );
              }}
            />
            <Scatter
              data={cells}
              isAnimationActive={false}
              shape={(props: { cx?: number; cy?: number; payload?: Cell }) => (
                <g>
                  <Rectangle x={(props.cx ?? 0) - size / 2} y={(props.cy ?? 0) - size / 2} width={size - 1} height={size - 1} fill={colour(props.payload?.value ?? null, kind, max)} className="heatmap-cell" />
                  {/* The value in the cell where it fits (the tooltip and the Numbers table have them all). */}
                  {size >= 28 && props.payload?.value !== null ? (
                    <text x={props.cx} y={(props.cy ?? 0) + 4} textAnchor="middle" fontSize={10} fill="#0f172a" className="heatmap-value">
                      {props.payload?.label}
                    </text>
                  ) : null}
                </g>
              )}
            />
          </ScatterChart>
        </ResponsiveContainer>
      </div>
      <ColourScale kind={kind} max={max} />
      <details className="text-xs">
        <summary className="cursor-pointer text-slate-600">Numbers</summary>
        <div className="overflow-x-auto">
          <table className="mt-1 border-collapse">
            <thead>
              <tr>
                <th className="px-1 text-left">row vs column</th>
                {systems.map((s) => (
                  <th key={s} className="px-1">
                    {s}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {values.map((row, r) => (
                <tr key={systems[r]}>
                  <th className="px-1 text-left">{systems[r]}</th>
                  {row.map((v, c) => (
                    <td key={c} className="px-1 text-right">
                      {v === null ? '–' : kind === 'rate' ? `${(v * 100).toFixed(0)}%` : v}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

/** The colour scale under a heatmap: a gradient with the values at its ends and middle. */
function ColourScale({ kind, max }: { kind: 'rate' | 'count'; max: number }) {
  const stops = Array.from({ length: 11 }, (_, k) => (kind === 'rate' ? k / 10 : (max * k) / 10));
  const labels = kind === 'rate' ? ['0% (row loses)', '50%', '100% (row wins)'] : ['0', String(Math.round(max / 2)), `${max} battles`];
  return (
    <div className="max-w-xs space-y-0.5 text-xs text-slate-600" role="img" aria-label={`Colour scale: ${labels.join(' to ')}`} data-testid={`heatmap-scale-${kind}`}>
      <div className="h-2 rounded" style={{ background: `linear-gradient(to right, ${stops.map((v) => colour(v, kind, max)).join(', ')})` }} />
      <div className="flex justify-between">
        {labels.map((l) => (
          <span key={l}>{l}</span>
        ))}
      </div>
    </div>
  );
}
