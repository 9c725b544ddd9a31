import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@/lib/random';
import { collapseBattles, type BattleTable } from '@/lib/stats/battles';
import { bradleyTerryLeaderboard, bradleyTerryLeaderboardSplit } from '@/lib/stats/bt-leaderboard';
import { runBtRoundsInThread, stopStatsThread, warmStatsThread } from '@/lib/threads/stats-pool';

function battles(n: number, m: number): BattleTable {
  const rng = createRng(3);
  const q = Array.from({ length: m }, () => rng.normal() * 0.5);
  const table: BattleTable = { systems: q.map((_, i) => `s${i}`), a: new Uint32Array(n), b: new Uint32Array(n), y: new Float64Array(n) };
  for (let k = 0; k < n; k++) {
    const i = rng.int(0, m - 1);
    const j = (i + rng.int(1, m - 1)) % m;
    const u = rng.next();
    table.a[k] = i;
    table.b[k] = j;
    table.y[k] = u < 0.2 ? 0.5 : u < 0.2 + 0.8 / (1 + Math.exp(q[j]! - q[i]!)) ? 1 : 0;
  }
  return table;
}

afterAll(() => stopStatsThread());

describe('the statistics thread', () => {
  it('starts (bundled by esbuild) and gives a leaderboard identical to the one-thread run, sharing the rounds', async () => {
    expect(await warmStatsThread()).toBe(true);
    const cells = collapseBattles(battles(300_000, 50));
    let claimedAway = 0;
    const split = await bradleyTerryLeaderboardSplit(cells, { rounds: 100, seed: 7 }, async (input, next, rounds) => {
      const result = await runBtRoundsInThread(input, next, rounds);
      claimedAway = result.samples.length + result.degenerate;
      return result;
    });
    const sequential = bradleyTerryLeaderboard(cells, { rounds: 100, seed: 7 });
    expect(split.rows).toEqual(sequential.rows);
    expect(claimedAway).toBeGreaterThan(0);
    expect(claimedAway).toBeLessThan(100);
  });
});
