/**
 * SQL that SQLite and PostgreSQL spell differently, named once so query code stays one text for both.
 * Everything else the two share: drizzle builders, `on conflict … do nothing/update`, `returning`, `->>`,
 * `true`/`false` literals (SQLite reads them as 1/0), `cast(… as integer)`, `random()`, `coalesce`.
 */
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { isPostgres } from './dialect';

/** The larger of its arguments: SQLite's two-argument `max`, PostgreSQL's `greatest`. */
export const greatest = (...values: (SQLWrapper | number)[]): SQL =>
  isPostgres ? sql`greatest(${sql.join(values.map((v) => sql`${v}`), sql`, `)})` : sql`max(${sql.join(values.map((v) => sql`${v}`), sql`, `)})`;

/**
 * A FROM-clause source of the elements of a JSON array bound as text (`json`, e.g. JSON.stringify(values)
 * or a placeholder holding it), named `as`, with columns `as.key` (ascending in array order: SQLite counts
 * from 0, PostgreSQL from 1, so order by it, never compare it) and `as.value`.
 *   - elements 'scalar': `as.value` is the element itself; SQLite keeps its JSON type, PostgreSQL gives text,
 *     so compare through `cast(as.value as integer)` / `cast(as.value as text)`;
 *   - elements 'json' (arrays or objects): read fields with `as.value ->> 0` / `as.value ->> 'name'` (text on both).
 */
export function jsonArrayElements(json: SQLWrapper | string, as: string, elements: 'scalar' | 'json'): SQL {
  const name = sql.identifier(as);
  if (!isPostgres) return sql`json_each(${json}) ${name}`;
  const fn = elements === 'scalar' ? sql`json_array_elements_text` : sql`json_array_elements`;
  return sql`${fn}(cast(${json} as json)) with ordinality as ${name}(value, key)`;
}

/**
 * JSON text (a bound string, a `->>` field) as the value of a JSON column: PostgreSQL's `json` type needs
 * the cast (text is not assigned to it implicitly); SQLite stores the text itself.
 */
export const asJson = (text: SQLWrapper): SQL => (isPostgres ? sql`cast(${text} as json)` : sql`${text}`);

/**
 * Text compared and ordered byte by byte, as SQLite does: PostgreSQL's `collate "C"` (otherwise it follows
 * the database's locale). For orders and keyset cursors that decide an output's bytes.
 */
export const bytewise = (text: SQLWrapper): SQL => (isPostgres ? sql`${text} collate "C"` : sql`${text}`);

/**
 * A select that row-locks what it reads, on PostgreSQL: `FOR UPDATE` (with `skipLocked`: `FOR UPDATE SKIP
 * LOCKED`, rows another transaction holds are passed over), for a read that decides a write in a transaction
 * that does not take the all-writers lock (a job claim). SQLite has no such clause and needs none: its write
 * transaction holds the whole database. Call it on the builder before `.prepare()`.
 */
export function forUpdate<Q>(query: Q, options: { skipLocked?: true } = {}): Q {
  if (!isPostgres) return query;
  // The builders are typed as SQLite's (db/client.ts), which have no `for`; PostgreSQL's select has it.
  return (query as unknown as { for(strength: 'update', config: { skipLocked?: true }): Q }).for('update', options);
}
