import { describe, expect, it } from 'vitest';
import { battlesFromRecords, collapseBattles } from '@/lib/stats/battles';
import { fitBradleyTerry } from '@/lib/stats/bradley-terry';
import { fitPlackettLuce } from '@/lib/stats/plackett-luce';
import { createRng } from '@/lib/random';

describe('Plackett–Luce (MM)', () => {
  it('with two items per ranking is Bradley–Terry (natural-log scale): r = θ·ln 10', () => {
    const rng = createRng(21);
    const strength = [1.0, 0.4, 0, -0.7];
    const pairs: [number, number][] = [];
    for (let n = 0; n < 3000; n++) {
      const i = rng.int(0, 3);
      const j = (i + rng.int(1, 3)) % 4;
      const p = 1 / (1 + Math.exp(-(strength[i]! - strength[j]!)));
      pairs.push(rng.next() < p ? [i, j] : [j, i]);
    }
    const pl = fitPlackettLuce(4, pairs.map(([w, l]) => [[w], [l]]));
    expect(pl.converged).toBe(true);
    const table = battlesFromRecords(pairs.map(([w, l]) => ({ a: `s${w}`, b: `s${l}`, outcome: 'a' as const })));
    const bt = fitBradleyTerry(collapseBattles(table));
    for (let i = 0; i < 4; i++) expect(pl.r[i]).toBeCloseTo(bt.theta[table.systems.indexOf(`s${i}`)]! * Math.LN10, 8);
  });

  it('matches the two-item closed form: r gap = ln(wins / losses)', () => {
    const rankings = [...Array(6).fill([[0], [1]]), ...Array(2).fill([[1], [0]])];
    const fit = fitPlackettLuce(2, rankings);
    expect(fit.r[0]! - fit.r[1]!).toBeCloseTo(Math.log(3), 10);
  });

  it('recovers the order of simulated 4-way rankings, and accepts tie groups', () => {
    const rng = createRng(8);
    const gamma = [4, 2, 1, 0.5];
    const rankings = Array.from({ length: 800 }, () => {
      const left = [0, 1, 2, 3];
      const order: number[][] = [];
      while (left.length > 0) {
        const total = left.reduce((s, i) => s + gamma[i]!, 0);
        let u = rng.next() * total;
        const k = left.findIndex((i) => (u -= gamma[i]!) < 0);
        order.push([left.splice(k === -1 ? left.length - 1 : k, 1)[0]!]);
      }
      return order;
    });
    const fit = fitPlackettLuce(4, rankings);
    expect([...fit.r]).toEqual([...fit.r].sort((a, b) => b - a));
    expect(fit.r[0]! - fit.r[3]!).toBeGreaterThan(1.7);
    expect(fit.r[0]! - fit.r[3]!).toBeLessThan(2.5); // truth: ln 8 = 2.08
    const withTies = fitPlackettLuce(3, [[[0], [1, 2]], [[1], [0], [2]], [[0, 1], [2]], [[2], [0], [1]]]);
    expect(withTies.converged).toBe(true);
  });

  it('refuses rankings that name an item twice or never rank an item above another', () => {
    expect(() => fitPlackettLuce(2, [[[0], [0]]])).toThrow(/twice/);
    expect(() => fitPlackettLuce(3, [[[0], [1], [2]]])).toThrow(/item 2 is never ranked above another/);
  });
});
