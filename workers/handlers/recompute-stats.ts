/** recompute-stats: reads the project's comparisons in id order, chunk by chunk, checkpointing running totals. */
import { countProjectComparisons, countProjectWork, projectExists, readComparisonSystems, saveProjectStats } from '@/db/queries/stats';
import type { JobPayload } from '@/lib/jobs/registry';
import { addComparisons, createWinRateAccumulator, summarizeWinRates, type WinRateAccumulator } from '@/lib/stats/win-rates';
import type { JobContext } from '../types';

type Checkpoint = { lastId: number; processed: number; step: number; acc: WinRateAccumulator };

function isCheckpoint(value: unknown): value is Checkpoint {
  return typeof value === 'object' && value !== null && 'lastId' in value && 'acc' in value;
}

export async function handleRecomputeStats(payload: JobPayload<'recompute-stats'>, ctx: JobContext) {
  if (!(await projectExists(payload.projectId))) throw new Error(`project ${payload.projectId} does not exist`);
  const total = await countProjectComparisons(payload.projectId);
  const resumed = isCheckpoint(ctx.checkpoint) ? ctx.checkpoint : null;
  const state: Checkpoint = resumed ?? { lastId: 0, processed: 0, step: 0, acc: createWinRateAccumulator() };
  if (resumed) ctx.log(`resuming after comparison ${resumed.lastId} (${resumed.processed}/${total} done)`);
  await ctx.reportProgress(total === 0 ? 0 : state.processed / total, `Reading ${total} comparisons`);

  for (;;) {
    ctx.signal.throwIfAborted();
    const rows = await readComparisonSystems(payload.projectId, state.lastId, payload.chunkSize);
    if (rows.length === 0) break;
    addComparisons(state.acc, rows);
    state.lastId = rows[rows.length - 1]!.id;
    state.processed += rows.length;
    state.step += 1;
    await ctx.saveCheckpoint(state);
    await ctx.addMetrics(state.step, { comparisons: state.processed, systems: Object.keys(state.acc.systems).length });
    await ctx.reportProgress(total === 0 ? 1 : Math.min(0.99, state.processed / total), `${state.processed} of ${total} comparisons`);
    await new Promise((resolve) => setImmediate(resolve)); // let heartbeats and signals through
  }

  const stats = { ...summarizeWinRates(state.acc), ...(await countProjectWork(payload.projectId)) };
  // Fenced: only the job's current owner writes the project's summary.
  await ctx.fenced(() => saveProjectStats(payload.projectId, stats));
  await ctx.reportProgress(1, `${stats.comparisons} comparisons, ${stats.systems.length} systems`);
  return { comparisons: stats.comparisons, systems: stats.systems.length, judgments: stats.judgments, resumedFrom: resumed?.processed ?? 0 };
}
