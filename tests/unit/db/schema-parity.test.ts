/**
 * The SQLite schema (db/schema/sqlite) and the PostgreSQL schema (db/schema/pg) describe one database.
 * Query code is written once against the SQLite tables' types and runs on the PostgreSQL tables when
 * ARBITER_DATABASE_URL is set (db/schema/index.ts), so the two must agree on everything that code and
 * the data can see: table and column names, column order, nullability, defaults, keys, indexes, foreign
 * keys, and the JavaScript type of every column. Pure: it reads the drizzle definitions, no database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { is, SQL, type Column } from 'drizzle-orm';
import type { DrizzleSnapshotJSON, DrizzleSQLiteSnapshotJSON } from 'drizzle-kit/api';
import { getTableConfig as getPgTableConfig, pgTable, PgTable, type IndexedColumn, type PgColumn } from 'drizzle-orm/pg-core';
import { getTableConfig as getSqliteTableConfig, SQLiteTable, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import * as pgColumns from '@/db/schema/pg/columns';
import * as pg from '@/db/schema/pg';
import * as sqliteColumns from '@/db/schema/sqlite/columns';
import * as sqlite from '@/db/schema/sqlite';

const root = path.resolve(import.meta.dirname, '../../..');

/** The newest snapshot drizzle-kit wrote into a migrations folder: what the migrations build, as JSON. */
function latestSnapshot<T>(folder: string): T {
  const journal = JSON.parse(fs.readFileSync(path.join(root, folder, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  const last = journal.entries.at(-1)!;
  return JSON.parse(fs.readFileSync(path.join(root, folder, 'meta', `${last.tag.split('_')[0]}_snapshot.json`), 'utf8')) as T;
}

const sqliteTables = Object.entries(sqlite as Record<string, unknown>).filter((e): e is [string, SQLiteTable] => is(e[1], SQLiteTable));
const pgTables = new Map(Object.entries(pg as Record<string, unknown>).filter((e): e is [string, PgTable] => is(e[1], PgTable)));

/**
 * One column type in words both dialects share. Each pair is a deliberate mapping that keeps the
 * JavaScript value the same (db/schema/pg/columns.ts); a type outside the list maps to a dialect-tagged
 * name, which can never equal the other side's.
 */
function sqliteType(c: SQLiteColumn): string {
  switch (c.columnType) {
    case 'SQLiteTimestamp':
      return (c as unknown as { mode: string }).mode === 'timestamp_ms' ? 'timestamp_ms' : 'sqlite:timestamp(s)';
    case 'SQLiteBoolean':
      return 'boolean';
    case 'SQLiteReal':
      return 'double';
    case 'SQLiteTextJson':
      return 'json';
    case 'SQLiteInteger':
      return 'integer';
    case 'SQLiteText':
      return 'text';
    case 'SQLiteBlobBuffer':
      return 'bytes';
    default:
      return `sqlite:${c.columnType}`;
  }
}

function pgType(c: PgColumn): string {
  switch (c.columnType) {
    case 'PgCustomColumn':
      // The two custom types of db/schema/pg/columns.ts, told apart by their SQL type.
      return c.getSQLType() === 'bigint' ? 'timestamp_ms' : c.getSQLType() === 'bytea' ? 'bytes' : `pg:custom ${c.getSQLType()}`;
    case 'PgBoolean':
      return 'boolean';
    case 'PgDoublePrecision':
      return 'double';
    case 'PgJson':
      return 'json';
    case 'PgInteger':
      return 'integer';
    case 'PgText':
      return 'text';
    default:
      return `pg:${c.columnType}`;
  }
}

/** SQL as text, columns by name: `sql\`${t.priority} desc\`` → "priority desc". */
function renderSql(s: SQL): string {
  return s.queryChunks
    .map((chunk) => {
      if (typeof chunk === 'object' && chunk !== null && 'value' in chunk && Array.isArray(chunk.value)) return chunk.value.join('');
      if (typeof chunk === 'object' && chunk !== null && 'name' in chunk) return String(chunk.name);
      return String(chunk);
    })
    .join('')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * A default in words both dialects share: the per-dialect `now` expressions are the same default, and a
 * SQL literal is compared without PostgreSQL's `::json` cast (SQLite's json is text, PostgreSQL's needs the cast).
 */
function defaultOf(c: Column, now: SQL): string {
  if (c.default === undefined) return 'none';
  if (c.default === now) return 'now';
  if (is(c.default, SQL)) return `sql ${renderSql(c.default).replace(/::json$/, '')}`;
  return `value ${JSON.stringify(c.default)}`;
}

function describeColumn(c: Column, type: string, now: SQL, autoIncrement: boolean) {
  return {
    name: c.name,
    type,
    notNull: c.notNull,
    primary: c.primary,
    hasDefault: c.hasDefault,
    default: defaultOf(c, now),
    autoIncrement,
    isUnique: c.isUnique,
    uniqueName: c.uniqueName ?? null,
    enumValues: c.enumValues ?? null,
  };
}

/** Everything the parity asserts about one table, in dialect-neutral terms. */
function sqliteShape(table: SQLiteTable) {
  const config = getSqliteTableConfig(table);
  return {
    name: config.name,
    columns: config.columns.map((c) =>
      describeColumn(c, sqliteType(c), sqliteColumns.now, (c as unknown as { autoIncrement?: boolean }).autoIncrement === true),
    ),
    primaryKeys: config.primaryKeys.map((pk) => ({ name: pk.getName(), columns: pk.columns.map((c) => c.name) })),
    uniqueConstraints: config.uniqueConstraints.map((u) => ({ name: u.getName(), columns: u.columns.map((c) => c.name) })),
    indexes: config.indexes.map((i) => ({
      name: i.config.name,
      unique: i.config.unique,
      columns: i.config.columns.map((c) => (is(c, SQL) ? renderSql(c) : c.name)),
      where: i.config.where ? renderSql(i.config.where) : null,
    })),
    foreignKeys: config.foreignKeys.map((fk) => {
      const ref = fk.reference();
      return {
        name: fk.getName(),
        columns: ref.columns.map((c) => c.name),
        foreignTable: getSqliteTableConfig(ref.foreignTable).name,
        foreignColumns: ref.foreignColumns.map((c) => c.name),
        onDelete: fk.onDelete ?? 'no action',
        onUpdate: fk.onUpdate ?? 'no action',
      };
    }),
    checks: config.checks.map((c) => c.name),
  };
}

function pgShape(table: PgTable) {
  const config = getPgTableConfig(table);
  return {
    name: config.name,
    columns: config.columns.map((c) =>
      // PostgreSQL's counterpart of an AUTOINCREMENT key is an identity "by default", which still takes
      // the ids copied over from SQLite; "always" would refuse them.
      describeColumn(c, pgType(c), pgColumns.now, c.generatedIdentity?.type === 'byDefault'),
    ),
    primaryKeys: config.primaryKeys.map((pk) => ({ name: pk.getName(), columns: pk.columns.map((c) => c.name) })),
    uniqueConstraints: config.uniqueConstraints.map((u) => ({ name: u.getName(), columns: u.columns.map((c) => c.name) })),
    indexes: config.indexes.map((i) => ({
      name: i.config.name,
      unique: i.config.unique,
      // A `.desc()` column is SQLite's `sql\`${column} desc\``. NULLS FIRST/LAST is left out: every indexed
      // sort key here is NOT NULL, so it changes no order; PostgreSQL's indexes still name it to match
      // the queries' ORDER BY (its planner does not use NOT NULL to match an index's NULLS order).
      columns: (i.config.columns as (SQL | IndexedColumn)[]).map((c) =>
        is(c, SQL) ? renderSql(c) : c.indexConfig.order === 'desc' ? `${c.name} desc` : c.name,
      ),
      where: i.config.where ? renderSql(i.config.where) : null,
    })),
    foreignKeys: config.foreignKeys.map((fk) => {
      const ref = fk.reference();
      return {
        name: fk.getName(),
        columns: ref.columns.map((c) => c.name),
        foreignTable: getPgTableConfig(ref.foreignTable).name,
        foreignColumns: ref.foreignColumns.map((c) => c.name),
        onDelete: fk.onDelete ?? 'no action',
        onUpdate: fk.onUpdate ?? 'no action',
      };
    }),
    checks: config.checks.map((c) => c.name),
  };
}

describe('schema parity (SQLite ↔ PostgreSQL)', () => {
  it('exports the same names from both schema folders', () => {
    expect(Object.keys(pg).sort()).toEqual(Object.keys(sqlite).sort());
    expect(sqliteTables.length).toBeGreaterThan(20);
  });

  it('has the same tables under the same export names', () => {
    expect([...pgTables.keys()].sort()).toEqual(sqliteTables.map(([name]) => name).sort());
    for (const [name, table] of sqliteTables) expect(getPgTableConfig(pgTables.get(name)!).name, name).toBe(getSqliteTableConfig(table).name);
  });

  it.each(sqliteTables.map(([name, table]) => [name, table] as const))('%s: same columns, keys, indexes and foreign keys', (name, table) => {
    const pgTable = pgTables.get(name);
    expect(pgTable, name).toBeDefined();
    const expected = sqliteShape(table);
    // Nothing may fall through the type mapping (a new column type needs a deliberate mapping above).
    for (const c of expected.columns) expect(c.type, `${name}.${c.name}`).not.toMatch(/^sqlite:/);
    expect(pgShape(pgTable!)).toEqual(expected);
  });

  it('reads and writes with the custom PostgreSQL columns what SQLite does (Date ↔ bigint ms, Buffer ↔ bytea)', () => {
    // The row-type checks below see only the declared types (Date, Buffer); this runs the conversions.
    const when = new Date(1_700_000_000_123);
    const ts = pgColumns.timestampMs('t').notNull();
    const column = getPgTableConfig(pgTable('probe', { t: ts })).columns[0]!;
    expect(column.getSQLType()).toBe('bigint');
    expect(column.mapToDriverValue(when)).toBe(1_700_000_000_123);
    // int8 arrives as a string from node-postgres unless a type parser made it a number; both read back.
    expect(column.mapFromDriverValue('1700000000123')).toEqual(when);
    expect(column.mapFromDriverValue(1_700_000_000_123)).toEqual(when);
    const bytes = getPgTableConfig(pgTable('probe', { b: pgColumns.bytea('b') })).columns[0]!;
    expect(bytes.getSQLType()).toBe('bytea');
    const buffer = Buffer.from([0, 1, 255]);
    expect(bytes.mapToDriverValue(buffer)).toBe(buffer);
    expect(bytes.mapFromDriverValue(buffer)).toBe(buffer);
  });

  // The parity above holds between the definitions; these hold each definition to its migrations, so
  // a schema edit without `npm run db:generate` (or with only one dialect generated) fails here.
  it('has PostgreSQL migrations (db/migrations-pg) that build exactly db/schema/pg', async () => {
    const kit = await import('drizzle-kit/api');
    const previous = latestSnapshot<DrizzleSnapshotJSON>('db/migrations-pg');
    const current = kit.generateDrizzleJson(pg as Record<string, unknown>, previous.id);
    expect(await kit.generateMigration(previous, current)).toEqual([]);
  });

  it('has SQLite migrations (db/migrations) that build exactly db/schema/sqlite', async () => {
    const kit = await import('drizzle-kit/api');
    const previous = latestSnapshot<DrizzleSQLiteSnapshotJSON>('db/migrations');
    const current = await kit.generateSQLiteDrizzleJson(sqlite as Record<string, unknown>, previous.id);
    expect(await kit.generateSQLiteMigration(previous, current)).toEqual([]);
  });

  describe('db/schema/index.ts', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
      vi.resetModules();
    });

    /** The selector module as a process started with (or without) ARBITER_DATABASE_URL sees it. */
    async function selectorWith(url: string): Promise<Record<string, unknown>> {
      vi.stubEnv('ARBITER_DATABASE_URL', url);
      vi.resetModules();
      return import('@/db/schema');
    }

    it('exports every SQLite table when no database URL is set', async () => {
      const selected = await selectorWith('');
      for (const [name, table] of sqliteTables) {
        expect(is(selected[name], SQLiteTable), name).toBe(true);
        expect(getSqliteTableConfig(selected[name] as SQLiteTable).name).toBe(getSqliteTableConfig(table).name);
      }
    });

    it('exports every PostgreSQL table when ARBITER_DATABASE_URL is set', async () => {
      const selected = await selectorWith('postgres://parity.invalid/arbiter');
      for (const [name] of sqliteTables) {
        expect(is(selected[name], PgTable), name).toBe(true);
        expect(getPgTableConfig(selected[name] as PgTable).name).toBe(getPgTableConfig(pgTables.get(name)!).name);
      }
    });
  });

  it('gives every table pair identical row and insert types (checked by tsc)', () => {
    // One line per table, not a loop: a mapped type over both modules would report a mismatch without
    // naming the table, and a loop over values cannot carry per-table types.
    expectTypeOf<typeof pg.users.$inferSelect>().toEqualTypeOf<typeof sqlite.users.$inferSelect>();
    expectTypeOf<typeof pg.users.$inferInsert>().toEqualTypeOf<typeof sqlite.users.$inferInsert>();
    expectTypeOf<typeof pg.sessions.$inferSelect>().toEqualTypeOf<typeof sqlite.sessions.$inferSelect>();
    expectTypeOf<typeof pg.sessions.$inferInsert>().toEqualTypeOf<typeof sqlite.sessions.$inferInsert>();
    expectTypeOf<typeof pg.accounts.$inferSelect>().toEqualTypeOf<typeof sqlite.accounts.$inferSelect>();
    expectTypeOf<typeof pg.accounts.$inferInsert>().toEqualTypeOf<typeof sqlite.accounts.$inferInsert>();
    expectTypeOf<typeof pg.verifications.$inferSelect>().toEqualTypeOf<typeof sqlite.verifications.$inferSelect>();
    expectTypeOf<typeof pg.verifications.$inferInsert>().toEqualTypeOf<typeof sqlite.verifications.$inferInsert>();
    expectTypeOf<typeof pg.apiTokens.$inferSelect>().toEqualTypeOf<typeof sqlite.apiTokens.$inferSelect>();
    expectTypeOf<typeof pg.apiTokens.$inferInsert>().toEqualTypeOf<typeof sqlite.apiTokens.$inferInsert>();
    expectTypeOf<typeof pg.signInAttempts.$inferSelect>().toEqualTypeOf<typeof sqlite.signInAttempts.$inferSelect>();
    expectTypeOf<typeof pg.signInAttempts.$inferInsert>().toEqualTypeOf<typeof sqlite.signInAttempts.$inferInsert>();
    expectTypeOf<typeof pg.rateLimits.$inferSelect>().toEqualTypeOf<typeof sqlite.rateLimits.$inferSelect>();
    expectTypeOf<typeof pg.rateLimits.$inferInsert>().toEqualTypeOf<typeof sqlite.rateLimits.$inferInsert>();
    expectTypeOf<typeof pg.projects.$inferSelect>().toEqualTypeOf<typeof sqlite.projects.$inferSelect>();
    expectTypeOf<typeof pg.projects.$inferInsert>().toEqualTypeOf<typeof sqlite.projects.$inferInsert>();
    expectTypeOf<typeof pg.projectGuidelines.$inferSelect>().toEqualTypeOf<typeof sqlite.projectGuidelines.$inferSelect>();
    expectTypeOf<typeof pg.projectGuidelines.$inferInsert>().toEqualTypeOf<typeof sqlite.projectGuidelines.$inferInsert>();
    expectTypeOf<typeof pg.projectMembers.$inferSelect>().toEqualTypeOf<typeof sqlite.projectMembers.$inferSelect>();
    expectTypeOf<typeof pg.projectMembers.$inferInsert>().toEqualTypeOf<typeof sqlite.projectMembers.$inferInsert>();
    expectTypeOf<typeof pg.invites.$inferSelect>().toEqualTypeOf<typeof sqlite.invites.$inferSelect>();
    expectTypeOf<typeof pg.invites.$inferInsert>().toEqualTypeOf<typeof sqlite.invites.$inferInsert>();
    expectTypeOf<typeof pg.prompts.$inferSelect>().toEqualTypeOf<typeof sqlite.prompts.$inferSelect>();
    expectTypeOf<typeof pg.prompts.$inferInsert>().toEqualTypeOf<typeof sqlite.prompts.$inferInsert>();
    expectTypeOf<typeof pg.responses.$inferSelect>().toEqualTypeOf<typeof sqlite.responses.$inferSelect>();
    expectTypeOf<typeof pg.responses.$inferInsert>().toEqualTypeOf<typeof sqlite.responses.$inferInsert>();
    expectTypeOf<typeof pg.items.$inferSelect>().toEqualTypeOf<typeof sqlite.items.$inferSelect>();
    expectTypeOf<typeof pg.items.$inferInsert>().toEqualTypeOf<typeof sqlite.items.$inferInsert>();
    expectTypeOf<typeof pg.assignments.$inferSelect>().toEqualTypeOf<typeof sqlite.assignments.$inferSelect>();
    expectTypeOf<typeof pg.assignments.$inferInsert>().toEqualTypeOf<typeof sqlite.assignments.$inferInsert>();
    expectTypeOf<typeof pg.judgments.$inferSelect>().toEqualTypeOf<typeof sqlite.judgments.$inferSelect>();
    expectTypeOf<typeof pg.judgments.$inferInsert>().toEqualTypeOf<typeof sqlite.judgments.$inferInsert>();
    expectTypeOf<typeof pg.comparisons.$inferSelect>().toEqualTypeOf<typeof sqlite.comparisons.$inferSelect>();
    expectTypeOf<typeof pg.comparisons.$inferInsert>().toEqualTypeOf<typeof sqlite.comparisons.$inferInsert>();
    expectTypeOf<typeof pg.jobs.$inferSelect>().toEqualTypeOf<typeof sqlite.jobs.$inferSelect>();
    expectTypeOf<typeof pg.jobs.$inferInsert>().toEqualTypeOf<typeof sqlite.jobs.$inferInsert>();
    expectTypeOf<typeof pg.jobMetrics.$inferSelect>().toEqualTypeOf<typeof sqlite.jobMetrics.$inferSelect>();
    expectTypeOf<typeof pg.jobMetrics.$inferInsert>().toEqualTypeOf<typeof sqlite.jobMetrics.$inferInsert>();
    expectTypeOf<typeof pg.models.$inferSelect>().toEqualTypeOf<typeof sqlite.models.$inferSelect>();
    expectTypeOf<typeof pg.models.$inferInsert>().toEqualTypeOf<typeof sqlite.models.$inferInsert>();
    expectTypeOf<typeof pg.modelScores.$inferSelect>().toEqualTypeOf<typeof sqlite.modelScores.$inferSelect>();
    expectTypeOf<typeof pg.modelScores.$inferInsert>().toEqualTypeOf<typeof sqlite.modelScores.$inferInsert>();
    expectTypeOf<typeof pg.leaderboards.$inferSelect>().toEqualTypeOf<typeof sqlite.leaderboards.$inferSelect>();
    expectTypeOf<typeof pg.leaderboards.$inferInsert>().toEqualTypeOf<typeof sqlite.leaderboards.$inferInsert>();
    expectTypeOf<typeof pg.responseFeatures.$inferSelect>().toEqualTypeOf<typeof sqlite.responseFeatures.$inferSelect>();
    expectTypeOf<typeof pg.responseFeatures.$inferInsert>().toEqualTypeOf<typeof sqlite.responseFeatures.$inferInsert>();
    expectTypeOf<typeof pg.workers.$inferSelect>().toEqualTypeOf<typeof sqlite.workers.$inferSelect>();
    expectTypeOf<typeof pg.workers.$inferInsert>().toEqualTypeOf<typeof sqlite.workers.$inferInsert>();
  });

  it('checks the types of every table (the list above is complete)', () => {
    // 24 tables when this was written; a new table needs its two lines in the test above.
    expect(sqliteTables.map(([name]) => name).sort()).toEqual(
      [
        'accounts', 'apiTokens', 'assignments', 'comparisons', 'invites', 'items', 'jobMetrics', 'jobs', 'judgments', 'leaderboards', 'modelScores',
        'models', 'projectGuidelines', 'projectMembers', 'projects', 'prompts', 'responseFeatures', 'rateLimits', 'responses', 'sessions', 'signInAttempts', 'users',
        'verifications', 'workers',
      ].sort(),
    );
  });
});
