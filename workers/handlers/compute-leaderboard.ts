/** compute-leaderboard: loads the project's battles, fits the chosen model with bootstrap intervals, stores the result. */
import { saveLeaderboard } from '@/db/queries/leaderboards';
import { loadProjectBattles, loadProjectRankings, loadProjectStyledBattles, projectExists } from '@/db/queries/stats';
import type { JobPayload } from '@/lib/jobs/registry';
import { collapseBattles } from '@/lib/stats/battles';
import { bradleyTerryLeaderboardSplit } from '@/lib/stats/bt-leaderboard';
import { runBtRoundsInThread } from '@/lib/threads/stats-pool';
import { pairwiseMatrix } from '@/lib/stats/pairwise-matrix';
import { eloLeaderboard, plackettLuceLeaderboard } from '@/lib/stats/ranking-leaderboards';
import { styleControlLeaderboard } from '@/lib/stats/style-control';
import { tieModelLeaderboard } from '@/lib/stats/tie-leaderboard';
import type { JobContext } from '../types';

export async function handleComputeLeaderboard(payload: JobPayload<'compute-leaderboard'>, ctx: JobContext) {
  if (!(await projectExists(payload.projectId))) throw new Error(`project ${payload.projectId} does not exist`);
  await ctx.reportProgress(0.05, 'Loading comparisons');
  const battles = await loadProjectBattles(payload.projectId);
  if (battles.a.length === 0) throw new Error('the project has no comparisons between different systems yet');
  ctx.signal.throwIfAborted();
  await new Promise((resolve) => setImmediate(resolve));
  await ctx.reportProgress(0.2, `Fitting ${payload.method} on ${battles.a.length} battles with ${payload.rounds} bootstrap rounds`);
  const options = { rounds: payload.rounds, seed: payload.seed };
  const board =
    payload.method === 'bt'
      ? await bradleyTerryLeaderboardSplit(collapseBattles(battles), { ...options, l2: payload.l2 }, runBtRoundsInThread)
      : payload.method === 'style'
        ? styleControlLeaderboard(await loadProjectStyledBattles(payload.projectId), options)
        : payload.method === 'pl'
        ? plackettLuceLeaderboard(await loadProjectRankings(payload.projectId), options)
        : payload.method === 'elo'
          ? eloLeaderboard(battles, options)
          : tieModelLeaderboard(payload.method, collapseBattles(battles), options);
  ctx.signal.throwIfAborted();
  const matrix = pairwiseMatrix(collapseBattles(battles), board.rows.map((r) => r.system));
  const result = { rows: board.rows, battles: battles.a.length, degenerateRounds: board.degenerateRounds, matrix, ...('tieParameter' in board ? { tieParameter: board.tieParameter } : {}), ...('style' in board ? { style: board.style } : {}) };
  // Fenced: a worker that lost the job while it fitted (paused past the stale timeout) stores no second leaderboard.
  const id = await ctx.fenced(() => saveLeaderboard({ projectId: payload.projectId, jobId: ctx.job.id, method: payload.method, config: { rounds: payload.rounds, seed: payload.seed, l2: payload.l2 }, result }));
  await ctx.reportProgress(1, `${board.rows.length} systems rated (${payload.method})`);
  return { leaderboardId: id, systems: board.rows.length, battles: battles.a.length };
}
