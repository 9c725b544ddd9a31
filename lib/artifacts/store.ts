/**
 * The one interface to artifacts — reward models, policies, training checkpoints, exports, score inputs
 * and reports — whichever host reads or writes them: the web process, a worker, the CLI. Two stores
 * implement it: a folder (directory-store.ts: ARBITER_ARTIFACTS_DIR, by default the data directory) and an
 * S3-compatible bucket (s3-store.ts). `artifactStore()` (index.ts) picks one from the environment.
 *
 * A key is a '/'-separated relative path such as `models/12/job40-a1/weights.bin` (layouts: keys.ts). An
 * object is written whole or not at all: a reader never sees half of one.
 */
import type { Readable } from 'node:stream';
import { AppError } from '@/lib/errors';

/** What a put takes: bytes, text (UTF-8), or a stream read to its end (never held whole in memory). */
export type ArtifactBody = Buffer | string | Readable;

/**
 * Size in bytes, and a tag that changes whenever the object is rewritten (S3's ETag; a folder's size and
 * modification time): what a local copy is checked against.
 */
export type ArtifactStat = { size: number; etag: string };

export type ArtifactEntry = { key: string; size: number };

export interface ArtifactStore {
  /** Where the artifacts are, for logs and messages: a folder or s3://bucket/prefix. */
  readonly location: string;
  put(key: string, body: ArtifactBody): Promise<ArtifactStat>;
  /** Streams a local file in (a multipart upload on S3). */
  putFile(key: string, file: string): Promise<ArtifactStat>;
  /** The object as a stream. A missing key: AppError 'not-found'. */
  open(key: string): Promise<Readable>;
  /** Streams the object into `file` (through a temporary name in its folder, then renamed). */
  download(key: string, file: string): Promise<ArtifactStat>;
  /** Null when there is no such object. */
  stat(key: string): Promise<ArtifactStat | null>;
  exists(key: string): Promise<boolean>;
  /** The objects at `prefix` and under `prefix/`, by key. */
  list(prefix: string): Promise<ArtifactEntry[]>;
  /** Removes the objects at `prefix` and under `prefix/`; returns how many there were. */
  delete(prefix: string): Promise<number>;
  /**
   * A local file holding the object, for code that needs a path (loading weights). A folder store answers
   * the object's own file; the S3 store downloads into the cache under the data directory, once, and again
   * only when the object's size or ETag changed (local-cache.ts).
   */
  localCopy(key: string): Promise<string>;
}

/** The top-level folders artifacts live in. A folder store rooted at the data directory never touches anything else there (arbiter.db, uploads/, cache/). */
export const ARTIFACT_NAMESPACES = ['models', 'exports', 'scores'] as const;

/** A key segment: no empty, '.' or '..' segment, nothing hidden (temporary files start with '.'), no separators. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * `key` if it is a valid artifact key (or prefix), else throws. Keys are built by Arbiter's code (keys.ts)
 * or read back from rows that code wrote, so a bad one is a bug, not a person's mistake.
 */
export function checkArtifactKey(key: string): string {
  const segments = key.split('/');
  if (!segments.every((s) => SEGMENT.test(s)) || !(ARTIFACT_NAMESPACES as readonly string[]).includes(segments[0]!)) {
    throw new Error(`invalid artifact key ${JSON.stringify(key)}: '/'-separated names under ${ARTIFACT_NAMESPACES.join(', ')}`);
  }
  return key;
}

/** True when `key` is `prefix` itself or lies under `prefix/`. */
export const isUnder = (key: string, prefix: string) => key === prefix || key.startsWith(`${prefix}/`);

/** The answer for a key that is not in the store. */
export function missingArtifact(key: string, location: string): AppError {
  return new AppError('not-found', `artifact ${key} is not in the artifact store (${location})`);
}

/**
 * The whole object in memory: for what must be whole to be used at all (a JSON manifest, a job's input
 * records, checkpoint tensors to rebuild). Downloads to a person stream instead (open, download).
 */
export async function readArtifactBytes(store: ArtifactStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.open(key)) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
