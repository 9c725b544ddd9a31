/**
 * score-records: scores the records a REST call left in the artifact store (the payload's `input`) with a
 * reward model and puts the report (the JSON a synchronous score call answers) under this attempt's key,
 * scores/<job id>/a<attempt>/scores.json, which the job's result names (the result is written by the job's
 * completion, itself fenced by the lease). Scores in steps of SCORE_STEP records, awaiting between them so
 * heartbeats and cancellation run (docs/architecture.md, "Jobs"). tfjs is loaded here, on first use, so
 * other job kinds never pay for it.
 */
import { getRewardModelForJob, readRewardModelFiles } from '@/db/queries/reward-models';
import { artifactStore } from '@/lib/artifacts';
import { attemptOfSegment, scoreReportKey, scoreRoot } from '@/lib/artifacts/keys';
import { readArtifactBytes, type ArtifactStore } from '@/lib/artifacts/store';
import { removeSupersededFiles } from '@/lib/artifacts/superseded';
import { resolveCheckpoint } from '@/lib/checkpoints';
import type { JobPayload } from '@/lib/jobs/registry';
import type { ScoreReport } from '@/lib/ml/scoring';
import type { JobContext } from '../types';
import { mlBackendOptions } from '@/lib/env';

/** Records per step: about 0.2 s of scoring on one core (5,000 rows took ~11 s in the web process). */
const SCORE_STEP = 100;

export async function handleScoreRecords(payload: JobPayload<'score-records'>, ctx: JobContext) {
  const store = artifactStore();
  // A job queued before the artifact store has its records at scores/<job id>/records.json.
  const input = payload.input ?? `${scoreRoot(ctx.job.id)}/records.json`;
  let reportKey = scoreReportKey(ctx.job.id, ctx.attempt);
  let report: ScoreReport;
  if (await store.exists(input)) report = await score(store, input, reportKey, payload, ctx);
  else {
    // An earlier attempt put its report and removed the input, then died before the job was marked done.
    const earlier = await earlierReport(store, ctx);
    if (!earlier) throw new Error(`the records of scoring job ${ctx.job.id} are no longer on the server`);
    reportKey = earlier;
    report = JSON.parse((await readArtifactBytes(store, earlier)).toString('utf8')) as ScoreReport;
  }
  try {
    await removeSupersededFiles(store, scoreRoot(ctx.job.id), { id: ctx.job.id, attempt: ctx.attempt }, [reportKey]);
  } catch (error) {
    ctx.log(`could not remove earlier attempts' reports (${error instanceof Error ? error.message : String(error)}); they are left for a sweep`);
  }
  await ctx.reportProgress(1, `${report.rows.length} records scored`);
  const errors = report.rows.filter((r) => r.kind === 'error').length;
  return { modelId: payload.modelId, rows: report.rows.length, errors, pairs: report.pairs, accuracy: report.accuracy, logLoss: report.logLoss, resultUrl: `/api/v1/reward-models/${payload.modelId}/scores/${ctx.job.id}`, artifactPath: reportKey };
}

/** The report of the latest earlier attempt of this job (or of this attempt number, put by a run released on shutdown), if any. */
async function earlierReport(store: ArtifactStore, ctx: JobContext): Promise<string | null> {
  const root = scoreRoot(ctx.job.id);
  let best: { key: string; attempt: number } | null = null;
  for (const { key } of await store.list(root)) {
    const [segment, name, ...rest] = key.slice(root.length + 1).split('/');
    const attempt = attemptOfSegment(segment ?? '', ctx.job.id);
    if (attempt === null || attempt > ctx.attempt || name !== 'scores.json' || rest.length) continue;
    if (!best || attempt > best.attempt) best = { key, attempt };
  }
  return best?.key ?? null;
}

async function score(store: ArtifactStore, input: string, reportKey: string, payload: JobPayload<'score-records'>, ctx: JobContext): Promise<ScoreReport> {
  const records = JSON.parse((await readArtifactBytes(store, input)).toString('utf8')) as unknown[];
  const saved = await readRewardModelFiles(await getRewardModelForJob(payload.modelId));
  await ctx.reportProgress(0, `Scoring ${records.length} records`);
  const { scoreWithSavedModel } = await import('@/lib/ml/load-model');
  const report = await scoreWithSavedModel(saved,
    records.map((record, k) => ({ line: k + 1, record })),
    {
      backend: mlBackendOptions(),
      resolveCheckpoint: (name) => resolveCheckpoint(name),
      steps: {
        every: SCORE_STEP,
        between: async (done, total) => {
          await ctx.reportProgress(done / total, `${done} of ${total} records scored`);
          await new Promise((resolve) => setImmediate(resolve));
          ctx.signal.throwIfAborted();
        },
      },
    },
  );
  // A put is whole or absent: a reader never sees half a report. The input goes once the report is stored.
  await store.put(reportKey, JSON.stringify(report));
  await store.delete(input);
  return report;
}
