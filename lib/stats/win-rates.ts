/**
 * Per-system battle counts and win rates, accumulated chunk by chunk so a job can checkpoint the
 * running totals and resume. A tie counts half a win for each side (Chatbot Arena's convention).
 */
export type SystemTally = { wins: number; losses: number; ties: number; bothBad: number };
export type WinRateAccumulator = { comparisons: number; ties: number; bothBad: number; systems: Record<string, SystemTally> };
export type ComparisonSystems = { winner: string; loser: string; isTie: boolean; tieKind: 'both_good' | 'both_bad' | null };

export type SystemSummary = SystemTally & { system: string; battles: number; winRate: number };
export type WinRateSummary = { comparisons: number; ties: number; bothBad: number; systems: SystemSummary[] };

export function createWinRateAccumulator(): WinRateAccumulator {
  return { comparisons: 0, ties: 0, bothBad: 0, systems: {} };
}

function tally(acc: WinRateAccumulator, system: string): SystemTally {
  acc.systems[system] ??= { wins: 0, losses: 0, ties: 0, bothBad: 0 };
  return acc.systems[system];
}

/** Adds rows to the accumulator in place; comparisons of a system with itself are skipped. */
export function addComparisons(acc: WinRateAccumulator, rows: readonly ComparisonSystems[]): WinRateAccumulator {
  for (const row of rows) {
    if (row.winner === row.loser) continue;
    acc.comparisons++;
    const w = tally(acc, row.winner);
    const l = tally(acc, row.loser);
    if (row.isTie) {
      acc.ties++;
      w.ties++;
      l.ties++;
      if (row.tieKind === 'both_bad') {
        acc.bothBad++;
        w.bothBad++;
        l.bothBad++;
      }
    } else {
      w.wins++;
      l.losses++;
    }
  }
  return acc;
}

/** Systems sorted by win rate, best first (ties broken by name for a stable order). */
export function summarizeWinRates(acc: WinRateAccumulator): WinRateSummary {
  const systems = Object.entries(acc.systems).map(([system, t]) => {
    const battles = t.wins + t.losses + t.ties;
    return { system, ...t, battles, winRate: battles === 0 ? 0 : (t.wins + 0.5 * t.ties) / battles };
  });
  systems.sort((x, y) => y.winRate - x.winRate || x.system.localeCompare(y.system));
  return { comparisons: acc.comparisons, ties: acc.ties, bothBad: acc.bothBad, systems };
}

/**
 * The Wilson score interval of a rate from n trials (Wilson 1927; Brown, Cai & DasGupta 2001 recommend it
 * over the normal interval for small n and rates near 0 or 1). Ties count as half a success, so `successes`
 * may be fractional. z = 1.96 gives 95%.
 */
export function wilsonInterval(successes: number, n: number, z = 1.96): [number, number] {
  if (n <= 0) return [0, 1];
  const p = successes / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
