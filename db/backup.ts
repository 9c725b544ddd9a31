/**
 * Backups of the SQLite database with SQLite's online backup API (PostgreSQL's go through pg_dump:
 * db/backup-postgres.ts): a consistent copy while the server and
 * workers keep writing, checked (`PRAGMA integrity_check`) before it is kept. Restore goes the same way
 * in reverse — the checked backup is copied page by page into the live database, so other connections
 * see the restored data on their next read — and then brings its schema up to date. A file that is not
 * an intact Arbiter database is refused before anything is written. Artifacts (models/, exports/) are
 * plain files beside the database and are copied as files.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { databasePath } from '@/lib/env';
import { AppError, isAppError } from '@/lib/errors';
import { backupPostgres, restorePostgres } from './backup-postgres';
import { appliedMigrationCount, backupTo, closeDb, openDatabase } from './client';
import { isPostgres } from './dialect';

// A refusal — a file that is not an intact Arbiter database, a target that exists, a failed copy — is an
// AppError 'bad-file' naming the file (the CLI exits 2).

/** Opens a candidate file read-only and checks it: SQLite, intact, Arbiter's tables, a schema no newer than ours. */
function inspect(file: string): { migrations: number; projects: number; comparisons: number } {
  if (!fs.existsSync(file)) throw new AppError('bad-file', `${file} does not exist`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new AppError('bad-file', `${file} cannot be opened as a SQLite database (${(error as Error).message})`);
  }
  try {
    let check: string;
    try {
      check = db.pragma('integrity_check', { simple: true }) as string;
    } catch (error) {
      throw new AppError('bad-file', `${file} is not a SQLite database (${(error as Error).message})`);
    }
    if (check !== 'ok') throw new AppError('bad-file', `${file} fails PRAGMA integrity_check: ${check}`);
    const tables = new Set((db.prepare("select name from sqlite_master where type = 'table'").pluck().all() as string[]));
    for (const t of ['__drizzle_migrations', 'projects', 'comparisons', 'users']) if (!tables.has(t)) throw new AppError('bad-file', `${file} is not an Arbiter database (no ${t} table)`);
    const count = (t: string) => db.prepare(`select count(*) from ${t}`).pluck().get() as number;
    return { migrations: count('__drizzle_migrations'), projects: count('projects'), comparisons: count('comparisons') };
  } finally {
    db.close();
  }
}

/** A consistent copy of the live database at `out` (written beside it, checked, then renamed into place). */
export async function backupDatabase(out: string, { force = false } = {}): Promise<{ file: string; bytes: number; projects: number; comparisons: number; migrations: number }> {
  if (isPostgres) return backupPostgres(out, { force });
  const file = path.resolve(out);
  if (file === path.resolve(databasePath())) throw new AppError('bad-file', 'the backup cannot replace the live database');
  if (fs.existsSync(file) && !force) throw new AppError('bad-file', `${file} exists; choose another name or pass --force`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  fs.rmSync(partial, { force: true });
  try {
    await backupTo(partial);
    const facts = inspect(partial);
    fs.renameSync(partial, file);
    return { file, bytes: fs.statSync(file).size, ...facts };
  } catch (error) {
    fs.rmSync(partial, { force: true });
    if (isAppError(error, 'bad-file')) throw error;
    throw new AppError('bad-file', `backup failed: ${(error as Error).message}`);
  }
}

/** Replaces the live database's content with a checked backup; returns what the backup held. */
export async function restoreDatabase(from: string): Promise<{ projects: number; comparisons: number; migrations: number }> {
  if (isPostgres) return restorePostgres(from);
  const file = path.resolve(from);
  if (file === path.resolve(databasePath())) throw new AppError('bad-file', 'that is the live database');
  const facts = inspect(file);
  const live = await appliedMigrationCount();
  if (facts.migrations > live) throw new AppError('bad-file', `${file} has ${facts.migrations} migrations, this Arbiter knows ${live}: restore it with a newer version`);
  const source = new Database(file, { readonly: true, fileMustExist: true });
  try {
    await source.backup(databasePath());
  } finally {
    source.close();
  }
  // An older backup gets the migrations it lacks (openDatabase migrates on the next open).
  await closeDb();
  await openDatabase();
  return facts;
}
