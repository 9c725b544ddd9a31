import { describe, expect, it } from 'vitest';
import { readAlpha, readBias, readCycles, readKappa, readSelfConsistency } from '@/lib/stats/quality-readings';
import { binomialTestTwoSided } from '@/lib/stats/binomial-test';

const bias = (favoured: number, decisive: number) => ({ decisive, favoured, share: favoured / decisive, pValue: binomialTestTwoSided(favoured, decisive) });

describe('quality readings', () => {
  it("reads Krippendorff's α and κ on their published bands, warning when low", () => {
    expect(readAlpha(0.85)).toEqual({ text: expect.stringMatching(/^reliable/), warning: false });
    expect(readAlpha(0.7).text).toMatch(/^tentative/);
    expect(readAlpha(0.4).warning).toBe(true);
    expect(readAlpha(null).warning).toBe(false);
    expect(readKappa(0.15)).toEqual({ text: 'slight agreement', warning: true });
    expect(readKappa(0.5)).toEqual({ text: 'moderate agreement', warning: false });
    expect(readKappa(-0.1).text).toMatch(/poor/);
  });

  it('says which side a significant bias favours, with its Wilson interval, and stays quiet without evidence', () => {
    const longer = readBias(bias(84, 100), { favoured: 'longer', other: 'shorter', who: 'annotators' });
    expect(longer.warning).toBe(true);
    expect(longer.text).toMatch(/^95% CI 7\d%–9\d%: annotators prefer the longer answer much more often than chance$/);
    expect(readBias(bias(20, 100), { favoured: 'longer', other: 'shorter', who: 'annotators' }).text).toMatch(/prefer the shorter answer much more often/);
    const even = readBias(bias(52, 100), { favoured: 'left', other: 'right', who: 'annotators' });
    expect(even).toMatchObject({ warning: false, text: expect.stringMatching(/no evidence/) });
  });

  it('warns on cyclic majorities past 5% and on self-consistency under 80%', () => {
    expect(readCycles(1, 100).warning).toBe(false);
    expect(readCycles(10, 100).warning).toBe(true);
    expect(readSelfConsistency(0.7, 20).warning).toBe(true);
    expect(readSelfConsistency(0.95, 20).warning).toBe(false);
    expect(readSelfConsistency(0, 0).warning).toBe(false);
  });
});
