/**
 * `arbiter db copy --to postgres://…`: moves an existing SQLite install into PostgreSQL.
 *
 * Every table is copied with its ids, parents before children (the foreign keys say the order), in ONE
 * PostgreSQL transaction that is committed only after verification: per table the row count and a checksum
 * of every row, computed on the SQLite side while reading and on the PostgreSQL side by reading the copy
 * back inside the same transaction. Identity sequences are then advanced past the copied ids, so new rows
 * do not collide. A target that already holds any Arbiter row is refused before anything is written; a
 * target without the schema is migrated first (db/migrations-pg, under the migration lock).
 *
 * The checksum is order-independent (a sum of per-row SHA-256 prefixes, mod 2^64), so the two sides need
 * not agree on a sort order (SQLite compares text by bytes, PostgreSQL by collation). A row's canonical form
 * is its values in column order with booleans as true/false, times as milliseconds, JSON as its exact text
 * and binary data as hex: a value that changed on the way (a real rounded, a JSON text re-serialised, a
 * boolean flipped) changes the sum.
 *
 * The source is read inside one read transaction, so a copy taken while Arbiter runs is consistent; writes
 * made after it starts are not in the copy, so stop the web server and workers first (docs/RELIABILITY.md).
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { getTableConfig, PgTable, type PgColumn } from 'drizzle-orm/pg-core';
import { is } from 'drizzle-orm';
import pg from 'pg';
import { AppError } from '@/lib/errors';
import { migratePostgresWith } from './client';
import * as pgTables from './schema/pg';

/** Rows per INSERT: PostgreSQL takes at most 65,535 bind parameters in one statement. */
const MAX_PARAMETERS = 60_000;
const READ_BACK_PAGE = 10_000;

type ColumnKind = 'boolean' | 'timestamp' | 'json' | 'bytes' | 'number' | 'text';

type TablePlan = { name: string; columns: { name: string; kind: ColumnKind }[]; identity: string | null; parents: string[] };

export type TableCopy = { table: string; rows: number; checksum: string; verified: boolean };
export type CopyReport = { to: string; tables: TableCopy[]; rows: number; seconds: number };

function kindOf(column: PgColumn): ColumnKind {
  const type = column.getSQLType();
  if (type === 'boolean') return 'boolean';
  if (type === 'bigint') return 'timestamp'; // the only bigint columns are timestampMs (db/schema/pg/columns.ts)
  if (type === 'json') return 'json';
  if (type === 'bytea') return 'bytes';
  if (type === 'integer' || type === 'double precision') return 'number';
  return 'text';
}

/** The tables in an order that inserts every parent before its children. */
export function copyPlan(): TablePlan[] {
  const plans = new Map<string, TablePlan>();
  for (const value of Object.values(pgTables)) {
    if (!is(value, PgTable)) continue;
    const config = getTableConfig(value);
    const identity = config.columns.find((c) => c.generatedIdentity)?.name ?? null;
    const parents = [...new Set(config.foreignKeys.map((fk) => getTableConfig(fk.reference().foreignTable).name).filter((t) => t !== config.name))];
    plans.set(config.name, { name: config.name, columns: config.columns.map((c) => ({ name: c.name, kind: kindOf(c) })), identity, parents });
  }
  const ordered: TablePlan[] = [];
  const placed = new Set<string>();
  while (ordered.length < plans.size) {
    const ready = [...plans.values()].filter((p) => !placed.has(p.name) && p.parents.every((parent) => placed.has(parent)));
    if (ready.length === 0) throw new Error('the schema has a foreign-key cycle between tables; db copy cannot order them');
    for (const plan of ready.sort((a, b) => a.name.localeCompare(b.name))) {
      ordered.push(plan);
      placed.add(plan.name);
    }
  }
  return ordered;
}

/** A value in the one canonical form both sides hash. */
function canonical(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'boolean':
      return value === true || value === 1 || value === '1' || value === 't';
    case 'timestamp':
    case 'number':
      return Number(value);
    case 'bytes':
      return (value as Buffer).toString('hex');
    default:
      return String(value);
  }
}

/** A running order-independent checksum: the sum of each row's SHA-256 prefix, mod 2^64. */
class TableChecksum {
  private sum = 0n;
  rows = 0;
  add(plan: TablePlan, row: Record<string, unknown>): void {
    const values = plan.columns.map((c) => canonical(c.kind, row[c.name]));
    this.sum = (this.sum + createHash('sha256').update(JSON.stringify(values)).digest().readBigUInt64BE(0)) & 0xffffffffffffffffn;
    this.rows++;
  }
  get hex(): string {
    return this.sum.toString(16).padStart(16, '0');
  }
}

/** A SQLite value as PostgreSQL's column takes it: 0/1 become booleans, everything else goes as it is. */
function toPostgres(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'boolean') return value === 1 || value === true;
  return value;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function insertRows(client: pg.ClientBase, plan: TablePlan, rows: Record<string, unknown>[]): Promise<void> {
  const width = plan.columns.length;
  const params: unknown[] = [];
  const tuples = rows.map((row, r) => {
    for (const c of plan.columns) params.push(toPostgres(c.kind, row[c.name]));
    return `(${plan.columns.map((_, i) => `$${r * width + i + 1}`).join(', ')})`;
  });
  // OVERRIDING SYSTEM VALUE: the ids are the source's, not the identity sequence's.
  const overriding = plan.identity ? ' overriding system value' : '';
  await client.query(`insert into ${quote(plan.name)} (${plan.columns.map((c) => quote(c.name)).join(', ')})${overriding} values ${tuples.join(', ')}`, params);
}

/** Refuses a target holding any Arbiter row: a copy must never merge into, or overwrite, live data. */
async function assertEmpty(client: pg.ClientBase, plans: TablePlan[]): Promise<void> {
  for (const plan of plans) {
    const { rows } = await client.query<{ found: boolean }>(`select exists (select 1 from ${quote(plan.name)}) as found`);
    if (rows[0]?.found) throw new AppError('conflict', `the target database is not empty (table ${plan.name} has rows): db copy only fills an empty database; nothing was written`);
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/**
 * Copies the SQLite database in `sourceFile` into the PostgreSQL database at `targetUrl`.
 * `onTable` reports progress after each table.
 */
export async function copyDatabase(sourceFile: string, targetUrl: string, onTable: (copy: TableCopy) => void = () => undefined): Promise<CopyReport> {
  if (!/^postgres(ql)?:\/\//.test(targetUrl)) throw new AppError('usage', '--to must be a PostgreSQL URL such as postgres://user:password@host:5432/arbiter');
  const started = Date.now();
  const plans = copyPlan();
  const source = new Database(sourceFile, { readonly: true, fileMustExist: true });
  const target = new pg.Client({ connectionString: targetUrl });
  try {
    try {
      await target.connect();
    } catch (error) {
      throw new AppError('unavailable', `cannot connect to ${redact(targetUrl)}: ${(error as Error).message}`);
    }
    await migratePostgresWith(target);
    // One snapshot of the source for the whole copy.
    source.exec('BEGIN');
    await target.query('BEGIN');
    const tables: TableCopy[] = [];
    try {
      // Two copies started together must not both find the target empty.
      await target.query('lock table ' + plans.map((p) => quote(p.name)).join(', ') + ' in exclusive mode');
      await assertEmpty(target, plans);
      for (const plan of plans) {
        const written = new TableChecksum();
        const batch = Math.max(1, Math.floor(MAX_PARAMETERS / plan.columns.length));
        let pending: Record<string, unknown>[] = [];
        for (const row of source.prepare(`select * from ${quote(plan.name)} order by rowid`).iterate() as Iterable<Record<string, unknown>>) {
          written.add(plan, row);
          pending.push(row);
          if (pending.length === batch) {
            await insertRows(target, plan, pending);
            pending = [];
          }
        }
        if (pending.length > 0) await insertRows(target, plan, pending);
        if (plan.identity) {
          // The next id after the largest copied one (or 1 for an empty table).
          await target.query(`select setval(pg_get_serial_sequence($1, $2), coalesce((select max(${quote(plan.identity)}) from ${quote(plan.name)}), 0) + 1, false)`, [plan.name, plan.identity]);
        }
        const copied = await readBack(target, plan);
        const copy = { table: plan.name, rows: written.rows, checksum: written.hex, verified: copied.rows === written.rows && copied.hex === written.hex };
        if (!copy.verified) {
          throw new AppError('damaged', `verification failed for ${plan.name}: SQLite ${written.rows} rows (checksum ${written.hex}), PostgreSQL ${copied.rows} rows (checksum ${copied.hex}); nothing was written`);
        }
        tables.push(copy);
        onTable(copy);
      }
      await target.query('COMMIT');
    } catch (error) {
      await target.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      source.exec('COMMIT');
    }
    return { to: redact(targetUrl), tables, rows: tables.reduce((s, t) => s + t.rows, 0), seconds: (Date.now() - started) / 1000 };
  } finally {
    source.close();
    await target.end().catch(() => undefined);
  }
}

/** Reads a copied table back through a cursor (inside the copy's transaction) and sums it the same way. */
async function readBack(client: pg.ClientBase, plan: TablePlan): Promise<TableChecksum> {
  const sum = new TableChecksum();
  const cursor = `copy_${plan.name}`;
  await client.query(`declare ${quote(cursor)} no scroll cursor for select * from ${quote(plan.name)}`);
  for (;;) {
    const { rows } = await client.query<Record<string, unknown>>(`fetch ${READ_BACK_PAGE} from ${quote(cursor)}`);
    for (const row of rows) sum.add(plan, row);
    if (rows.length < READ_BACK_PAGE) break;
  }
  await client.query(`close ${quote(cursor)}`);
  return sum;
}
