import { describe, expect, it } from 'vitest';
import { createRng } from '@/lib/random';
import { collapseBattles } from '@/lib/stats/battles';
import { bradleyTerryLeaderboard } from '@/lib/stats/bt-leaderboard';
import { styleControlLeaderboard, styleFeatures, type StyledBattles } from '@/lib/stats/style-control';

describe('style features', () => {
  it('counts words, headers, list items and bold spans of markdown', () => {
    const text = '# Title\n\nSome **bold** text and __more bold__.\n\n- one\n- two\n1. three\n\n## Sub\nplain';
    expect(styleFeatures(text)).toEqual([17, 2, 3, 2]);
    expect(styleFeatures('')).toEqual([0, 0, 0, 0]);
  });
});

/** Judges who prefer longer answers: `long` writes 3× the words of `short` on average (each answer varies), with the same quality. */
function lengthBiased(n: number, seed = 1): StyledBattles {
  const rng = createRng(seed);
  const systems = ['long', 'short', 'mid'];
  const quality = [0, 0, -0.3];
  const words = [300, 100, 150];
  const data: StyledBattles = { systems, a: new Uint32Array(n), b: new Uint32Array(n), y: new Float64Array(n), styleA: new Float64Array(n * 4), styleB: new Float64Array(n * 4) };
  for (let k = 0; k < n; k++) {
    const i = rng.int(0, 2);
    const j = (i + rng.int(1, 2)) % 3;
    const wi = words[i]! * (0.3 + 1.4 * rng.next());
    const wj = words[j]! * (0.3 + 1.4 * rng.next());
    const z = Math.LN10 * (quality[i]! - quality[j]!) + 1.2 * ((wi - wj) / (wi + wj));
    const aWins = rng.next() < 1 / (1 + Math.exp(-z));
    data.a[k] = aWins ? i : j;
    data.b[k] = aWins ? j : i;
    data.y[k] = 1;
    data.styleA.set([aWins ? wi : wj, 0, 0, 0], k * 4);
    data.styleB.set([aWins ? wj : wi, 0, 0, 0], k * 4);
  }
  return data;
}

describe('style-controlled leaderboard', () => {
  it('equals plain Bradley–Terry when responses do not differ in style', () => {
    const data = lengthBiased(3000);
    data.styleA.fill(1);
    data.styleB.fill(1);
    const styled = styleControlLeaderboard(data, { rounds: 0 });
    const plain = bradleyTerryLeaderboard(collapseBattles({ systems: data.systems, a: data.a, b: data.b, y: data.y }), { rounds: 0 });
    for (const row of plain.rows) expect(styled.rows.find((r) => r.system === row.system)!.rating).toBeCloseTo(row.rating, 6);
    expect(styled.style.every((s) => Math.abs(s.coefficient) < 1e-9)).toBe(true);
  });

  it('removes a length preference from the ratings and reports it as a positive length coefficient', () => {
    const data = lengthBiased(6000);
    const plain = bradleyTerryLeaderboard(collapseBattles({ systems: data.systems, a: data.a, b: data.b, y: data.y }), { rounds: 0 });
    const gap = (rows: { system: string; rating: number }[]) => rows.find((r) => r.system === 'long')!.rating - rows.find((r) => r.system === 'short')!.rating;
    expect(gap(plain.rows)).toBeGreaterThan(40);
    const styled = styleControlLeaderboard(data, { rounds: 30, seed: 2 });
    expect(Math.abs(gap(styled.rows))).toBeLessThan(15);
    const length = styled.style.find((s) => s.feature === 'length')!;
    expect(length.coefficient).toBeGreaterThan(0);
    expect(length.lower).toBeGreaterThan(0);
    expect(styled.rows.every((r) => r.lower <= r.rating && r.rating <= r.upper)).toBe(true);
  });
});
