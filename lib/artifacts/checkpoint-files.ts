/**
 * The files a job's checkpoint refers to, as names mapped to keys, saved inside the checkpoint value
 * itself. A handler puts each file a resumed run will need under a fresh key of its attempt, saves a
 * checkpoint naming `files()` (ctx.saveCheckpoint, which is fenced), then calls `saved()`, which removes
 * the keys the previous checkpoint named and the new one does not. A resumed attempt starts from the map of
 * the checkpoint it resumes, so it reads exactly that checkpoint's files, wherever an earlier attempt put
 * them; and no key a stored checkpoint names is ever rewritten or removed before a newer checkpoint is stored.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { freshTag } from './keys';
import { checkArtifactKey, readArtifactBytes, type ArtifactBody, type ArtifactStore } from './store';

export type CheckpointFileMap = Record<string, string>;

/** A map read back from a checkpoint value (JSON from the jobs table), if it is one. */
export function asCheckpointFileMap(value: unknown): CheckpointFileMap | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value);
  if (!entries.every(([name, key]) => /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name) && typeof key === 'string')) return null;
  try {
    for (const [, key] of entries) checkArtifactKey(key as string);
  } catch {
    return null;
  }
  return Object.fromEntries(entries) as CheckpointFileMap;
}

export class CheckpointFiles {
  private readonly current: Map<string, string>;
  /** The keys the last stored checkpoint names: they stay until a newer one is stored. */
  private stored: Set<string>;

  /**
   * `prefix`: where this attempt's checkpoint files go (under its attempt prefix). `inherited`: the map of
   * the checkpoint being resumed, if any. `log` hears of files that could not be removed (best effort).
   */
  constructor(
    private readonly store: ArtifactStore,
    private readonly prefix: string,
    inherited: CheckpointFileMap | null,
    private readonly log: (message: string) => void,
  ) {
    this.current = new Map(Object.entries(inherited ?? {}));
    this.stored = new Set(this.current.values());
  }

  has(name: string): boolean {
    return this.current.has(name);
  }

  /** The map to save in the checkpoint value. */
  files(): CheckpointFileMap {
    return Object.fromEntries(this.current);
  }

  async put(name: string, body: ArtifactBody): Promise<void> {
    const key = this.freshKey(name);
    await this.store.put(key, body);
    await this.replace(name, key);
  }

  async putFile(name: string, file: string): Promise<void> {
    const key = this.freshKey(name);
    await this.store.putFile(key, file);
    await this.replace(name, key);
  }

  /** The file is no longer part of the job's state (the next checkpoint will not name it). */
  async remove(name: string): Promise<void> {
    const key = this.current.get(name);
    this.current.delete(name);
    if (key && !this.stored.has(key)) await this.quietlyDelete(key);
  }

  /** A file's bytes, for state rebuilt in memory. */
  async read(name: string): Promise<Buffer> {
    const key = this.current.get(name);
    if (!key) throw new Error(`the checkpoint has no file ${name}`);
    return readArtifactBytes(this.store, key);
  }

  /** Every file into `dir` under its name (streamed to disk), for code that works on a folder. */
  async downloadAll(dir: string): Promise<void> {
    await fsp.mkdir(dir, { recursive: true });
    for (const [name, key] of this.current) await this.store.download(key, path.join(dir, name));
  }

  /** Call once the checkpoint naming `files()` is stored: the files only the previous checkpoint named go. */
  async saved(): Promise<void> {
    const now = new Set(this.current.values());
    for (const key of this.stored) if (!now.has(key)) await this.quietlyDelete(key);
    this.stored = now;
  }

  private freshKey(name: string): string {
    return checkArtifactKey(`${this.prefix}/${freshTag()}-${name}`);
  }

  private async replace(name: string, key: string): Promise<void> {
    const old = this.current.get(name);
    this.current.set(name, key);
    // A file put since the last stored checkpoint and replaced before the next one was never named by any.
    if (old && !this.stored.has(old)) await this.quietlyDelete(old);
  }

  private async quietlyDelete(key: string): Promise<void> {
    try {
      await this.store.delete(key);
    } catch (error) {
      this.log(`could not remove ${key} (${error instanceof Error ? error.message : String(error)}); it is left for a sweep`);
    }
  }
}
