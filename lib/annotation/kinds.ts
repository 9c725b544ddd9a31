/**
 * The names of annotation: item kinds and statuses, lease statuses, a pairwise answer, where a label came
 * from. Domain names, so they live in lib/ (db/schema/sqlite/annotation.ts and db/schema/pg/annotation.ts
 * store them as text enums and import them from here).
 */

export const ITEM_KINDS = ['pair', 'ranking', 'rating'] as const;
export const ITEM_STATUSES = ['open', 'complete', 'disabled'] as const;
export const ASSIGNMENT_STATUSES = ['active', 'submitted', 'expired', 'skipped'] as const;

/** A pairwise answer: 'a' / 'b' are items.responseIds[0] / [1] (canonical, not shown, order). */
export const WINNERS = ['a', 'b', 'tie', 'both_bad'] as const;
export type Winner = (typeof WINNERS)[number];

export const LABEL_SOURCES = ['human', 'judge', 'synthetic', 'imported', 'implicit'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];
