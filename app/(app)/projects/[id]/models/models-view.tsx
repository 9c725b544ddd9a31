'use client';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { Button, ErrorText, ProgressBar } from '@/app/_components/ui';
import { useJobMetrics } from '@/app/_lib/use-job-metrics';
import { LoraTargetsField } from '@/app/_components/lora-targets';
import { OverlaidRuns } from '@/app/_components/overlaid-runs';
import { LORA_TARGETS } from '@/lib/jobs/lora-settings';
import { ReliabilityChart, TrainingCurve, type ReliabilityBin } from './charts';
import { belowBaseline, kindLabel } from './model-labels';

type Evaluation = { accuracy: number | null; tieAwareAccuracy: number | null; logLoss: number | null; ece: number | null; decisive: number; reliability: ReliabilityBin[]; bestOf4: { accuracy: number; prompts: number } | null };
export type ModelRow = {
  id: number;
  name: string;
  kind: string;
  status: 'training' | 'ready' | 'failed';
  backend: string | null;
  jobId: number | null;
  config: Record<string, unknown>;
  metrics: { evaluation?: Evaluation; baseline?: { accuracy: number | null }; flags?: { mislabelled: number; ambiguous: number }; trainSeconds?: number; examplesPerSecond?: number; error?: string } | null;
  job: { status: string; progress: number; message: string | null; lastError: string | null } | null;
};

export const PRESETS = {
  'Bradley–Terry (fast)': { kind: 'bt' },
  'Ensemble of 5 (flags mislabelled pairs)': { kind: 'ensemble', members: 5 },
  'General preference model (cyclic preferences)': { kind: 'gpm' },
  'Regression on attribute ratings': { kind: 'regression' },
  'Bradley–Terry MLP (hidden 64)': { kind: 'bt', hidden: 64, learningRate: 0.003 },
  'Transformer encoder over BPE tokens (trained end to end)': { kind: 'bt', featurizer: 'transformer' },
} as const;

const pct = (x: number | null | undefined) => (typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : '–');

const num = (x: number | null | undefined, d = 3) => (typeof x === 'number' ? x.toFixed(d) : '–');

const CURVE = ['loss', 'test_accuracy'] as const;

function LiveCurve({ jobId }: { jobId: number }) {
  const points = useJobMetrics(jobId, CURVE);
  return points.length ? <TrainingCurve points={points} /> : <p className="text-xs text-slate-500">Waiting for the first epoch…</p>;
}

/** Launch form with presets, the list of models (live while training), and a side-by-side comparison. */
export function ModelsView({ projectId, initialModels, checkpoints }: { projectId: number; initialModels: ModelRow[]; checkpoints: string[] }) {
  const [models, setModels] = useState(initialModels);
  const [preset, setPreset] = useState<keyof typeof PRESETS>('Bradley–Terry (fast)');
  /** '' (hashed n-grams), `checkpoint:<name>` (its frozen states) or `fine-tune:<name>` (it, fine-tuned with a scalar head). */
  const [features, setFeatures] = useState('');
  const ownFeatures = 'featurizer' in PRESETS[preset];
  const [featureKind, checkpoint] = features ? [features.slice(0, features.indexOf(':')), features.slice(features.indexOf(':') + 1)] : ['', ''];
  const fineTune = featureKind === 'fine-tune' && !ownFeatures && PRESETS[preset].kind === 'bt';
  const [lora, setLora] = useState({ rank: '16', alpha: '32', targets: [...LORA_TARGETS] as string[], maxLength: '512', learningRate: '', batchSize: '4' });
  const [name, setName] = useState('');
  const [epochs, setEpochs] = useState('');
  const [members, setMembers] = useState('5');
  const [error, setError] = useState('');
  const [pending, setPending] = useState(false);
  const [compare, setCompare] = useState<number[]>([]);
  const training = models.some((m) => m.status === 'training');

  const refresh = async () => {
    const res = await fetch(`/api/v1/projects/${projectId}/reward-models`);
    if (res.ok) setModels(((await res.json()) as { models: ModelRow[] }).models);
  };
  useEffect(() => {
    if (!training) return;
    const timer = setInterval(() => void refresh(), 1500);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- refresh only reads stable props
  }, [training, projectId]);

  const chosen = models.filter((m) => compare.includes(m.id) && m.metrics?.evaluation);
  return (
    <div className="space-y-6">
      <section className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <h2 className="mb-3 text-base font-semibold text-slate-800">Train a reward model</h2>
        <form
          className="grid gap-3 md:grid-cols-4"
          onSubmit={async (e) => {
            e.preventDefault();
            setPending(true);
            setError('');
            const body = {
              ...PRESETS[preset],
              ...(name.trim() ? { name: name.trim() } : {}),
              ...(epochs ? { epochs: Number(epochs) } : {}),
              ...(PRESETS[preset].kind === 'ensemble' ? { members: Number(members) } : {}),
              ...(featureKind === 'checkpoint' && !ownFeatures ? { featurizer: 'checkpoint', checkpoint } : {}),
              ...(fineTune
                ? { featurizer: 'fine-tune', checkpoint, loraRank: Number(lora.rank || 0), loraAlpha: Number(lora.alpha || 16), loraTargets: lora.targets, maxLength: Number(lora.maxLength), batchSize: Number(lora.batchSize), ...(lora.learningRate ? { learningRate: Number(lora.learningRate) } : {}) }
                : {}),
            };
            try {
              const res = await fetch(`/api/v1/projects/${projectId}/reward-models`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
              const answer = (await res.json()) as { error?: string };
              if (!res.ok) setError(answer.error ?? `could not start (${res.status})`);
              else await refresh();
            } catch {
              setError('The server could not be reached. Try again.');
            } finally {
              setPending(false);
            }
          }}
        >
          <label className="text-sm md:col-span-2">
            <span className="mb-1 block font-medium text-slate-700">Preset</span>
            <select className="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm" value={preset} onChange={(e) => setPreset(e.target.value as keyof typeof PRESETS)}>
              {Object.keys(PRESETS).map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
          <label className="text-sm">
            <span className="mb-1 block font-medium text-slate-700">Name (optional)</span>
            <input className="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm" value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="text-sm">
            <span className="mb-1 block font-medium text-slate-700">Epochs (default {fineTune ? 1 : 10})</span>
            <input className="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm" type="number" min={1} max={200} value={epochs} onChange={(e) => setEpochs(e.target.value)} />
          </label>
          {checkpoints.length && !ownFeatures ? (
            <label className="text-sm md:col-span-2">
              <span className="mb-1 block font-medium text-slate-700">Features</span>
              <select className="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm" value={features} onChange={(e) => setFeatures(e.target.value)}>
                <option value="">Hashed word and character n-grams (default)</option>
                {checkpoints.map((c) => (
                  <option key={`checkpoint:${c}`} value={`checkpoint:${c}`}>
                    Frozen hidden states of checkpoint {c}
                  </option>
                ))}
                {PRESETS[preset].kind === 'bt'
                  ? checkpoints.map((c) => (
                      <option key={`fine-tune:${c}`} value={`fine-tune:${c}`}>
                        Fine-tune checkpoint {c} end to end with a scalar head (as TRL&apos;s RewardTrainer)
                      </option>
                    ))
                  : null}
              </select>
            </label>
          ) : null}
          {fineTune ? (
            <fieldset className="grid gap-3 rounded-md border border-slate-200 p-3 md:col-span-4 md:grid-cols-6" aria-label="Fine-tuning">
              <legend className="px-1 text-sm font-medium text-slate-700">Fine-tuning</legend>
              {(
                [
                  ['rank', 'LoRA rank (0 trains every weight)', 0, 256],
                  ['alpha', 'LoRA alpha', 1, 1024],
                  ['maxLength', 'Max tokens per response', 16, 8192],
                  ['batchSize', 'Pairs per step', 1, 256],
                ] as const
              ).map(([key, label, min, max]) => (
                <label key={key} className="text-sm">
                  <span className="mb-1 block text-slate-700">{label}</span>
                  <input className="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm" type="number" min={min} max={max} value={lora[key]} onChange={(e) => setLora({ ...lora, [key]: e.target.value })} />
                </label>
              ))}
              <label className="text-sm md:col-span-2">
                <span className="mb-1 block text-slate-700">Learning rate (default {Number(lora.rank) > 0 ? '1e-4' : '1e-5'})</span>
                <input className="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm" inputMode="decimal" value={lora.learningRate} onChange={(e) => setLora({ ...lora, learningRate: e.target.value })} />
              </label>
              {Number(lora.rank) > 0 ? (
                <LoraTargetsField className="md:col-span-6" value={lora.targets} onChange={(targets) => setLora({ ...lora, targets })} />
              ) : null}
            </fieldset>
          ) : null}
          {PRESETS[preset].kind === 'ensemble' ? (
            <label className="text-sm">
              <span className="mb-1 block font-medium text-slate-700">Members</span>
              <input className="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm" type="number" min={2} max={16} value={members} onChange={(e) => setMembers(e.target.value)} />
            </label>
          ) : null}
          <div className="self-end md:col-span-4">
            <Button type="submit" disabled={pending}>
              {pending ? 'Starting…' : 'Train'}
            </Button>
          </div>
        </form>
        <ErrorText>{error}</ErrorText>
      </section>

      <section className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <h2 className="mb-3 text-base font-semibold text-slate-800">Models</h2>
        {models.length === 0 ? (
          <p className="text-sm text-slate-600">No reward models yet.</p>
        ) : (
          <table className="w-full text-left text-sm" aria-label="Reward models">
            <thead className="text-xs text-slate-500">
              <tr>
                <th className="py-1">Compare</th>
                <th>Model</th>
                <th>Kind</th>
                <th>Status</th>
                <th>Held-out accuracy</th>
                <th>Baseline (longer wins)</th>
                <th>Log-loss</th>
                <th>ECE</th>
                <th>Backend</th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => (
                <tr key={m.id} className="border-t border-slate-100 align-top">
                  <td className="py-1">
                    <input type="checkbox" aria-label={`Compare ${m.name}`} disabled={m.status !== 'ready'} checked={compare.includes(m.id)} onChange={(e) => setCompare((c) => (e.target.checked ? [...c, m.id] : c.filter((x) => x !== m.id)))} />
                  </td>
                  <td>
                    <Link className="text-indigo-700 underline" href={`/projects/${projectId}/models/${m.id}`}>
                      {m.name}
                    </Link>
                    {m.status === 'training' && m.jobId ? (
                      <div className="mt-1 w-72 space-y-1">
                        <ProgressBar value={m.job?.progress ?? 0} label={`Training ${m.name}`} />
                        <p className="text-xs text-slate-500">{m.job?.status === 'queued' ? 'Waiting for a worker…' : (m.job?.message ?? '')}</p>
                        <LiveCurve jobId={m.jobId} />
                      </div>
                    ) : null}
                    {m.status === 'failed' ? <p className="text-xs text-rose-700">{m.metrics?.error ?? m.job?.lastError ?? 'failed'}</p> : null}
                  </td>
                  <td>{kindLabel(m)}</td>
                  <td>{m.status}</td>
                  <td>
                    {pct(m.metrics?.evaluation?.accuracy)}
                    {belowBaseline(m) ? <span className="ml-1 rounded bg-amber-100 px-1 text-xs text-amber-800">below the longer-answer baseline</span> : null}
                  </td>
                  <td>{pct(m.metrics?.baseline?.accuracy)}</td>
                  <td>{num(m.metrics?.evaluation?.logLoss)}</td>
                  <td>{num(m.metrics?.evaluation?.ece)}</td>
                  <td>{m.backend ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      {chosen.length ? (
        <section className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm" aria-label="Comparison">
          <h2 className="mb-3 text-base font-semibold text-slate-800">Side by side</h2>
          <table className="text-sm">
            <tbody>
              {(
                [
                  ['Held-out accuracy (ties excluded)', (m: ModelRow) => pct(m.metrics?.evaluation?.accuracy)],
                  ['Tie-aware accuracy', (m: ModelRow) => pct(m.metrics?.evaluation?.tieAwareAccuracy)],
                  ['Log-loss', (m: ModelRow) => num(m.metrics?.evaluation?.logLoss)],
                  ['ECE', (m: ModelRow) => num(m.metrics?.evaluation?.ece)],
                  ['Best-of-4', (m: ModelRow) => (m.metrics?.evaluation?.bestOf4 ? `${pct(m.metrics.evaluation.bestOf4.accuracy)} (${m.metrics.evaluation.bestOf4.prompts} prompts)` : '–')],
                  ['Baseline (longer wins)', (m: ModelRow) => pct(m.metrics?.baseline?.accuracy)],
                  ['Flagged: mislabelled / ambiguous', (m: ModelRow) => (m.metrics?.flags ? `${m.metrics.flags.mislabelled} / ${m.metrics.flags.ambiguous}` : '–')],
                  ['Training time', (m: ModelRow) => (m.metrics?.trainSeconds !== undefined ? `${m.metrics.trainSeconds} s (${m.metrics.examplesPerSecond} examples/s)` : '–')],
                ] as const
              ).map(([label, f]) => (
                <tr key={label} className="border-t border-slate-100">
                  <th className="py-1 pr-4 text-left font-medium text-slate-600">{label}</th>
                  {chosen.map((m) => (
                    <td key={m.id} className="pr-6">
                      {f(m)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <h3 className="mt-4 text-sm font-semibold text-slate-700">Calibration</h3>
          <ReliabilityChart models={chosen.map((m) => ({ name: m.name, bins: m.metrics!.evaluation!.reliability }))} />
          <h3 className="mt-4 text-sm font-semibold text-slate-700">Training, overlaid</h3>
          <OverlaidRuns
            runs={chosen.flatMap((m) => (m.jobId ? [{ name: m.name, jobId: m.jobId }] : []))}
            metrics={[
              { key: 'loss', title: 'Training loss', yLabel: 'loss' },
              { key: 'test_accuracy', title: 'Held-out accuracy', yLabel: 'accuracy', domain: [0, 1] },
            ]}
          />
        </section>
      ) : null}
    </div>
  );
}
