import { z } from 'zod';
import { getProjectForActor } from '@/db/queries/projects';
import { loadProjectBattles, loadProjectRankings, loadProjectStyledBattles } from '@/db/queries/stats';
import { LEADERBOARD_METHODS } from '@/lib/jobs/compute-leaderboard';
import { CLI_ACTOR } from '@/lib/auth/access';
import { collapseBattles } from '@/lib/stats/battles';
import { bradleyTerryLeaderboardSplit } from '@/lib/stats/bt-leaderboard';
import { runBtRoundsInThread, warmStatsThread } from '@/lib/threads/stats-pool';
import { eloLeaderboard, plackettLuceLeaderboard } from '@/lib/stats/ranking-leaderboards';
import { styleControlLeaderboard } from '@/lib/stats/style-control';
import { tieModelLeaderboard } from '@/lib/stats/tie-leaderboard';
import { AppError } from '@/lib/errors';
import { emit, idSchema, parseValue, requireValue, table, type Command } from '../context';

const anchorSchema = z
  .string()
  .regex(/^.+=-?\d+(\.\d+)?$/, 'use system=rating, e.g. gpt-4=1200')
  .transform((v) => {
    const at = v.lastIndexOf('=');
    return { system: v.slice(0, at), rating: Number(v.slice(at + 1)) };
  });

export const leaderboardCommands: Command[] = [
  {
    name: 'leaderboard',
    usage: 'leaderboard --project <id> [--method bt|style|davidson|rao-kupper|pl|elo] [--bootstrap <rounds>] [--seed <n>] [--l2 <λ>] [--anchor <system=rating>] [--json]',
    summary: 'ratings of the systems (Bradley–Terry as Arena, with style control, Davidson / Rao–Kupper tie models, Plackett–Luce over rankings, online Elo) with bootstrap 95% intervals and CI-aware ranks',
    options: { project: { type: 'string' }, method: { type: 'string' }, bootstrap: { type: 'string' }, seed: { type: 'string' }, l2: { type: 'string' }, anchor: { type: 'string' } },
    run: async ({ values }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const method = parseValue(z.enum(LEADERBOARD_METHODS, { message: 'method must be bt, style, davidson, rao-kupper, pl or elo' }), values.method ?? 'bt', '--method');
      const rounds = values.bootstrap === undefined ? 100 : parseValue(z.coerce.number().int().min(0).max(10_000), values.bootstrap, '--bootstrap');
      const seed = values.seed === undefined ? 0 : parseValue(z.coerce.number().int().min(0), values.seed, '--seed');
      const l2 = values.l2 === undefined ? 0 : parseValue(z.coerce.number().min(0), values.l2, '--l2');
      const anchor = values.anchor === undefined ? undefined : parseValue(anchorSchema, values.anchor, '--anchor');
      const project = await getProjectForActor(CLI_ACTOR, projectId);
      const battles = await loadProjectBattles(projectId);
      if (battles.a.length === 0) throw new AppError('usage', `project ${projectId} has no comparisons between different systems yet`);
      if (anchor && !battles.systems.includes(anchor.system)) throw new AppError('usage', `--anchor: no system named '${anchor.system}' in this project`);
      const cells = collapseBattles(battles);
      const settings = `${battles.a.length} battles, ${rounds} bootstrap rounds, seed ${seed}`;
      let board;
      let header;
      if (method === 'bt') {
        // Large data: wait for the second thread (≈ 0.1–0.3 s to start) and share the bootstrap with it.
        if (battles.a.length * rounds >= 2e7) await warmStatsThread();
        board = await bradleyTerryLeaderboardSplit(cells, { rounds, seed, l2, scale: { scale: 400, base: 1000, anchor } }, runBtRoundsInThread);
        header = `${project.name}: Bradley–Terry (Arena), ${settings}, L2 prior ${l2}${anchor ? `, ${anchor.system} anchored at ${anchor.rating}` : ''}`;
      } else if (anchor || l2 > 0) {
        throw new AppError('usage', '--anchor and --l2 apply to --method bt only');
      } else if (method === 'pl') {
        board = plackettLuceLeaderboard(await loadProjectRankings(projectId), { rounds, seed });
        header = `${project.name}: Plackett–Luce over ${board.rankings} rankings (k-wise judgments whole, pairs as rankings of two), ${rounds} bootstrap rounds over rankings, seed ${seed}`;
      } else if (method === 'style') {
        board = styleControlLeaderboard(await loadProjectStyledBattles(projectId), { rounds, seed });
        header = `${project.name}: Bradley–Terry with style control (length, headers, lists, bold as covariates), ${settings}\nstyle coefficients (per RMS unit of the normalised difference, 95% CI): ${board.style.map((s) => `${s.feature} ${s.coefficient.toFixed(3)} (${s.lower.toFixed(3)} – ${s.upper.toFixed(3)})`).join(', ')}`;
      } else if (method === 'elo') {
        board = eloLeaderboard(battles, { rounds, seed });
        header = `${project.name}: online Elo (K = ${board.config.k}, stored order; a baseline that depends on order), ${settings}`;
      } else {
        board = tieModelLeaderboard(method, cells, { rounds, seed });
        const p = board.tieParameter;
        header = `${project.name}: ${method === 'davidson' ? 'Davidson' : 'Rao–Kupper'} tie model, ${settings}, tie parameter ${method === 'davidson' ? 'ν' : 'η'} = ${p.value.toFixed(3)} (${p.lower.toFixed(3)} – ${p.upper.toFixed(3)})`;
      }
      if (board.degenerateRounds) header += `, ${board.degenerateRounds} degenerate rounds left out`;
      const rows = board.rows.map((r) => ({ rank: r.rank, system: r.system, rating: r.rating.toFixed(1), '95% CI': rounds > 0 ? `${r.lower.toFixed(1)} – ${r.upper.toFixed(1)}` : '', battles: r.battles }));
      emit(io, { project: { id: project.id, name: project.name }, battles: battles.a.length, ...board }, `${header}\n\n${table(rows, ['rank', 'system', 'rating', '95% CI', 'battles'])}`);
    },
  },
];
