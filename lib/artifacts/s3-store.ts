/**
 * Artifacts in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, …) through @aws-sdk/client-s3: the key is
 * the object name, under ARBITER_S3_PREFIX when one is set. Puts go through @aws-sdk/lib-storage's Upload,
 * which sends a body larger than one part as a multipart upload, holding a few parts in memory whatever
 * the object's size; an object appears only when its upload completes (S3 writes are atomic per
 * object). Reads are the response stream itself. Local copies go through the cache under the data
 * directory (local-cache.ts).
 *
 * The SDK is loaded on first use, so a process using a folder store never loads it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as ClientS3 from '@aws-sdk/client-s3';
import { AppError } from '@/lib/errors';
import { ArtifactCache } from './local-cache';
import { checkArtifactKey, isUnder, missingArtifact, type ArtifactBody, type ArtifactEntry, type ArtifactStat, type ArtifactStore } from './store';

export type S3StoreConfig = {
  bucket: string;
  /** Folder of the bucket the keys live under, without slashes at either end; null for the bucket's root. */
  prefix: string | null;
  region: string;
  /** An S3-compatible server's address (then path-style requests: http://host/bucket/key); null for AWS. */
  endpoint: string | null;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where local copies are kept (on this host). */
  cacheDir: string;
};

/** S3's smallest part (5 MiB; every part but the last must be at least this). */
const PART_SIZE = 5 * 1024 * 1024;
/**
 * Parts sent at once. Upload also fills the next part while one is sent and concatenates its chunks, so an
 * upload holds 3 to 5 parts (15–25 MiB) at one part in flight, measured by the contract test; each more in
 * flight adds 5–10 MiB, for throughput Arbiter's artifacts (weights of small models) do not need.
 */
const QUEUE_SIZE = 1;
/** DeleteObjects takes at most 1,000 keys a call. */
const DELETE_BATCH = 1000;

type Sdk = typeof ClientS3;

export class S3ArtifactStore implements ArtifactStore {
  readonly location: string;
  private readonly cache: ArtifactCache;
  private connection: Promise<{ sdk: Sdk; client: ClientS3.S3Client }> | undefined;

  constructor(private readonly config: S3StoreConfig) {
    this.location = `s3://${config.bucket}${config.prefix ? `/${config.prefix}` : ''}`;
    this.cache = new ArtifactCache(config.cacheDir);
  }

  async put(key: string, body: ArtifactBody): Promise<ArtifactStat> {
    const { client } = await this.connect();
    const { Upload } = await import('@aws-sdk/lib-storage');
    const upload = new Upload({
      client,
      params: { Bucket: this.config.bucket, Key: this.objectKey(key), Body: typeof body === 'string' ? Buffer.from(body) : body },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      // A failed multipart upload is aborted, so no parts are left behind (they would be billed and never listed).
      leavePartsOnError: false,
    });
    // A source that fails (a file read error, a client gone) is the cause to report, not what the upload's
    // abort answers after it (some S3-compatible servers cannot abort a multipart upload).
    let sourceError: unknown;
    if (typeof body !== 'string' && !Buffer.isBuffer(body)) body.once('error', (error) => (sourceError ??= error));
    try {
      await upload.done();
    } catch (error) {
      throw sourceError ?? this.failure(error);
    }
    const stat = await this.stat(key);
    if (!stat) throw new AppError('unavailable', `the artifact store ${this.location} did not keep ${key} after a completed upload`);
    return stat;
  }

  async putFile(key: string, file: string): Promise<ArtifactStat> {
    await fsp.access(file); // a missing source is the caller's bug: thrown as it is, before any request
    return this.put(key, fs.createReadStream(file));
  }

  async open(key: string): Promise<Readable> {
    return (await this.get(key)).stream;
  }

  async download(key: string, file: string): Promise<ArtifactStat> {
    const { stream, stat } = await this.get(key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomUUID()}.partial`);
    try {
      await pipeline(stream, fs.createWriteStream(temporary));
      await fsp.rename(temporary, file);
    } catch (error) {
      await fsp.rm(temporary, { force: true });
      throw this.failure(error, key);
    }
    return stat;
  }

  async stat(key: string): Promise<ArtifactStat | null> {
    const { sdk, client } = await this.connect();
    try {
      const head = await client.send(new sdk.HeadObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }));
      return { size: head.ContentLength ?? 0, etag: head.ETag ?? '' };
    } catch (error) {
      const failure = this.failure(error, key);
      if (failure instanceof AppError && failure.code === 'not-found') return null;
      throw failure;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async list(prefix: string): Promise<ArtifactEntry[]> {
    const { sdk, client } = await this.connect();
    const entries: ArtifactEntry[] = [];
    try {
      for await (const page of sdk.paginateListObjectsV2({ client }, { Bucket: this.config.bucket, Prefix: this.objectKey(prefix) })) {
        for (const object of page.Contents ?? []) {
          const key = this.keyOf(object.Key ?? '');
          // The listing is by string prefix: `models/7` also matches `models/70/…`, which is not under it.
          if (key !== null && isUnder(key, prefix)) entries.push({ key, size: object.Size ?? 0 });
        }
      }
    } catch (error) {
      throw this.failure(error);
    }
    return entries;
  }

  async delete(prefix: string): Promise<number> {
    const { sdk, client } = await this.connect();
    const keys = (await this.list(prefix)).map((e) => e.key);
    for (let k = 0; k < keys.length; k += DELETE_BATCH) {
      const batch = keys.slice(k, k + DELETE_BATCH);
      try {
        const out = await client.send(
          new sdk.DeleteObjectsCommand({ Bucket: this.config.bucket, Delete: { Objects: batch.map((key) => ({ Key: this.objectKey(key) })), Quiet: true } }),
        );
        const failed = out.Errors ?? [];
        if (failed.length) throw new AppError('unavailable', `the artifact store ${this.location} did not delete ${failed.length} objects (first: ${failed[0]!.Key}: ${failed[0]!.Code ?? failed[0]!.Message})`);
      } catch (error) {
        throw this.failure(error);
      }
    }
    return keys.length;
  }

  async localCopy(key: string): Promise<string> {
    return this.cache.copyOf(this, key);
  }

  private async get(key: string): Promise<{ stream: Readable; stat: ArtifactStat }> {
    const { sdk, client } = await this.connect();
    try {
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }));
      // In Node the body is the HTTP response (an http.IncomingMessage mixed with the SDK's stream helpers).
      return { stream: out.Body as Readable, stat: { size: out.ContentLength ?? 0, etag: out.ETag ?? '' } };
    } catch (error) {
      throw this.failure(error, key);
    }
  }

  private connect(): Promise<{ sdk: Sdk; client: ClientS3.S3Client }> {
    this.connection ??= import('@aws-sdk/client-s3').then((sdk) => {
      const { endpoint, region, accessKeyId, secretAccessKey } = this.config;
      const client = new sdk.S3Client({
        region,
        credentials: { accessKeyId, secretAccessKey },
        ...(endpoint
          ? {
              endpoint,
              // MinIO, Ceph and most S3-compatible servers serve buckets as a path, not as a host name.
              forcePathStyle: true,
              // The SDK's default CRC32 checksums on every upload (since v3.729) are refused by several
              // S3-compatible servers; checksums only where the operation requires them.
              requestChecksumCalculation: 'WHEN_REQUIRED' as const,
              responseChecksumValidation: 'WHEN_REQUIRED' as const,
            }
          : {}),
      });
      return { sdk, client };
    });
    return this.connection;
  }

  private objectKey(key: string): string {
    checkArtifactKey(key);
    return this.config.prefix ? `${this.config.prefix}/${key}` : key;
  }

  /** The artifact key of an object name, or null for an object outside the prefix. */
  private keyOf(objectKey: string): string | null {
    if (!this.config.prefix) return objectKey;
    return objectKey.startsWith(`${this.config.prefix}/`) ? objectKey.slice(this.config.prefix.length + 1) : null;
  }

  /** An SDK or network failure as the person who hit it can act on it (the key's absence: 'not-found'); anything else as it is. */
  private failure(error: unknown, key?: string): unknown {
    if (error instanceof AppError) return error;
    const { name, code, $metadata } = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    const status = $metadata?.httpStatusCode;
    const where = this.config.endpoint ?? `AWS (${this.config.region})`;
    if (name === 'NoSuchBucket') return new AppError('unavailable', `the bucket ${this.config.bucket} does not exist at ${where}: create it, or correct ARBITER_S3_BUCKET`);
    if (key !== undefined && (name === 'NoSuchKey' || name === 'NotFound' || status === 404)) return missingArtifact(key, this.location);
    if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
      return new AppError('unavailable', `the artifact store ${this.location} refused access (${name ?? status}): check ARBITER_S3_ACCESS_KEY_ID, ARBITER_S3_SECRET_ACCESS_KEY and the bucket's policy`);
    }
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'ECONNRESET' || code === 'EAI_AGAIN' || name === 'TimeoutError') {
      return new AppError('unavailable', `the artifact store ${this.location} cannot be reached at ${where} (${code ?? name}): check ARBITER_S3_ENDPOINT and the network`);
    }
    if (status !== undefined && status >= 500) return new AppError('unavailable', `the artifact store ${this.location} failed (${name ?? status}, HTTP ${status}); try again shortly`);
    return error;
  }
}
