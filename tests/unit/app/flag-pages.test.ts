import { describe, expect, it } from 'vitest';
import { flagPage, FLAGS_PER_PAGE, type FlagRow } from '@/app/(app)/projects/[id]/models/[modelId]/flag-pages';

const flags: FlagRow[] = Array.from({ length: 123 }, (_, i) => ({ comparisonId: i + 1, mean: ((i * 37) % 123) / 50 - 1, std: (i % 7) / 10, kind: i % 3 ? 'ambiguous' : 'mislabelled' }));

describe('flagPage', () => {
  it('pages the flags 50 at a time, most suspicious first by default, and clamps the page', () => {
    const first = flagPage(flags, {});
    expect(first.pages).toBe(3);
    expect(first.rows).toHaveLength(FLAGS_PER_PAGE);
    expect(first.rows.map((r) => r.mean)).toEqual([...flags].map((f) => f.mean).sort((a, b) => a - b).slice(0, 50));
    const last = flagPage(flags, { flags: '3' });
    expect(last.rows).toHaveLength(23);
    expect(flagPage(flags, { flags: '99' }).page).toBe(3);
    expect(flagPage(flags, { flags: 'x', sort: 'nonsense' })).toMatchObject({ page: 1, sort: 'strength' });
    // Every pair appears on exactly one page.
    const all = [1, 2, 3].flatMap((p) => flagPage(flags, { flags: String(p) }).rows.map((r) => r.comparisonId));
    expect(new Set(all).size).toBe(123);
  });

  it('sorts by strength either way and by the members’ disagreement', () => {
    const down = flagPage(flags, { sort: '-strength' }).rows.map((r) => r.mean);
    expect(down).toEqual([...down].sort((a, b) => b - a));
    const spread = flagPage(flags, { sort: 'disagreement' }).rows.map((r) => r.std);
    expect(spread).toEqual([...spread].sort((a, b) => b - a));
    expect(flagPage([], {})).toEqual({ rows: [], page: 1, pages: 1, sort: 'strength' });
  });
});
