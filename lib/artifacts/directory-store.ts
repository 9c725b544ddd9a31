/**
 * Artifacts as files under one folder: ARBITER_ARTIFACTS_DIR (a mount every host shares), by default the
 * data directory, where installs from before the store kept them (`models/<id>/…`), so those stay readable
 * where they are. A key is a relative path under the root.
 *
 * Every write goes to a hidden temporary file beside its target (`.<name>.<uuid>.partial`) and is renamed
 * over it: rename is atomic within a file system, so a reader on any host sees the old object or the new
 * one, never half of one. Listings skip hidden names, so a write under way is not listed.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '@/lib/errors';
import { checkArtifactKey, missingArtifact, type ArtifactBody, type ArtifactEntry, type ArtifactStat, type ArtifactStore } from './store';

type Stats = fs.BigIntStats;

/** Size, and a tag that a rename over the file changes (a new inode) even within one tick of the clock. */
const statOf = (s: Stats): ArtifactStat => ({ size: Number(s.size), etag: `${s.size}-${s.mtimeNs}-${s.ino}` });

const temporaryBeside = (file: string) => path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomUUID()}.partial`);

export class DirectoryArtifactStore implements ArtifactStore {
  readonly location: string;

  constructor(readonly root: string) {
    this.location = root;
  }

  /** The file of a key (the key is checked: no '..', nothing outside the artifact folders). */
  fileOf(key: string): string {
    return path.join(this.root, ...checkArtifactKey(key).split('/'));
  }

  async put(key: string, body: ArtifactBody): Promise<ArtifactStat> {
    return this.writeThrough(key, async (temporary) => {
      if (typeof body === 'string' || Buffer.isBuffer(body)) await fsp.writeFile(temporary, body);
      else await pipeline(body, fs.createWriteStream(temporary));
    });
  }

  async putFile(key: string, file: string): Promise<ArtifactStat> {
    await fsp.access(file); // a missing source is the caller's bug, not the store's failure: thrown as it is
    return this.writeThrough(key, (temporary) => fsp.copyFile(file, temporary));
  }

  async open(key: string): Promise<Readable> {
    return (await this.openWithStat(key)).stream;
  }

  async download(key: string, file: string): Promise<ArtifactStat> {
    const { stream, stat } = await this.openWithStat(key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const temporary = temporaryBeside(file);
    try {
      await pipeline(stream, fs.createWriteStream(temporary));
      await fsp.rename(temporary, file);
    } catch (error) {
      await fsp.rm(temporary, { force: true });
      throw error;
    }
    return stat;
  }

  async stat(key: string): Promise<ArtifactStat | null> {
    const stats = await this.statOrNull(this.fileOf(key));
    return stats?.isFile() ? statOf(stats) : null;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async list(prefix: string): Promise<ArtifactEntry[]> {
    const base = this.fileOf(prefix);
    const stats = await this.statOrNull(base);
    if (!stats) return [];
    if (stats.isFile()) return [{ key: prefix, size: Number(stats.size) }];
    const entries: ArtifactEntry[] = [];
    const walk = async (dir: string, keyPrefix: string) => {
      let names: fs.Dirent[];
      try {
        names = await fsp.readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // removed meanwhile
        throw this.storageError(error);
      }
      for (const entry of names) {
        if (entry.name.startsWith('.')) continue; // a write under way
        const key = `${keyPrefix}/${entry.name}`;
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), key);
        else if (entry.isFile()) {
          const size = await this.statOrNull(path.join(dir, entry.name));
          if (size) entries.push({ key, size: Number(size.size) });
        }
      }
    };
    await walk(base, prefix);
    return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(prefix: string): Promise<number> {
    const base = this.fileOf(prefix);
    const removed = (await this.list(prefix)).length;
    try {
      await fsp.rm(base, { recursive: true, force: true });
    } catch (error) {
      throw this.storageError(error);
    }
    // Empty folders left above it go too, up to (not including) the namespace folder (`models/`, …).
    for (let dir = path.dirname(base); path.relative(this.root, dir).split(path.sep).length > 1; dir = path.dirname(dir)) {
      try {
        await fsp.rmdir(dir);
      } catch {
        break; // not empty (or already gone): what is above it stays
      }
    }
    return removed;
  }

  async localCopy(key: string): Promise<string> {
    // The folder is local (or mounted) already: its own file is the copy, with nothing to download or keep fresh.
    const file = this.fileOf(key);
    if (!(await this.statOrNull(file))?.isFile()) throw missingArtifact(key, this.location);
    return file;
  }

  private async openWithStat(key: string): Promise<{ stream: Readable; stat: ArtifactStat }> {
    const file = this.fileOf(key);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missingArtifact(key, this.location);
      throw this.storageError(error);
    }
    const stats = await handle.stat({ bigint: true });
    if (!stats.isFile()) {
      await handle.close();
      throw missingArtifact(key, this.location);
    }
    // The stream reads from the handle already open: a rename over the file meanwhile leaves it on the old one, whole.
    return { stream: handle.createReadStream(), stat: statOf(stats) };
  }

  private async writeThrough(key: string, write: (temporary: string) => Promise<void>): Promise<ArtifactStat> {
    const file = this.fileOf(key);
    const temporary = temporaryBeside(file);
    try {
      await fsp.mkdir(path.dirname(file), { recursive: true });
      await write(temporary);
      await fsp.rename(temporary, file);
      return statOf(await fsp.stat(file, { bigint: true }));
    } catch (error) {
      await fsp.rm(temporary, { force: true });
      throw this.storageError(error);
    }
  }

  private async statOrNull(file: string): Promise<Stats | null> {
    try {
      return await fsp.stat(file, { bigint: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw this.storageError(error);
    }
  }

  /** A failure of the folder itself, as the person who hit it can act on it; anything else as it is. */
  private storageError(error: unknown): unknown {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return new AppError('insufficient-storage', `the disk holding the artifact folder ${this.location} is full: nothing was written; free some space and try again`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new AppError('unavailable', `the artifact folder ${this.location} cannot be written or read (${code}): make it writable for the user running Arbiter`);
    if (code === 'EIO' || code === 'ESTALE') return new AppError('unavailable', `the artifact folder ${this.location} reported an error (${code}): check its storage or mount`);
    return error;
  }
}
