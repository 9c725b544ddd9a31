/**
 * Local copies of remote artifacts, for code that needs a file (weights to load, a checkpoint folder to
 * open): `<data dir>/cache/artifacts/<store>/<key>`, with the size and ETag it was downloaded at in
 * `<…>/.meta/<key>.json`. A copy is used while the object's size and ETag still match (one HEAD request),
 * and downloaded again otherwise. Downloads stream to a temporary name and are renamed into place, so a
 * process reading a copy keeps reading whole bytes while another replaces it.
 *
 * The folder is a cache: deleting it (any time no job is starting) costs only downloads. It is not bounded;
 * what Arbiter keeps there are models and policies that were loaded on this host.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { checkArtifactKey, missingArtifact, type ArtifactStat } from './store';

/** What the cache needs of a store. */
export type CacheSource = {
  readonly location: string;
  stat(key: string): Promise<ArtifactStat | null>;
  download(key: string, file: string): Promise<ArtifactStat>;
};

export class ArtifactCache {
  /** Downloads under way in this process, by key: concurrent callers (two score requests on a cold cache) share one. */
  private readonly downloading = new Map<string, Promise<string>>();

  constructor(readonly dir: string) {}

  fileOf(key: string): string {
    return path.join(this.dir, ...checkArtifactKey(key).split('/'));
  }

  private metaOf(key: string): string {
    return `${path.join(this.dir, '.meta', ...key.split('/'))}.json`;
  }

  /** A local file with the object's current bytes: the cached one when it is still current, else a fresh download. */
  async copyOf(source: CacheSource, key: string): Promise<string> {
    const file = this.fileOf(key);
    const remote = await source.stat(key);
    if (!remote) throw missingArtifact(key, source.location);
    const local = await this.cachedStat(key, file);
    if (local && local.size === remote.size && local.etag === remote.etag) return file;
    let pending = this.downloading.get(key);
    if (!pending) {
      pending = this.refresh(source, key, file).finally(() => this.downloading.delete(key));
      this.downloading.set(key, pending);
    }
    return pending;
  }

  private async refresh(source: CacheSource, key: string, file: string): Promise<string> {
    const downloaded = await source.download(key, file);
    const meta = this.metaOf(key);
    await fsp.mkdir(path.dirname(meta), { recursive: true });
    // Written after the file: a crash between the two leaves a stale or missing tag, which costs one more download.
    const temporary = `${meta}.${crypto.randomUUID()}.partial`;
    await fsp.writeFile(temporary, JSON.stringify(downloaded));
    await fsp.rename(temporary, meta);
    return file;
  }

  /** The size and ETag the cached copy was downloaded at, if there is a copy of that size. */
  private async cachedStat(key: string, file: string): Promise<ArtifactStat | null> {
    try {
      const [meta, stats] = await Promise.all([fsp.readFile(this.metaOf(key), 'utf8'), fsp.stat(file)]);
      const recorded = JSON.parse(meta) as ArtifactStat;
      return recorded.size === stats.size ? recorded : null;
    } catch {
      return null; // no copy yet, or a tag lost in a crash
    }
  }
}
