/**
 * Backups on PostgreSQL: PostgreSQL has no counterpart of SQLite's online backup API, so `arbiter backup`
 * runs `pg_dump` (custom format, compressed) and `arbiter restore` runs `pg_restore`. Both must be at least
 * the server's major version (pg_dump refuses a newer server with a clear message, passed on as it is).
 *
 * The dump is consistent while Arbiter keeps writing: pg_dump reads one snapshot. To report what the backup
 * holds, this process opens a REPEATABLE READ transaction, exports its snapshot (`pg_export_snapshot`),
 * counts projects and comparisons in it, and hands the same snapshot to `pg_dump --snapshot`, so the counts
 * describe exactly the rows in the file. The dump is written beside its final name, checked with
 * `pg_restore --list` (it must hold the data of Arbiter's tables), and only then renamed into place.
 *
 * Restore replaces every Arbiter table in one transaction (`--clean --if-exists --single-transaction`):
 * a file that is not a custom-format dump of an Arbiter database is refused before anything is written.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { getEnv } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { appliedMigrationCount, closeDb, openDatabase } from './client';

const run = promisify(execFile);

/** A PostgreSQL client program: on PATH, or in Debian's /usr/lib/postgresql/<major>/bin (newest first). */
export function findPostgresTool(name: 'pg_dump' | 'pg_restore', searchPath = process.env.PATH ?? '', debian = '/usr/lib/postgresql'): string {
  for (const dir of searchPath.split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  const majors = fs.existsSync(debian) ? fs.readdirSync(debian).sort((a, b) => Number(b) - Number(a)) : [];
  for (const major of majors) {
    const candidate = path.join(debian, major, 'bin', name);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new AppError('unavailable', `${name} was not found: backups of a PostgreSQL database need PostgreSQL's client programs (Debian/Ubuntu: apt-get install postgresql-client; or put ${name} on PATH)`);
}

function databaseUrl(): string {
  const url = getEnv().ARBITER_DATABASE_URL;
  if (!url) throw new Error('a PostgreSQL backup needs ARBITER_DATABASE_URL');
  return url;
}

/** The tables whose data a dump must hold to be an Arbiter backup. */
const REQUIRED_TABLES = ['projects', 'comparisons', 'users'];

async function listDump(file: string): Promise<string> {
  try {
    return (await run(findPostgresTool('pg_restore'), ['--list', file], { maxBuffer: 64 * 2 ** 20 })).stdout;
  } catch (error) {
    if (error instanceof AppError) throw error;
    const detail = ((error as { stderr?: string }).stderr ?? (error as Error).message).trim().split('\n')[0];
    throw new AppError('bad-file', `${file} is not a PostgreSQL custom-format dump (${detail})`);
  }
}

async function checkDump(file: string): Promise<void> {
  const listing = await listDump(file);
  for (const table of REQUIRED_TABLES) {
    if (!new RegExp(`TABLE DATA public ${table} `).test(listing)) throw new AppError('bad-file', `${file} is not an Arbiter backup (no data for table ${table})`);
  }
}

export async function backupPostgres(out: string, { force = false } = {}): Promise<{ file: string; bytes: number; projects: number; comparisons: number; migrations: number }> {
  const file = path.resolve(out);
  if (fs.existsSync(file) && !force) throw new AppError('bad-file', `${file} exists; choose another name or pass --force`);
  const pgDump = findPostgresTool('pg_dump');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  fs.rmSync(partial, { force: true });
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ id: string }>('select pg_export_snapshot() as id')).rows[0]!.id;
    const count = async (table: string) => Number((await client.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]!.n);
    const facts = { projects: await count('projects'), comparisons: await count('comparisons'), migrations: await count('drizzle.__drizzle_migrations') };
    try {
      await run(pgDump, ['--format=custom', `--snapshot=${snapshot}`, `--file=${partial}`, `--dbname=${databaseUrl()}`], { maxBuffer: 16 * 2 ** 20 });
    } catch (error) {
      const detail = ((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
      throw new AppError('unavailable', `pg_dump failed: ${detail}`);
    }
    await checkDump(partial);
    fs.renameSync(partial, file);
    return { file, bytes: fs.statSync(file).size, ...facts };
  } finally {
    fs.rmSync(partial, { force: true });
    await client.query('COMMIT').catch(() => undefined);
    await client.end();
  }
}

/** How many migrations a dump's schema has applied: the rows of drizzle's journal in it, read without restoring. */
async function dumpMigrationCount(file: string): Promise<number> {
  const { stdout } = await run(findPostgresTool('pg_restore'), ['--data-only', '--schema=drizzle', '--table=__drizzle_migrations', '--file=-', file], { maxBuffer: 16 * 2 ** 20 });
  const copy = stdout.split('\n');
  const start = copy.findIndex((line) => line.startsWith('COPY drizzle.__drizzle_migrations'));
  if (start < 0) return 0;
  const end = copy.indexOf('\\.', start);
  return end - start - 1;
}

export async function restorePostgres(from: string): Promise<{ projects: number; comparisons: number; migrations: number }> {
  const file = path.resolve(from);
  if (!fs.existsSync(file)) throw new AppError('bad-file', `${file} does not exist`);
  await checkDump(file);
  const live = await appliedMigrationCount();
  const backedUp = await dumpMigrationCount(file);
  if (backedUp > live) throw new AppError('bad-file', `${file} has ${backedUp} migrations, this Arbiter knows ${live}: restore it with a newer version`);
  // The pool's connections would hold locks pg_restore's DROPs wait for: close them first.
  await closeDb();
  try {
    await run(findPostgresTool('pg_restore'), ['--clean', '--if-exists', '--single-transaction', '--exit-on-error', '--no-owner', `--dbname=${databaseUrl()}`, file], { maxBuffer: 16 * 2 ** 20 });
  } catch (error) {
    const detail = ((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
    throw new AppError('bad-file', `pg_restore refused ${file}; the database is unchanged: ${detail}`);
  } finally {
    // An older backup gets the migrations it lacks.
    await openDatabase();
  }
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    const count = async (table: string) => Number((await client.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]!.n);
    return { projects: await count('projects'), comparisons: await count('comparisons'), migrations: backedUp };
  } finally {
    await client.end();
  }
}
