'use client';
import { MetricPanels, type Panel } from '@/app/_components/metric-panels';
import { useJobMetrics } from '@/app/_lib/use-job-metrics';

/** TRL's DPO metrics, each in its own panel (names as DPOTrainer logs them). */
const PO_PANELS: Panel[] = [
  { title: 'Preference loss', yLabel: 'loss', series: [{ key: 'loss', name: 'loss', color: '#4f46e5' }] },
  { title: 'Reward accuracy (chosen over rejected)', yLabel: 'accuracy', domain: [0, 1], series: [{ key: 'rewards/accuracies', name: 'rewards/accuracies', color: '#059669' }] },
  { title: 'Reward margin', yLabel: 'β·Δ log-ratio', series: [{ key: 'rewards/margins', name: 'rewards/margins', color: '#d97706' }] },
  {
    title: 'Implicit rewards',
    yLabel: 'β·log-ratio',
    series: [
      { key: 'rewards/chosen', name: 'chosen', color: '#059669' },
      { key: 'rewards/rejected', name: 'rejected', color: '#e11d48' },
    ],
  },
  {
    title: 'Log-probabilities',
    yLabel: 'log p',
    series: [
      { key: 'logps/chosen', name: 'chosen', color: '#059669' },
      { key: 'logps/rejected', name: 'rejected', color: '#e11d48' },
    ],
  },
  { title: 'KL to the reference', yLabel: 'KL (nats/token)', series: [{ key: 'kl', name: 'kl', color: '#e11d48' }] },
  { title: 'Throughput', yLabel: 'tokens/s', series: [{ key: 'tokens_per_second', name: 'tokens/s', color: '#64748b' }] },
];
const SFT_PANELS: Panel[] = [{ title: 'SFT loss (cross-entropy on chosen responses)', yLabel: 'loss', series: [{ key: 'loss', name: 'loss', color: '#4f46e5' }] }];
const PO_KEYS = [...new Set(PO_PANELS.flatMap((p) => p.series.map((s) => s.key)))];

/**
 * The run's curves after it ends: SFT and preference optimisation apart (the SFT steps are those logging no
 * reward metric; both stages log `loss`), each metric in its own panel.
 */
export function RunCurves({ jobId }: { jobId: number }) {
  const points = useJobMetrics(jobId, PO_KEYS, false);
  const sft = points.filter((p) => p['rewards/accuracies'] === undefined);
  const preference = points.filter((p) => p['rewards/accuracies'] !== undefined || p.kl !== undefined);
  return (
    <div className="space-y-4">
      {sft.length ? (
        <section aria-label="SFT curves" className="space-y-2">
          <h3 className="text-sm font-semibold text-slate-700">Supervised fine-tuning</h3>
          <MetricPanels label="SFT metrics" panels={SFT_PANELS} points={sft} />
        </section>
      ) : null}
      {preference.length ? (
        <section aria-label="Preference optimisation curves" className="space-y-2">
          <h3 className="text-sm font-semibold text-slate-700">Preference optimisation</h3>
          <MetricPanels label="Preference optimisation metrics" panels={PO_PANELS} points={preference} />
        </section>
      ) : null}
    </div>
  );
}
