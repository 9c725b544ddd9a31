/**
 * The win-rate matrix and battle-count matrix behind the leaderboard heatmaps: for systems in a given
 * order (the leaderboard's), battles[r][c] between r and c, and winRate[r][c] = (wins of r over c +
 * ½ ties) / battles — null where the two never met. The diagonal is null.
 */
import { pairStats, type Cells } from './battles';

export type PairwiseMatrix = { systems: string[]; battles: number[][]; winRate: (number | null)[][] };

/** Largest number of systems the matrices are stored for (the UI cannot show more as a heatmap). */
export const MATRIX_LIMIT = 40;

export function pairwiseMatrix(cells: Cells, order: readonly string[]): PairwiseMatrix {
  const systems = order.slice(0, MATRIX_LIMIT);
  const position = new Map(systems.map((s, k) => [s, k]));
  const n = systems.length;
  const battles = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const score = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const stats = pairStats(cells);
  for (let k = 0; k < stats.i.length; k++) {
    const r = position.get(cells.systems[stats.i[k]!]!);
    const c = position.get(cells.systems[stats.j[k]!]!);
    if (r === undefined || c === undefined) continue;
    const total = stats.wins[k]! + stats.ties[k]! + stats.losses[k]!;
    battles[r]![c]! += total;
    battles[c]![r]! += total;
    score[r]![c]! += stats.wins[k]! + 0.5 * stats.ties[k]!;
    score[c]![r]! += stats.losses[k]! + 0.5 * stats.ties[k]!;
  }
  const winRate = battles.map((row, r) => row.map((b, c) => (r === c || b === 0 ? null : score[r]![c]! / b)));
  return { systems, battles, winRate };
}
