/**
 * Benchmarks on either database (bench/load.ts, bench/queue.ts): the `--dialect sqlite|postgres|both` option,
 * the PostgreSQL server a run uses, a fresh database per run, the server's settings for the results, and a
 * small reader for the checks after a run that works on both (better-sqlite3 on the file, pg.Client on the URL).
 *
 * A process's dialect is fixed when it first imports the data layer (db/dialect.ts reads ARBITER_DATABASE_URL),
 * so `--dialect postgres` and `--dialect both` run the bench once per dialect, one after the other, each in a
 * child process of its own (`--bench-child FILE`: the child measures and writes its result there), and write
 * the runs side by side in bench/results/<name>-dialects.json. `--dialect sqlite` (the default) runs in-process
 * and writes the bench's usual result file, as before.
 *
 * The PostgreSQL server: ARBITER_TEST_POSTGRES_URL when set (its settings are recorded as found), else a private
 * cluster from scripts/pg-test-cluster.sh, started durable (ARBITER_PG_FSYNC=on: fsync, full_page_writes and
 * synchronous_commit on, as a production server runs; the test suite's cluster runs with them off) and stopped
 * after the run. Set ARBITER_PG_FSYNC=off for the test suite's settings, or ARBITER_PG_SYNCHRONOUS_COMMIT=off.
 * Each run gets a fresh database (CREATE DATABASE; the app migrates it on open), dropped afterwards.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { onServer, withDatabase } from '../../tests/helpers/postgres';

export type BenchDialect = 'sqlite' | 'postgres';

/** Signs sessions in the processes a PostgreSQL bench starts (lib/env.ts requires one with PostgreSQL). */
export const BENCH_SECRET = 'arbiter-bench-secret-arbiter-bench-secret';

/** The value of `--name value`, or undefined. */
export function stringArg(name: string, argv: string[] = process.argv): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The dialects `--dialect` names, in run order (default: sqlite). */
export function dialectsFromArgs(argv: string[] = process.argv): BenchDialect[] {
  const value = stringArg('dialect', argv) ?? 'sqlite';
  if (value === 'both') return ['sqlite', 'postgres'];
  if (value === 'sqlite' || value === 'postgres') return [value];
  throw new Error(`--dialect must be sqlite, postgres or both (got ${value})`);
}

/** Whether this process measures (in-process SQLite, or a child of `runDialects`) rather than orchestrating. */
export function measuresHere(dialects: BenchDialect[]): boolean {
  return stringArg('bench-child') !== undefined || (dialects.length === 1 && dialects[0] === 'sqlite');
}

/**
 * Points this process (and the processes it starts, which inherit process.env) at the dialect's database,
 * before the data layer is first imported. SQLite: ARBITER_DATABASE_URL set empty (unset for lib/env.ts and
 * db/dialect.ts, and not filled in from a .env file by the entry points, which keep variables already set).
 */
export function useDialect(dialect: BenchDialect): void {
  if (dialect === 'sqlite') {
    process.env.ARBITER_DATABASE_URL = '';
    return;
  }
  if (!process.env.ARBITER_DATABASE_URL) throw new Error('a PostgreSQL bench child needs ARBITER_DATABASE_URL (run the bench with --dialect postgres|both)');
  process.env.ARBITER_SECRET ||= BENCH_SECRET;
}

// ---------------------------------------------------------------------------------------------------------
// The PostgreSQL server and the run's database
// ---------------------------------------------------------------------------------------------------------

export type PostgresServer = { url: string; source: string; stop: () => void };

/** The server given by ARBITER_TEST_POSTGRES_URL, or a private cluster started here (stop it after the run). */
export function startPostgresServer(): PostgresServer {
  const given = process.env.ARBITER_TEST_POSTGRES_URL;
  if (given) return { url: given, source: 'ARBITER_TEST_POSTGRES_URL', stop: () => undefined };
  const fsync = process.env.ARBITER_PG_FSYNC || 'on';
  const exports = execFileSync('scripts/pg-test-cluster.sh', ['start'], { encoding: 'utf8', env: { ...process.env, ARBITER_PG_FSYNC: fsync }, stdio: ['ignore', 'pipe', 'inherit'] });
  const value = (name: string) => new RegExp(`export ${name}='([^']*)'`).exec(exports)?.[1];
  const dir = value('ARBITER_TEST_PG_DIR');
  const url = value('ARBITER_TEST_POSTGRES_URL');
  if (!dir || !url) throw new Error(`scripts/pg-test-cluster.sh start printed no cluster:\n${exports}`);
  return {
    url,
    source: `private cluster (scripts/pg-test-cluster.sh, ARBITER_PG_FSYNC=${fsync}) in ${dir}`,
    stop: () => void spawnSync('scripts/pg-test-cluster.sh', ['stop', dir], { stdio: 'inherit' }),
  };
}

/** A fresh, empty database for one run (the bench's processes migrate it on open); returns its URL. */
export async function createBenchDatabase(serverUrl: string, bench: string): Promise<string> {
  const name = `bench_${bench}_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  await onServer(serverUrl, (client) => client.query(`create database ${name}`));
  return withDatabase(serverUrl, name);
}

export async function dropBenchDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^bench_\w+$/.test(name)) throw new Error(`refusing to drop ${name}: not a bench database`);
  await onServer(url, (client) => client.query(`drop database if exists ${name} with (force)`));
}

const POSTGRES_SETTINGS = ['server_version', 'shared_buffers', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'wal_level', 'max_connections', 'work_mem', 'effective_cache_size', 'max_wal_size', 'checkpoint_timeout', 'jit'];

/** What a figure measured on PostgreSQL depends on: the server's version and durability and memory settings. */
export async function postgresSettings(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const version = (await client.query<{ version: string }>('select version() as version')).rows[0]!.version;
    const settings = await client.query<{ name: string; value: string }>('select n as name, current_setting(n) as value from unnest($1::text[]) as n', [POSTGRES_SETTINGS]);
    return { version, ...Object.fromEntries(settings.rows.map((row) => [row.name, row.value])) };
  } finally {
    await client.end();
  }
}

/** The SQLite side's counterpart: the library's version and the settings db/client.ts gives every connection. */
export function sqliteSettings(): Record<string, string> {
  const memory = new Database(':memory:');
  try {
    const version = memory.prepare('select sqlite_version() as v').pluck().get() as string;
    return { version: `SQLite ${version} (better-sqlite3)`, journal_mode: 'wal', synchronous: 'NORMAL (db/client.ts)' };
  } finally {
    memory.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// A reader for the checks, on either dialect
// ---------------------------------------------------------------------------------------------------------

/**
 * Raw SQL that both dialects accept, with `?` placeholders (numbered for PostgreSQL here). Counts should be
 * cast to integer (`cast(count(*) as integer)`): PostgreSQL's bigint comes back from pg.Client as a string.
 */
export type BenchReader = {
  dialect: BenchDialect;
  all: <T>(query: string, params?: unknown[]) => Promise<T[]>;
  close: () => Promise<void>;
};

/** Opens the bench's database outside the app: the SQLite file (writes refused), or a pg.Client on the URL. */
export async function openReader(target: { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string }): Promise<BenchReader> {
  if (target.dialect === 'sqlite') {
    const db = new Database(target.file, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.pragma('query_only = 1');
    return {
      dialect: 'sqlite',
      all: <T>(query: string, params: unknown[] = []) => Promise.resolve(db.prepare(query).all(...params) as T[]),
      close: () => Promise.resolve(void db.close()),
    };
  }
  const client = new pg.Client({ connectionString: target.url });
  client.on('error', (error) => console.error(`[bench] check connection failed: ${error.message}`));
  await client.connect();
  return {
    dialect: 'postgres',
    all: async <T>(query: string, params: unknown[] = []) => {
      let n = 0;
      const numbered = query.replace(/\?/g, () => `$${++n}`);
      return (await client.query(numbered, params)).rows as T[];
    },
    close: () => client.end(),
  };
}

/**
 * The storage-level check after a run. SQLite: PRAGMA integrity_check. PostgreSQL has no such pragma: amcheck
 * (a contrib module shipped with the server) verifies every B-tree index of the app's schemas against its
 * table (bt_index_check with heapallindexed) and every table's heap (verify_heapam); it needs the right to
 * CREATE EXTENSION, and when that is refused the check is reported as not run rather than failed. The app's
 * own invariants are checked apart, on both dialects, by the bench.
 */
export async function storageIntegrity(reader: BenchReader): Promise<{ integrity: string; ok: boolean; method: string }> {
  if (reader.dialect === 'sqlite') {
    const rows = await reader.all<{ integrity_check: string }>('pragma integrity_check');
    const integrity = rows.map((row) => row.integrity_check).join('; ');
    return { integrity, ok: integrity === 'ok', method: 'PRAGMA integrity_check' };
  }
  try {
    await reader.all('create extension if not exists amcheck');
  } catch (error) {
    return { integrity: `not checked: amcheck unavailable (${(error as Error).message})`, ok: true, method: 'amcheck' };
  }
  const relations = `from pg_class c join pg_namespace ns on ns.oid = c.relnamespace where ns.nspname in ('public', 'drizzle')`;
  const indexes = await reader.all<{ name: string }>(`select c.oid::regclass::text as name ${relations} and c.relkind = 'i' and c.relam = (select oid from pg_am where amname = 'btree') order by 1`);
  const tables = await reader.all<{ name: string }>(`select c.oid::regclass::text as name ${relations} and c.relkind = 'r' order by 1`);
  const problems: string[] = [];
  for (const { name } of indexes) {
    try {
      await reader.all('select bt_index_check(cast(? as regclass), true)', [name]);
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  let heapChecked = 0;
  for (const { name } of tables) {
    try {
      const found = await reader.all<{ blkno: number; msg: string }>('select blkno, msg from verify_heapam(cast(? as regclass))', [name]);
      for (const row of found) problems.push(`${name} block ${row.blkno}: ${row.msg}`);
      heapChecked++;
    } catch (error) {
      if ((error as { code?: string }).code === '42883') break; // amcheck before PostgreSQL 14: no verify_heapam
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  const method = `amcheck: bt_index_check(heapallindexed) on ${indexes.length} indexes, verify_heapam on ${heapChecked} tables`;
  return { integrity: problems.length === 0 ? 'ok' : problems.join('; '), ok: problems.length === 0, method };
}

// ---------------------------------------------------------------------------------------------------------
// One run per dialect, side by side
// ---------------------------------------------------------------------------------------------------------

type DialectRun = { dialect: BenchDialect; exitCode: number | null; database: Record<string, string>; result: Record<string, unknown> | null };

function runChild(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(signal ? null : code));
  });
}

/**
 * Runs `script` once per dialect in a child process (the same arguments, `--dialect` one of them), each on a
 * fresh database, and writes bench/results/<resultFile>: every run's full result with its dialect and the
 * database's settings, and `sideBySide`, the headline figures of each dialect (`summarize`). Returns the exit
 * code: 1 when any run failed its checks or produced no result.
 */
export async function runDialects(options: {
  script: string;
  bench: string;
  dialects: BenchDialect[];
  resultFile: string;
  summarize: (result: Record<string, unknown>) => Record<string, unknown>;
}): Promise<number> {
  const argv = process.argv.slice(2);
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dialect') i++;
    else args.push(argv[i]!);
  }
  let server: PostgresServer | undefined;
  let interrupted = false;
  const onSignal = () => (interrupted = true); // the child gets the same signal; clean up once it has exited
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const runs: DialectRun[] = [];
  try {
    for (const dialect of options.dialects) {
      if (interrupted) break;
      const out = path.join(os.tmpdir(), `arbiter-bench-${options.bench}-${dialect}-${process.pid}.json`);
      fs.rmSync(out, { force: true });
      const env: NodeJS.ProcessEnv = { ...process.env };
      let database: Record<string, string>;
      let url: string | undefined;
      if (dialect === 'sqlite') {
        env.ARBITER_DATABASE_URL = '';
        database = sqliteSettings();
      } else {
        server ??= startPostgresServer();
        url = await createBenchDatabase(server.url, options.bench);
        env.ARBITER_DATABASE_URL = url;
        env.ARBITER_SECRET ||= BENCH_SECRET;
        database = { server: server.source, ...(await postgresSettings(url)), ARBITER_DATABASE_POOL_SIZE: process.env.ARBITER_DATABASE_POOL_SIZE || '5 (default)' };
      }
      console.log(`\n── ${options.bench} on ${dialect} ──`);
      try {
        const exitCode = await runChild(options.script, [...args, '--dialect', dialect, '--bench-child', out], env);
        const result = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>) : null;
        runs.push({ dialect, exitCode, database, result });
      } finally {
        fs.rmSync(out, { force: true });
        if (url) await dropBenchDatabase(url);
      }
    }
  } finally {
    server?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const output = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    args,
    sideBySide: Object.fromEntries(runs.map((run) => [run.dialect, run.result ? { ...options.summarize(run.result), checksPassed: run.exitCode === 0 } : { checksPassed: false, error: `no result (exit ${run.exitCode})` }])),
    runs: Object.fromEntries(runs.map((run) => [run.dialect, { dialect: run.dialect, exitCode: run.exitCode, database: run.database, ...run.result }])),
  };
  console.log(`\n${options.bench}, side by side:`);
  console.log(JSON.stringify(output.sideBySide, null, 2));
  if (runs.length === options.dialects.length) {
    fs.mkdirSync('bench/results', { recursive: true });
    fs.writeFileSync(path.join('bench/results', options.resultFile), `${JSON.stringify(output, null, 2)}\n`);
    console.log(`wrote bench/results/${options.resultFile}`);
  }
  return runs.length === options.dialects.length && runs.every((run) => run.exitCode === 0 && run.result) ? 0 : 1;
}

/** Where a bench child writes its result (`--bench-child FILE`), or undefined when it writes the usual file. */
export function writeChildResult(result: Record<string, unknown>): boolean {
  const file = stringArg('bench-child');
  if (!file) return false;
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return true;
}
