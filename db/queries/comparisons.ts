/**
 * The one door comparisons are written through: annotation, imports, generated projects and policy
 * rounds all call `insertComparisons` inside their own write transaction, so the columns a comparison
 * carries, and their defaults, are decided here once.
 */
import { is, sql, SQL } from 'drizzle-orm';
import { changedRows, execute, prepareOnce, type Db } from '../client';
import { comparisons } from '../schema';

export type NewComparison = Omit<typeof comparisons.$inferInsert, 'id' | 'createdAt'>;

/** The columns an INSERT … SELECT source must produce, in this order. */
export const COMPARISON_INSERT_COLUMNS = [
  comparisons.projectId,
  comparisons.promptId,
  comparisons.judgmentId,
  comparisons.winnerResponseId,
  comparisons.loserResponseId,
  comparisons.isTie,
  comparisons.tieKind,
  comparisons.strength,
  comparisons.weight,
  comparisons.annotatorId,
  comparisons.labelSource,
  comparisons.groupId,
] as const;

// SQLite binds at most 32,766 parameters per statement (PostgreSQL 65,535); 12 columns a row leaves room for 2,000 rows.
const ROWS_PER_STATEMENT = 2000;

/**
 * Up to this many rows are written one at a time through one prepared statement (an annotation submit
 * writes 1, a ranking of k responses k(k-1)/2, at most 36): building a multi-row INSERT costs drizzle
 * more than running a prepared one a few dozen times.
 */
const PREPARED_ROWS_UP_TO = 64;

const ROW_KEYS = [
  'projectId',
  'promptId',
  'judgmentId',
  'winnerResponseId',
  'loserResponseId',
  'isTie',
  'tieKind',
  'strength',
  'weight',
  'annotatorId',
  'labelSource',
  'groupId',
] as const satisfies readonly (keyof NewComparison)[];

/** What a column a row leaves out gets, as the builder's multi-row insert gives it: the schema's default, else null. */
const OMITTED = Object.fromEntries(
  ROW_KEYS.map((key) => {
    const fallback = comparisons[key].default;
    if (is(fallback, SQL)) throw new Error(`comparisons.${key}: a SQL default cannot be bound to a prepared insert`);
    return [key, fallback ?? null];
  }),
) as Record<(typeof ROW_KEYS)[number], unknown>;

/** One comparison, every column a placeholder named by its key (bound through the column's mapping: isTie a boolean). */
const insertOne = prepareOnce((d) =>
  d
    .insert(comparisons)
    .values({
      projectId: sql.placeholder('projectId'),
      promptId: sql.placeholder('promptId'),
      judgmentId: sql.placeholder('judgmentId'),
      winnerResponseId: sql.placeholder('winnerResponseId'),
      loserResponseId: sql.placeholder('loserResponseId'),
      isTie: sql.placeholder('isTie'),
      tieKind: sql.placeholder('tieKind'),
      strength: sql.placeholder('strength'),
      weight: sql.placeholder('weight'),
      annotatorId: sql.placeholder('annotatorId'),
      labelSource: sql.placeholder('labelSource'),
      groupId: sql.placeholder('groupId'),
    })
    .prepare(),
);

/**
 * Inserts comparisons in the caller's transaction `tx`: either rows, or a SELECT producing
 * COMPARISON_INSERT_COLUMNS in order (the staged import's INSERT … SELECT; on PostgreSQL its values must
 * have the columns' types: cast parameters and JSON fields, `true`/`false` for is_tie). Returns how many
 * were written, as the database reports it.
 */
export async function insertComparisons(tx: Db, source: readonly NewComparison[] | SQL): Promise<number> {
  if (!Array.isArray(source)) {
    const columns = sql.join(COMPARISON_INSERT_COLUMNS.map((column) => sql.identifier(column.name)), sql`, `);
    return execute(sql`insert into ${comparisons} (${columns}) ${source as SQL}`, tx);
  }
  const rows = source as readonly NewComparison[];
  let inserted = 0;
  if (rows.length <= PREPARED_ROWS_UP_TO) {
    const statement = insertOne(tx);
    for (const row of rows) {
      const values: Record<string, unknown> = {};
      for (const key of ROW_KEYS) values[key] = row[key] === undefined ? OMITTED[key] : row[key];
      inserted += changedRows(await statement.execute(values));
    }
    return inserted;
  }
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    inserted += changedRows(await tx.insert(comparisons).values(rows.slice(start, start + ROWS_PER_STATEMENT)));
  }
  return inserted;
}
