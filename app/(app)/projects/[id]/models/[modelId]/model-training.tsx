'use client';
import { useEffect } from 'react';
import { FollowedJobStatus, useFollowJob } from '@/app/_lib/use-follow-job';
import { useJobMetrics } from '@/app/_lib/use-job-metrics';
import { MetricPanels, type Panel } from '@/app/_components/metric-panels';

const PANELS: Panel[] = [
  { title: 'Training loss', yLabel: 'loss', series: [{ key: 'loss', name: 'loss', color: '#4f46e5' }] },
  { title: 'Held-out accuracy', yLabel: 'accuracy', domain: [0, 1], series: [{ key: 'test_accuracy', name: 'held-out accuracy', color: '#059669' }] },
  { title: 'Throughput', yLabel: 'pairs/s', series: [{ key: 'examples_per_second', name: 'pairs/s', color: '#64748b' }] },
];
const CURVE = [...new Set(PANELS.flatMap((p) => p.series.map((s) => s.key)))];

/**
 * A model page's training run: while it trains, its progress and curve update live (the job's SSE stream and
 * metrics) and the page's results load by themselves when it ends; after the run the curve stays.
 */
export function ModelTraining({ jobId, training }: { jobId: number; training: boolean }) {
  const { job, follow } = useFollowJob();
  useEffect(() => {
    if (training) follow(jobId);
  }, [training, jobId, follow]);
  const running = training && (job === null || job.status === 'queued' || job.status === 'running');
  const points = useJobMetrics(jobId, CURVE, running);
  return (
    <section aria-label="Training" className="space-y-2 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 className="text-base font-semibold text-slate-800">Training curves</h2>
      {/* Still shown after the refresh at the end (which renders this with training false): the run's outcome. */}
      <FollowedJobStatus job={job} doneText="Training finished; the results are below." />
      {points.length ? <MetricPanels label="Training metrics" panels={PANELS} points={points} /> : <p className="text-xs text-slate-500">{running ? 'Waiting for the first epoch…' : 'This run recorded no curve.'}</p>}
    </section>
  );
}
