import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { battlesFromRecords, collapseBattles, type Outcome } from '@/lib/stats/battles';
import { DisconnectedComparisonsError, fitBradleyTerry, toRatings, toStrengths } from '@/lib/stats/bradley-terry';
import { createRng } from '@/lib/random';
import { parsePlainCsv, realFiles } from '../../helpers/real-data';

function llmfaoBattles(file: string) {
  const rows = parsePlainCsv(fs.readFileSync(file, 'utf8'));
  return rows.map((r) => ({ a: r.left!, b: r.right!, outcome: (r.winner === 'left' ? 'a' : r.winner === 'right' ? 'b' : 'tie') as Outcome }));
}

describe('Bradley–Terry (Arena method)', () => {
  it('reproduces the LLMFAO golden bradley_terry scores to 1e-9 (strengths normalised to sum 1)', (ctx) => {
    const [crowd, goldenFile] = realFiles(ctx, 'llmfao/crowd-comparisons.csv', 'llmfao/llmfao-golden.csv');
    const cells = collapseBattles(battlesFromRecords(llmfaoBattles(crowd!)));
    const fit = fitBradleyTerry(cells);
    expect(fit.converged).toBe(true);
    const strengths = toStrengths(fit.theta);
    const golden = parsePlainCsv(fs.readFileSync(goldenFile!, 'utf8')).filter((r) => r.algorithm === 'bradley_terry');
    expect(golden).toHaveLength(59);
    expect(cells.systems).toHaveLength(59);
    let worst = 0;
    for (const row of golden) {
      const k = cells.systems.indexOf(row.item!);
      expect(k, row.item).toBeGreaterThanOrEqual(0);
      worst = Math.max(worst, Math.abs(strengths[k]! - Number(row.score)));
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it('matches a hand-computed two-system case: p = wins/battles, θ gap = log10(odds)', () => {
    // 3 wins, 1 loss and 2 ties for x: score 4 of 6, so p = 2/3 and θx − θy = log10(2).
    const records = [
      ...Array.from({ length: 3 }, () => ({ a: 'x', b: 'y', outcome: 'a' as const })),
      { a: 'y', b: 'x', outcome: 'a' as const },
      { a: 'x', b: 'y', outcome: 'tie' as const },
      { a: 'y', b: 'x', outcome: 'tie' as const },
    ];
    const fit = fitBradleyTerry(collapseBattles(battlesFromRecords(records)));
    expect(fit.theta[0]! - fit.theta[1]!).toBeCloseTo(Math.log10(2), 12);
    expect(fit.theta[0]! + fit.theta[1]!).toBeCloseTo(0, 14);
    const ratings = toRatings(['x', 'y'], fit.theta);
    expect((ratings[0]! + ratings[1]!) / 2).toBeCloseTo(1000, 9);
    expect(ratings[0]! - ratings[1]!).toBeCloseTo(400 * Math.log10(2), 9);
    expect(toRatings(['x', 'y'], fit.theta, { scale: 400, base: 1000, anchor: { system: 'y', rating: 1114 } })[1]).toBeCloseTo(1114, 9);
  });

  it('gives the same ratings whatever the order of the battles or the side each system was shown on', () => {
    const rng = createRng(4);
    const names = ['a', 'b', 'c', 'd'];
    const strength = [0.6, 0.2, 0, -0.5];
    const records = Array.from({ length: 2000 }, () => {
      const i = rng.int(0, 3);
      const j = (i + rng.int(1, 3)) % 4;
      const p = 1 / (1 + 10 ** -(strength[i]! - strength[j]!));
      const u = rng.next();
      return { a: names[i]!, b: names[j]!, outcome: (u < 0.1 ? 'tie' : u < 0.1 + 0.9 * p ? 'a' : 'b') as Outcome };
    });
    const baseTable = battlesFromRecords(records);
    const base = fitBradleyTerry(collapseBattles(baseTable));
    const baseOf = (name: string) => base.theta[baseTable.systems.indexOf(name)]!;
    const shuffled = rng.shuffle([...records]);
    const swapped = shuffled.map((r) => ({ a: r.b, b: r.a, outcome: (r.outcome === 'a' ? 'b' : r.outcome === 'b' ? 'a' : 'tie') as Outcome }));
    for (const variant of [shuffled, swapped]) {
      const table = battlesFromRecords(variant);
      const fit = fitBradleyTerry(collapseBattles(table));
      for (const [k, name] of table.systems.entries()) expect(fit.theta[k]).toBeCloseTo(baseOf(name), 10);
    }
    // And it recovers the order of the hidden strengths.
    expect(names.map(baseOf)).toEqual(names.map(baseOf).sort((x, y) => y - x));
  });

  it('refuses a disconnected graph or an undefeated system with a clear message, unless an L2 prior is given', () => {
    const undefeated = battlesFromRecords([
      { a: 'champ', b: 'x', outcome: 'a' },
      { a: 'x', b: 'y', outcome: 'a' },
      { a: 'y', b: 'x', outcome: 'a' },
    ]);
    expect(() => fitBradleyTerry(collapseBattles(undefeated))).toThrow(DisconnectedComparisonsError);
    expect(() => fitBradleyTerry(collapseBattles(undefeated))).toThrow(/never won or tied: x|never lost or tied: champ/);
    const islands = battlesFromRecords([
      { a: 'a', b: 'b', outcome: 'a' },
      { a: 'b', b: 'a', outcome: 'a' },
      { a: 'c', b: 'd', outcome: 'tie' },
    ]);
    expect(() => fitBradleyTerry(collapseBattles(islands))).toThrow(/2 groups never compared with each other \({a, b} \/ {c, d}\)/);
    const prior = fitBradleyTerry(collapseBattles(undefeated), { l2: 1 });
    expect(prior.converged).toBe(true);
    expect(prior.theta[0]).toBeGreaterThan(prior.theta[1]!);
  });
});
