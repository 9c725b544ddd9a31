/**
 * Temporary files of imports (uploaded bodies, unpacked .parquet.gz, the importer's staging databases) live
 * in `<data dir>/uploads/`, named `<pid>@<host>-<uuid><suffix>` by the process that owns them. Every exit
 * path of an import removes its own files; a process that dies (kill -9, out of memory, power cut) cannot,
 * so `sweepOrphanUploads()` runs at start-up and removes what no living process owns.
 *
 * The host is in the name because the data directory may be shared by several hosts (README "Scaling
 * out"), and a pid only says something on its own host: a web server starting on one host must not take
 * another host's running import for a dead process's leftovers.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dataDir } from '@/lib/env';
import { isProcessAlive } from '@/lib/process-alive';

/** A file left longer than this is an orphan even if its pid is alive again (pids are reused), or whatever host owns it. */
export const ORPHAN_AGE_MS = 24 * 60 * 60 * 1000;

/** This host as its files name it: the host name, any character other than a letter, digit, dot or hyphen made a hyphen. */
export const UPLOAD_HOST = os.hostname().replace(/[^A-Za-z0-9.-]/g, '-') || 'localhost';

/** `<pid>@<host>-<uuid>`, or `<pid>-<uuid>` as named before hosts were (taken as this host's). */
const OWNED = /^(\d+)(?:@([A-Za-z0-9.-]+))?-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

export function uploadsDir(): string {
  return path.join(dataDir(), 'uploads');
}

/**
 * A fresh path in `<data dir>/uploads/` owned by this process: `<pid>@<host>-<uuid><suffix>` (suffix such as
 * ".jsonl.gz", ".parquet" or ".stage.db"; SQLite's "-journal" / "-wal" beside it share the prefix). Only
 * this name and a suffix the caller has checked reach the file system, never a client's file name.
 */
export function uploadTempPath(suffix: string): string {
  if (!/^[.\w-]*$/.test(suffix)) throw new Error(`unsafe temporary file suffix ${JSON.stringify(suffix)}`);
  const dir = uploadsDir();
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${process.pid}@${UPLOAD_HOST}-${crypto.randomUUID()}${suffix}`);
}

/**
 * Removes the orphans in `<data dir>/uploads/`: files of this host whose owning pid is no longer alive, and
 * any file older than a day (a reused pid, another host's leftovers, a name without a pid). Files of living
 * processes are kept, so it is safe while imports run (the CLI, a sibling web process, another server on
 * the same data dir), and so are other hosts' files younger than a day. Returns the names removed.
 */
export function sweepOrphanUploads(now = Date.now()): string[] {
  const dir = uploadsDir();
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      continue; // removed meanwhile by its owner
    }
    if (!stat.isFile()) continue;
    const owner = OWNED.exec(name);
    const ownerDead = owner !== null && (owner[2] === undefined || owner[2] === UPLOAD_HOST) && !isProcessAlive(Number(owner[1]));
    const orphan = ownerDead || now - stat.mtimeMs > ORPHAN_AGE_MS;
    if (!orphan) continue;
    fs.rmSync(file, { force: true });
    removed.push(name);
  }
  return removed;
}
