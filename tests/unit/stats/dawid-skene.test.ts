import { describe, expect, it } from 'vitest';
import { createRng } from '@/lib/random';
import { dawidSkene, type DsLabel } from '@/lib/stats/dawid-skene';

describe('Dawid–Skene', () => {
  it('recovers annotator accuracies, down-weights a spammer, and beats majority vote', () => {
    const rng = createRng(11);
    const K = 3;
    const accuracy = { ann: 0.9, bob: 0.8, cat: 0.7, spam: 1 / 3 };
    const truth: number[] = [];
    const labels: DsLabel[] = [];
    for (let item = 0; item < 600; item++) {
      const t = rng.next() < 0.5 ? 0 : rng.next() < 0.6 ? 1 : 2;
      truth.push(t);
      for (const [annotator, acc] of Object.entries(accuracy)) {
        if (rng.next() < 0.25) continue; // not everyone labels everything
        const label = rng.next() < acc ? t : (t + rng.int(1, K - 1)) % K;
        labels.push({ item, annotator, label });
      }
    }
    const ds = dawidSkene(labels, K);
    expect(ds.converged).toBe(true);
    const est = Object.fromEntries(ds.annotators.map((a) => [a.annotator, a]));
    for (const [name, acc] of Object.entries(accuracy)) expect(Math.abs(est[name]!.accuracy - acc)).toBeLessThan(0.05);
    expect(est.ann!.weight).toBeGreaterThan(est.bob!.weight);
    expect(Math.abs(est.spam!.weight)).toBeLessThan(0.4);

    const dsCorrect = ds.items.filter((x) => x.label === truth[x.item]).length / ds.items.length;
    const majorityCorrect =
      ds.items.filter((x) => {
        const votes = new Array<number>(K).fill(0);
        for (const l of labels) if (l.item === x.item) votes[l.label]!++;
        return votes.indexOf(Math.max(...votes)) === truth[x.item];
      }).length / ds.items.length;
    expect(dsCorrect).toBeGreaterThan(majorityCorrect);
    expect(ds.priors[0]).toBeCloseTo(0.5, 1);
  });

  it('refuses labels outside the classes', () => {
    expect(() => dawidSkene([{ item: 1, annotator: 'a', label: 4 }], 4)).toThrow(/outside 0..3/);
  });
});
