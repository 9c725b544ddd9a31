/**
 * score-records: scores the records a REST call left in <data dir>/scores/<job id>/records.json with a
 * reward model and writes the report (the JSON a synchronous score call answers) to scores.json beside it.
 * Scores in steps of SCORE_STEP records, awaiting between them so heartbeats and cancellation run
 * (docs/architecture.md, "Jobs"). tfjs is loaded here, on first use, so other job kinds never pay for it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { getRewardModelForJob, readRewardModelFiles, SCORE_INPUT, SCORE_REPORT, scoreJobDirectory } from '@/db/queries/reward-models';
import { resolveCheckpoint } from '@/lib/checkpoints';
import type { JobPayload } from '@/lib/jobs/registry';
import type { ScoreReport } from '@/lib/ml/scoring';
import type { JobContext } from '../types';
import { mlBackendOptions } from '@/lib/env';

/** Records per step: about 0.2 s of scoring on one core (5,000 rows took ~11 s in the web process). */
const SCORE_STEP = 100;

export async function handleScoreRecords(payload: JobPayload<'score-records'>, ctx: JobContext) {
  const dir = scoreJobDirectory(ctx.job.id);
  const input = path.join(dir, SCORE_INPUT);
  const output = path.join(dir, SCORE_REPORT);
  // An earlier attempt that wrote the report and removed the input died before the job was marked done.
  const report = !fs.existsSync(input) && fs.existsSync(output) ? (JSON.parse(fs.readFileSync(output, 'utf8')) as ScoreReport) : await score(input, output, payload, ctx);
  await ctx.reportProgress(1, `${report.rows.length} records scored`);
  const errors = report.rows.filter((r) => r.kind === 'error').length;
  return { modelId: payload.modelId, rows: report.rows.length, errors, pairs: report.pairs, accuracy: report.accuracy, logLoss: report.logLoss, resultUrl: `/api/v1/reward-models/${payload.modelId}/scores/${ctx.job.id}` };
}

async function score(input: string, output: string, payload: JobPayload<'score-records'>, ctx: JobContext): Promise<ScoreReport> {
  if (!fs.existsSync(input)) throw new Error(`the records of scoring job ${ctx.job.id} are no longer on the server`);
  const records = JSON.parse(fs.readFileSync(input, 'utf8')) as unknown[];
  const { manifest, weights } = readRewardModelFiles(await getRewardModelForJob(payload.modelId));
  await ctx.reportProgress(0, `Scoring ${records.length} records`);
  const { scoreWithSavedModel } = await import('@/lib/ml/load-model');
  const report = await scoreWithSavedModel(
    manifest,
    weights,
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
  // Written whole, then renamed: a reader never sees half a report.
  fs.writeFileSync(`${output}.partial`, JSON.stringify(report));
  fs.renameSync(`${output}.partial`, output);
  fs.rmSync(input, { force: true });
  return report;
}
