/** One page of a model's flagged training pairs, in the order the researcher chose (the model page's table). */
export type FlagRow = { comparisonId: number; mean: number; std: number; kind: string };
export const FLAG_SORTS = ['strength', '-strength', 'disagreement'] as const;
export type FlagSort = (typeof FLAG_SORTS)[number];
export const FLAGS_PER_PAGE = 50;

const ORDER: Record<FlagSort, (a: FlagRow, b: FlagRow) => number> = {
  // Most suspicious first: the lowest preference strength for the label.
  strength: (a, b) => a.mean - b.mean || a.comparisonId - b.comparisonId,
  '-strength': (a, b) => b.mean - a.mean || a.comparisonId - b.comparisonId,
  // The members' disagreement (an ensemble's std), largest first.
  disagreement: (a, b) => b.std - a.std || a.mean - b.mean || a.comparisonId - b.comparisonId,
};

/** Reads ?flags=<page>&sort=<sort> leniently: anything else is page 1 of the default order. */
export function flagPage(flags: readonly FlagRow[], query: { flags?: string; sort?: string }): { rows: FlagRow[]; page: number; pages: number; sort: FlagSort } {
  const sort = (FLAG_SORTS as readonly string[]).includes(query.sort ?? '') ? (query.sort as FlagSort) : 'strength';
  const pages = Math.max(1, Math.ceil(flags.length / FLAGS_PER_PAGE));
  const asked = Number(query.flags);
  const page = Number.isInteger(asked) && asked >= 1 ? Math.min(asked, pages) : 1;
  const rows = [...flags].sort(ORDER[sort]).slice((page - 1) * FLAGS_PER_PAGE, page * FLAGS_PER_PAGE);
  return { rows, page, pages, sort };
}
