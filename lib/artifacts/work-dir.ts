/**
 * A job's local scratch folder, `<data dir>/work/<pid>@<host>-<uuid>-<label>/`: files a job builds before
 * they go to the artifact store (an export's files, an alignment run's training state and weights). The
 * job removes it when it ends; one left by a process that died (kill -9) is removed by the next
 * `openWorkDir` on the same host, once that pid is gone. The host is in the name because a data directory
 * might be shared, and a pid only says something on its own host.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dataDir } from '@/lib/env';
import { isProcessAlive } from '@/lib/process-alive';

const HOST = os.hostname().replace(/[^A-Za-z0-9.-]/g, '-') || 'localhost';
const OWNED = /^(\d+)@([A-Za-z0-9.-]+)-[0-9a-f-]{36}-/;

export type WorkDir = { path: string; remove(): Promise<void> };

export async function openWorkDir(label: string): Promise<WorkDir> {
  if (!/^[\w-]+$/.test(label)) throw new Error(`unsafe work folder label ${JSON.stringify(label)}`);
  const root = path.join(dataDir(), 'work');
  await removeOrphans(root);
  const dir = path.join(root, `${process.pid}@${HOST}-${crypto.randomUUID()}-${label}`);
  await fsp.mkdir(dir, { recursive: true });
  return { path: dir, remove: () => fsp.rm(dir, { recursive: true, force: true }) };
}

async function removeOrphans(root: string): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(root);
  } catch {
    return; // no folder yet
  }
  for (const name of names) {
    const owner = OWNED.exec(name);
    if (owner && owner[2] === HOST && !isProcessAlive(Number(owner[1]))) await fsp.rm(path.join(root, name), { recursive: true, force: true });
  }
}
