'use client';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export type ReliabilityBin = { lo: number; hi: number; count: number; confidence: number; accuracy: number };

const COLOURS = ['#4f46e5', '#e11d48', '#059669', '#d97706', '#0891b2'];

/** Reliability diagram: accuracy against confidence per bin (the diagonal is perfect calibration), one line per model. */
export function ReliabilityChart({ models }: { models: { name: string; bins: ReliabilityBin[] }[] }) {
  const points = Array.from({ length: 10 }, (_, k) => {
    const row: Record<string, number | null> = { confidence: +(0.525 + k * 0.05).toFixed(3), perfect: +(0.525 + k * 0.05).toFixed(3) };
    for (const m of models) {
      const b = m.bins[k];
      row[m.name] = b && b.count ? +b.accuracy.toFixed(3) : null;
    }
    return row;
  });
  return (
    <div className="h-64 w-full" role="img" aria-label="Reliability diagram">
      <ResponsiveContainer>
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="confidence" type="number" domain={[0.5, 1]} tickFormatter={(v: number) => v.toFixed(2)} label={{ value: 'confidence', position: 'insideBottom', offset: -4 }} />
          <YAxis domain={[0, 1]} />
          <Tooltip />
          <Legend />
          <Line dataKey="perfect" stroke="#94a3b8" strokeDasharray="4 4" dot={false} isAnimationActive={false} />
          {models.map((m, i) => (
            <Line key={m.name} dataKey={m.name} stroke={COLOURS[i % COLOURS.length]} connectNulls isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Loss and held-out accuracy per epoch, as the worker reports them. */
export function TrainingCurve({ points }: { points: { step: number; loss?: number; test_accuracy?: number }[] }) {
  return (
    <div className="h-48 w-full" role="img" aria-label="Training curve">
      <ResponsiveContainer>
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="step" />
          <YAxis yAxisId="loss" />
          <YAxis yAxisId="acc" orientation="right" domain={[0, 1]} />
          <Tooltip />
          <Legend />
          <Line yAxisId="loss" dataKey="loss" stroke="#4f46e5" isAnimationActive={false} />
          <Line yAxisId="acc" dataKey="test_accuracy" name="held-out accuracy" stroke="#059669" isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
