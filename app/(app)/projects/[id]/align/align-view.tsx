'use client';
import { useEffect, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Button, ErrorText, ProgressBar } from '@/app/_components/ui';
import { useJobMetrics } from '@/app/_lib/use-job-metrics';
import { OverlaidRuns } from '@/app/_components/overlaid-runs';
import { RunCurves } from './run-curves';
import { LoraTargetsField } from '@/app/_components/lora-targets';
import { LORA_TARGETS } from '@/lib/jobs/lora-settings';

type Sample = { prompt: string; reference: string; policy: string; rewardReference?: number; rewardPolicy?: number };
type PolicyMetrics = {
  samples?: Sample[];
  winRate?: MetricsWinRate | null;
  bestOfN?: { n: number; analyticKl: number; meanRewardOfOneSample: number; meanRewardOfBest: Record<string, number> } | null;
  parameters?: number;
  lossTypes?: string[];
  rounds?: { round: number; judge: string; responses: number; comparisons: number; items: number }[];
  counts?: { trainExamples: number; evalPrompts: number };
  error?: string;
};
export type PolicyRow = {
  id: number;
  name: string;
  status: 'training' | 'ready' | 'failed';
  backend: string | null;
  jobId: number | null;
  config: Record<string, unknown>;
  metrics: PolicyMetrics | null;
  job: { status: string; progress: number; message: string | null; lastError: string | null } | null;
};

/** Presets (papers' settings where they differ from β 0.1; docs/algorithms.md#presets). */
export const ALIGN_PRESETS = {
  'DPO (sigmoid, β 0.1)': { loss: ['sigmoid'] },
  'IPO': { loss: ['ipo'] },
  'Robust DPO (ε 0.1)': { loss: ['robust'], labelSmoothing: 0.1 },
  'RPO (DPO + NLL)': { loss: ['sigmoid', 'sft'], lossWeights: [1, 0.005] },
  'KTO (thumbs up / down; both-bad is undesirable)': { loss: ['kto'] },
  'SimPO (reference-free)': { loss: ['simpo'] },
  'ORPO (reference-free)': { loss: ['orpo'] },
  'Hinge (SLiC / RSO)': { loss: ['hinge'] },
  'f-DPO, Jensen–Shannon': { loss: ['sigmoid'], divergence: 'js' },
  'SPPO (hard labels)': { loss: ['sppo_hard'] },
  'NPO (unlearn rejected responses)': { loss: ['npo'] },
} as const;

type MetricsWinRate = { winRate: number; meanPreference: number; prompts: number; rewardModelId: number; interval?: [number, number] };
const pct = (x: number | null | undefined) => (typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : '–');
/** A win rate with its 95% interval and the number of prompts behind it (runs from before intervals show the rate and count). */
const winRateText = (w: MetricsWinRate | null | undefined) =>
  w ? `${pct(w.winRate)}${w.interval ? ` (${pct(w.interval[0])}–${pct(w.interval[1])})` : ''}, ${w.prompts} prompt${w.prompts === 1 ? '' : 's'}` : '–';
const KEYS = ['loss', 'rewards/accuracies', 'rewards/margins', 'kl'] as const;

function LiveCurve({ jobId, live }: { jobId: number; live: boolean }) {
  const points = useJobMetrics(jobId, KEYS, live);
  if (!points.length) return <p className="text-xs text-slate-500">Waiting for the first step…</p>;
  return (
    <div className="h-56 w-full" role="img" aria-label="Alignment curves">
      <ResponsiveContainer>
        <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="step" />
          <YAxis yAxisId="loss" />
          <YAxis yAxisId="acc" orientation="right" domain={[0, 1]} />
          <Tooltip />
          <Legend />
          <Line yAxisId="loss" dataKey="loss" stroke="#4f46e5" dot={false} isAnimationActive={false} />
          <Line yAxisId="acc" dataKey="rewards/accuracies" stroke="#059669" dot={false} isAnimationActive={false} />
          <Line yAxisId="loss" dataKey="rewards/margins" stroke="#d97706" dot={false} isAnimationActive={false} />
          <Line yAxisId="loss" dataKey="kl" name="KL to reference" stroke="#e11d48" connectNulls isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

function Samples({ policy }: { policy: PolicyRow }) {
  const samples = policy.metrics?.samples ?? [];
  if (!samples.length) return <p className="text-sm text-slate-600">No samples.</p>;
  const judged = samples[0]!.rewardPolicy !== undefined;
  return (
    <table className="w-full table-fixed text-left text-sm" aria-label={`Samples of ${policy.name}`}>
      <thead className="text-xs text-slate-500">
        <tr>
          <th className="w-1/4 py-1">Prompt</th>
          <th>Reference (SFT)</th>
          <th>Aligned policy</th>
        </tr>
      </thead>
      <tbody>
        {samples.map((s, i) => (
          <tr key={i} className="border-t border-slate-100 align-top">
            <td className="whitespace-pre-wrap break-words py-1 pr-3 text-slate-600">{s.prompt}</td>
            <td className="whitespace-pre-wrap break-words pr-3">
              {s.reference || <em className="text-slate-400">(empty)</em>}
              {judged ? <div className="text-xs text-slate-500">reward {s.rewardReference}</div> : null}
            </td>
            <td className="whitespace-pre-wrap break-words">
              {s.policy || <em className="text-slate-400">(empty)</em>}
              {judged ? <div className="text-xs text-slate-500">reward {s.rewardPolicy}</div> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Launch form with presets, the runs (live curves while training), a side-by-side comparison, and samples. */
export function AlignView({ projectId, initialPolicies, rewardModels, checkpoints }: { projectId: number; initialPolicies: PolicyRow[]; rewardModels: { id: number; name: string; kind: string }[]; checkpoints: string[] }) {
  const [policies, setPolicies] = useState(initialPolicies);
  const [preset, setPreset] = useState<keyof typeof ALIGN_PRESETS>('DPO (sigmoid, β 0.1)');
  const [beta, setBeta] = useState('');
  const [epochs, setEpochs] = useState('');
  const [base, setBase] = useState('scratch');
  const [rewardModelId, setRewardModelId] = useState('');
  const [rounds, setRounds] = useState('1');
  const [judge, setJudge] = useState<'reward-model' | 'annotators'>('reward-model');
  const [name, setName] = useState('');
  const [loraRank, setLoraRank] = useState('0');
  const [loraAlpha, setLoraAlpha] = useState('');
  const [loraTargets, setLoraTargets] = useState<string[]>([...LORA_TARGETS]);
  const [error, setError] = useState('');
  const [pending, setPending] = useState(false);
  const [compare, setCompare] = useState<number[]>([]);
  const [open, setOpen] = useState<number | null>(initialPolicies.find((p) => p.status === 'ready')?.id ?? null);
  const training = policies.some((p) => p.status === 'training');

  const refresh = async () => {
    const res = await fetch(`/api/v1/projects/${projectId}/policies`);
    if (res.ok) setPolicies(((await res.json()) as { policies: PolicyRow[] }).policies);
  };
  useEffect(() => {
    if (!training) return;
    const timer = setInterval(() => void refresh(), 1500);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- refresh only reads stable props
  }, [training, projectId]);

  const chosen = policies.filter((p) => compare.includes(p.id) && p.status === 'ready');
  const shown = policies.find((p) => p.id === open);
  const field = 'w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm';
  return (
    <div className="space-y-6">
      <section className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <h2 className="mb-3 text-base font-semibold text-slate-800">Align a policy</h2>
        <form
          className="grid gap-3 md:grid-cols-4"
          onSubmit={async (e) => {
            e.preventDefault();
            setPending(true);
            setError('');
            const body = {
              ...ALIGN_PRESETS[preset],
              base,
              ...(name.trim() ? { name: name.trim() } : {}),
              ...(beta ? { beta: Number(beta) } : {}),
              ...(epochs ? { epochs: Number(epochs) } : {}),
              ...(rewardModelId ? { rewardModelId: Number(rewardModelId) } : {}),
              rounds: Number(rounds),
              roundJudge: judge,
              ...(Number(loraRank) > 0 ? { loraRank: Number(loraRank), loraTargets, ...(loraAlpha ? { loraAlpha: Number(loraAlpha) } : {}) } : {}),
            };
            try {
              const res = await fetch(`/api/v1/projects/${projectId}/policies`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
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
            <span className="mb-1 block font-medium text-slate-700">Loss</span>
            <select className={field} value={preset} onChange={(e) => setPreset(e.target.value as keyof typeof ALIGN_PRESETS)}>
              {Object.keys(ALIGN_PRESETS).map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
          <label className="text-sm">
            <span className="mb-1 block font-medium text-slate-700">β (default 0.1)</span>
            <input className={field} type="number" step="any" min={0} value={beta} onChange={(e) => setBeta(e.target.value)} />
          </label>
          <label className="text-sm">
            <span className="mb-1 block font-medium text-slate-700">Epochs (default 3)</span>
            <input className={field} type="number" min={1} max={50} value={epochs} onChange={(e) => setEpochs(e.target.value)} />
          </label>
          <label className="text-sm md:col-span-2">
            <span className="mb-1 block font-medium text-slate-700">Start from</span>
            <select className={field} value={base} onChange={(e) => setBase(e.target.value)}>
              <option value="scratch">A small GPT trained here from scratch</option>
              {checkpoints.map((c) => (
                <option key={c} value={`checkpoint:${c}`}>
                  Checkpoint {c}
                </option>
              ))}
              {policies
                .filter((p) => p.status === 'ready')
                .map((p) => (
                  <option key={p.id} value={`policy:${p.id}`}>
                    Policy {p.name}
                  </option>
                ))}
            </select>
          </label>
          <label className="text-sm md:col-span-2">
            <span className="mb-1 block font-medium text-slate-700">Judge with reward model</span>
            <select className={field} value={rewardModelId} onChange={(e) => setRewardModelId(e.target.value)}>
              <option value="">None</option>
              {rewardModels.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} ({m.kind})
                </option>
              ))}
            </select>
          </label>
          <label className="text-sm">
            <span className="mb-1 block font-medium text-slate-700">Rounds</span>
            <input className={field} type="number" min={1} max={5} value={rounds} onChange={(e) => setRounds(e.target.value)} />
          </label>
          <label className="text-sm">
            <span className="mb-1 block font-medium text-slate-700">Later rounds labelled by</span>
            <select className={field} value={judge} onChange={(e) => setJudge(e.target.value as 'reward-model' | 'annotators')}>
              <option value="reward-model">the reward model</option>
              <option value="annotators">annotators (adds items)</option>
            </select>
          </label>
          <label className="text-sm">
            <span className="mb-1 block font-medium text-slate-700">LoRA rank (0: all weights train)</span>
            <input className={field} type="number" min={0} max={256} value={loraRank} onChange={(e) => setLoraRank(e.target.value)} aria-describedby="lora-help" />
          </label>
          <label className="text-sm">
            <span className="mb-1 block font-medium text-slate-700">LoRA alpha (default 16)</span>
            <input className={field} type="number" step="any" min={0} value={loraAlpha} onChange={(e) => setLoraAlpha(e.target.value)} disabled={Number(loraRank) === 0} />
          </label>
          <p id="lora-help" className="text-xs text-slate-500 md:col-span-2 md:self-end">
            LoRA needs a Llama-family checkpoint to start from; it trains adapters on the projections ticked below and keeps the policy both merged and as a PEFT adapter.
          </p>
          {Number(loraRank) > 0 ? <LoraTargetsField className="md:col-span-4" value={loraTargets} onChange={setLoraTargets} /> : null}
          <label className="text-sm md:col-span-2">
            <span className="mb-1 block font-medium text-slate-700">Name (optional)</span>
            <input className={field} value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <div className="self-end md:col-span-4">
            <Button type="submit" disabled={pending}>
              {pending ? 'Starting…' : 'Align'}
            </Button>
          </div>
        </form>
        <ErrorText>{error}</ErrorText>
      </section>

      <section className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
        <h2 className="mb-3 text-base font-semibold text-slate-800">Runs</h2>
        {policies.length === 0 ? (
          <p className="text-sm text-slate-600">No alignment runs yet.</p>
        ) : (
          <table className="w-full text-left text-sm" aria-label="Alignment runs">
            <thead className="text-xs text-slate-500">
              <tr>
                <th className="py-1">Compare</th>
                <th>Run</th>
                <th>Losses</th>
                <th>Status</th>
                <th>Win rate vs reference</th>
                <th>Parameters</th>
                <th>Backend</th>
                <th>Files</th>
              </tr>
            </thead>
            <tbody>
              {policies.map((p) => (
                <tr key={p.id} id={`policy-${p.id}`} className="border-t border-slate-100 align-top">
                  <td className="py-1">
                    <input type="checkbox" aria-label={`Compare ${p.name}`} disabled={p.status !== 'ready'} checked={compare.includes(p.id)} onChange={(e) => setCompare((c) => (e.target.checked ? [...c, p.id] : c.filter((x) => x !== p.id)))} />
                  </td>
                  <td>
                    <button type="button" className="text-indigo-700 underline" onClick={() => setOpen(p.id)}>
                      {p.name}
                    </button>
                    {p.status === 'training' && p.jobId ? (
                      <div className="mt-1 w-80 space-y-1">
                        <ProgressBar value={p.job?.progress ?? 0} label={`Aligning ${p.name}`} />
                        <p className="text-xs text-slate-500">{p.job?.status === 'queued' ? 'Waiting for a worker…' : (p.job?.message ?? '')}</p>
                        <LiveCurve jobId={p.jobId} live />
                      </div>
                    ) : null}
                    {p.status === 'failed' ? <p className="text-xs text-rose-700">{p.metrics?.error ?? p.job?.lastError ?? 'failed'}</p> : null}
                  </td>
                  <td>{((p.config.loss as string[] | undefined) ?? []).join(' + ')}</td>
                  <td>{p.status}</td>
                  <td>{winRateText(p.metrics?.winRate)}</td>
                  <td>{p.metrics?.parameters?.toLocaleString('en-US') ?? '–'}</td>
                  <td>{p.backend ?? '–'}</td>
                  <td>{p.status === 'ready' ? <a className="text-indigo-700 underline" href={`/api/v1/policies/${p.id}/export`}>Download</a> : '–'}</td>
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
                  ['Losses', (p: PolicyRow) => ((p.config.loss as string[] | undefined) ?? []).join(' + ')],
                  ['β', (p: PolicyRow) => String(p.config.beta ?? 0.1)],
                  ['Win rate vs reference (95% interval, prompts)', (p: PolicyRow) => winRateText(p.metrics?.winRate)],
                  ['Mean P(policy ≻ reference)', (p: PolicyRow) => pct(p.metrics?.winRate?.meanPreference)],
                  ['Best-of-n (n, analytic KL)', (p: PolicyRow) => (p.metrics?.bestOfN ? `n = ${p.metrics.bestOfN.n}, KL ${p.metrics.bestOfN.analyticKl} nats` : '–')],
                  ['Reward: one sample → best of n', (p: PolicyRow) => (p.metrics?.bestOfN ? `${p.metrics.bestOfN.meanRewardOfOneSample.toFixed(3)} → ${Object.entries(p.metrics.bestOfN.meanRewardOfBest).map(([k, v]) => `${v.toFixed(3)} (${k})`).join(', ')}` : '–')],
                  ['Training examples', (p: PolicyRow) => String(p.metrics?.counts?.trainExamples ?? '–')],
                  ['Rounds', (p: PolicyRow) => (p.metrics?.rounds?.length ? p.metrics.rounds.map((r) => `#${r.round}: ${r.comparisons} judged, ${r.items} items`).join('; ') : '1')],
                ] as const
              ).map(([label, f]) => (
                <tr key={label} className="border-t border-slate-100">
                  <th className="py-1 pr-4 text-left font-medium text-slate-600">{label}</th>
                  {chosen.map((p) => (
                    <td key={p.id} className="pr-6">
                      {f(p)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <h3 className="mt-4 text-sm font-semibold text-slate-700">Training, overlaid</h3>
          <OverlaidRuns
            runs={chosen.flatMap((p) => (p.jobId ? [{ name: p.name, jobId: p.jobId }] : []))}
            metrics={[
              // Preference-stage steps only: both stages log `loss`.
              { key: 'loss', title: 'Preference loss', yLabel: 'loss', where: (v) => v['rewards/accuracies'] !== undefined },
              { key: 'rewards/accuracies', title: 'Reward accuracy', yLabel: 'accuracy', domain: [0, 1] },
              { key: 'rewards/margins', title: 'Reward margin', yLabel: 'β·Δ log-ratio' },
              { key: 'kl', title: 'KL to the reference', yLabel: 'KL (nats/token)' },
            ]}
          />
        </section>
      ) : null}

      {shown && shown.status === 'ready' ? (
        <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-5 shadow-sm" aria-label="Run details">
          <h2 className="text-base font-semibold text-slate-800">{shown.name}: curves and samples</h2>
          {shown.jobId ? <RunCurves jobId={shown.jobId} /> : null}
          <Samples policy={shown} />
        </section>
      ) : null}
    </div>
  );
}
