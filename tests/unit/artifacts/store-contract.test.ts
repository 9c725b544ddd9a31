/**
 * The ArtifactStore contract, run against both stores: a folder (a temporary directory) and an
 * S3-compatible bucket (s3rver on 127.0.0.1, in a process of its own). Whatever a web process, a worker
 * or the CLI does with artifacts goes through these operations, so both must agree on every one.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DirectoryArtifactStore } from '@/lib/artifacts/directory-store';
import { S3ArtifactStore } from '@/lib/artifacts/s3-store';
import { readArtifactBytes, type ArtifactStore } from '@/lib/artifacts/store';
import { AppError } from '@/lib/errors';
import { startLocalS3, type LocalS3 } from '../../helpers/local-s3';

const MiB = 1024 * 1024;
/**
 * Large enough that holding it whole would show plainly in the process's memory, and a multipart upload on S3
 * (parts of 5 MiB). An S3 put was measured at 15–25 MiB whatever the size (a few parts), so the object is
 * well above that: at 32 MiB a put's peak came within 1 MiB of the bound.
 */
const LARGE = 48 * MiB;
/** The most a streaming operation may hold at once: two thirds of the object, far under holding it whole. */
const STREAMING_BOUND = 32 * MiB;

/** `size` bytes made 64 KiB at a time (each chunk a fresh buffer, as a file or socket gives them), never whole. */
function generated(size: number, seed = 1): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(64 * 1024, size - sent);
      this.push(Buffer.alloc(n, (seed + sent / (64 * 1024)) % 251));
      sent += n;
    },
  });
}

async function sha256(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// The garbage collector, callable: chunks a stream has passed on are garbage the collector may keep for a
// while (V8 collects external memory in steps of tens of MiB), and only live memory says what a store holds.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

/** Live buffer memory once garbage is gone: V8 frees dead buffers' memory on a background thread after a collection, so it is read until it stops falling. */
async function settledBuffers(): Promise<number> {
  let last = Infinity;
  for (let k = 0; k < 50; k++) {
    collect();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const now = process.memoryUsage().arrayBuffers;
    if (Math.abs(now - last) < 256 * 1024) return now;
    last = now;
  }
  return last;
}

/**
 * The most the process's live buffers (Buffer and ArrayBuffer memory, where stream chunks live) grew while
 * `run` ran: sampled every 20 ms (a full collection each time is what the test's time goes on) after a full collection (which frees the chunks already passed on). A
 * store that held a 32 MiB object whole would show 32 MiB for as long as it held it.
 */
async function peakBufferGrowth(run: () => Promise<unknown>): Promise<number> {
  const base = await settledBuffers();
  let peak = 0;
  let samples = 0;
  const sample = () => {
    collect();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
    samples++;
  };
  const timer = setInterval(sample, 20);
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  expect(samples).toBeGreaterThanOrEqual(2); // the operation yielded to the sampler while it ran
  return peak;
}

type Case = { name: string; store: ArtifactStore; downloads: () => number };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-store-contract-'));
let s3: LocalS3;
const cases: Case[] = [];

beforeAll(async () => {
  s3 = await startLocalS3('contract');
  const directory = new DirectoryArtifactStore(path.join(tmp, 'artifacts'));
  const bucket = new S3ArtifactStore({ bucket: s3.bucket, prefix: 'install-a', region: 'us-east-1', endpoint: s3.endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', cacheDir: path.join(tmp, 'cache') });
  for (const [name, store] of [['directory', directory], ['s3', bucket]] as const) {
    const download = vi.spyOn(store, 'download');
    cases.push({ name, store, downloads: () => download.mock.calls.length });
  }
}, 60_000);

afterAll(async () => {
  await s3?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.each(['directory', 's3'])('ArtifactStore contract: %s', (name) => {
  const c = () => cases.find((x) => x.name === name)!;

  it('puts bytes and text, and reads them back through open, download, stat and exists', async () => {
    const { store } = c();
    const bytes = crypto.randomBytes(1000);
    expect(await store.put('models/1/job1-a1/weights.bin', bytes)).toEqual({ size: 1000, etag: expect.any(String) });
    await store.put('models/1/job1-a1/model.json', '{"format":"x"}\n');
    expect(await readArtifactBytes(store, 'models/1/job1-a1/weights.bin')).toEqual(bytes);
    expect((await readArtifactBytes(store, 'models/1/job1-a1/model.json')).toString('utf8')).toBe('{"format":"x"}\n');
    const file = path.join(tmp, name, 'copy', 'weights.bin');
    expect(await store.download('models/1/job1-a1/weights.bin', file)).toEqual(await store.stat('models/1/job1-a1/weights.bin'));
    expect(fs.readFileSync(file)).toEqual(bytes);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['weights.bin']); // no temporary file left beside it
    expect(await store.exists('models/1/job1-a1/weights.bin')).toBe(true);
    expect(await store.stat('models/1/job1-a1/model.json')).toMatchObject({ size: 15 });
  });

  it('streams a 48 MiB object through put, open and download without holding it in memory', async () => {
    const { store } = c();
    // The measure itself: an object held whole for a moment shows in it.
    const held = await peakBufferGrowth(async () => {
      const whole = Buffer.alloc(LARGE, 1);
      await new Promise((resolve) => setTimeout(resolve, 60));
      return whole.length;
    });
    expect(held).toBeGreaterThan(LARGE * 0.9);
    const expected = await sha256(generated(LARGE));
    const key = 'exports/7/a1/large.bin';
    const putGrowth = await peakBufferGrowth(() => store.put(key, generated(LARGE)));
    expect(await store.stat(key)).toMatchObject({ size: LARGE });
    let read = '';
    const openGrowth = await peakBufferGrowth(async () => (read = await sha256(await store.open(key))));
    expect(read).toBe(expected);
    const file = path.join(tmp, name, 'large.bin');
    const downloadGrowth = await peakBufferGrowth(() => store.download(key, file));
    expect(fs.statSync(file).size).toBe(LARGE);
    expect(await sha256(fs.createReadStream(file))).toBe(expected);
    console.log(`${name}: buffers grew at most ${(putGrowth / MiB).toFixed(1)} MiB (put), ${(openGrowth / MiB).toFixed(1)} MiB (open), ${(downloadGrowth / MiB).toFixed(1)} MiB (download) for a ${LARGE / MiB} MiB object`);
    // An S3 upload holds three to five 5 MiB parts (one in flight, the next being filled and joined); reads hold a few chunks. Holding the object whole would be 48 MiB.
    for (const growth of [putGrowth, openGrowth, downloadGrowth]) expect(growth).toBeLessThan(STREAMING_BOUND);
    fs.rmSync(file);
  }, 60_000);

  it('uploads a large local file in parts (S3: a multipart upload), whole', async () => {
    const { store } = c();
    const file = path.join(tmp, name, 'source.bin');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const bytes = crypto.randomBytes(12 * MiB);
    fs.writeFileSync(file, bytes);
    const send = vi.spyOn(S3Client.prototype, 'send');
    try {
      expect(await store.putFile('models/2/job5-a1/policy/model.safetensors', file)).toMatchObject({ size: bytes.length });
      const commands = send.mock.calls.map(([command]) => command.constructor.name);
      if (name === 's3') expect(commands.filter((n) => n === 'UploadPartCommand')).toHaveLength(3);
      if (name === 's3') expect(commands).toEqual(expect.arrayContaining(['CreateMultipartUploadCommand', 'CompleteMultipartUploadCommand']));
    } finally {
      send.mockRestore();
    }
    // (Buffer.equals: a deep toEqual walks 12 MiB element by element.)
    expect((await readArtifactBytes(store, 'models/2/job5-a1/policy/model.safetensors')).equals(bytes)).toBe(true);
  }, 60_000);

  it('replaces an object whole; a put whose stream fails leaves the old object as it was', async () => {
    const { store } = c();
    const key = 'scores/3/a1/scores.json';
    const first = await store.put(key, '{"rows":[1]}');
    const second = await store.put(key, '{"rows":[1,2]}');
    expect(second.etag).not.toBe(first.etag);
    expect((await readArtifactBytes(store, key)).toString()).toBe('{"rows":[1,2]}');
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent++ < 100) this.push(Buffer.alloc(64 * 1024, 1));
        else this.destroy(new Error('the source went away'));
      },
    });
    await expect(store.put(key, failing)).rejects.toThrow('the source went away');
    expect((await readArtifactBytes(store, key)).toString()).toBe('{"rows":[1,2]}');
    expect((await store.list('scores/3')).map((e) => e.key)).toEqual([key]); // no partial object listed
  }, 60_000);

  it('lists a prefix as a folder: its keys with sizes, not those of a longer name beside it', async () => {
    const { store } = c();
    for (const key of ['models/40/job9-a1/model.json', 'models/40/job9-a1/weights.bin', 'models/40/job9-a2/weights.bin', 'models/400/job10-a1/weights.bin']) await store.put(key, key);
    const listed = await store.list('models/40');
    expect(listed.map((e) => e.key).sort()).toEqual(['models/40/job9-a1/model.json', 'models/40/job9-a1/weights.bin', 'models/40/job9-a2/weights.bin']);
    expect(listed.find((e) => e.key === 'models/40/job9-a1/model.json')?.size).toBe('models/40/job9-a1/model.json'.length);
    expect((await store.list('models/40/job9-a1/weights.bin')).map((e) => e.key)).toEqual(['models/40/job9-a1/weights.bin']);
    expect(await store.list('models/41')).toEqual([]);
  });

  it('deletes a prefix (or one key) and nothing beside it', async () => {
    const { store } = c();
    for (const key of ['exports/50/a1/train.jsonl', 'exports/50/a1/unpaired/train.jsonl', 'exports/50/a2/train.jsonl', 'exports/500/a1/train.jsonl']) await store.put(key, 'x');
    expect(await store.delete('exports/50/a1')).toBe(2);
    expect((await store.list('exports/50')).map((e) => e.key)).toEqual(['exports/50/a2/train.jsonl']);
    expect(await store.delete('exports/50/a2/train.jsonl')).toBe(1);
    expect(await store.list('exports/50')).toEqual([]);
    expect(await store.exists('exports/500/a1/train.jsonl')).toBe(true);
    expect(await store.delete('exports/50')).toBe(0);
  });

  it('answers a missing key with a clear not-found error (and null, false, an empty list)', async () => {
    const { store } = c();
    const key = 'models/999/job1-a1/weights.bin';
    for (const attempt of [() => store.open(key), () => store.download(key, path.join(tmp, name, 'missing.bin')), () => store.localCopy(key), () => readArtifactBytes(store, key)]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'not-found', status: 404, message: expect.stringContaining(`artifact ${key} is not in the artifact store`) });
    }
    expect(fs.existsSync(path.join(tmp, name, 'missing.bin'))).toBe(false);
    expect(await store.stat(key)).toBeNull();
    expect(await store.exists(key)).toBe(false);
    expect(await store.list('models/999')).toEqual([]);
  });

  it('refuses keys outside the artifact folders or with . and .. segments', async () => {
    const { store } = c();
    for (const key of ['arbiter.db', '../models/1/x', 'models/../arbiter.db', 'models//x', '/models/1', 'models/1/.hidden', 'uploads/x', ''])
      await expect(store.put(key, 'x')).rejects.toThrow(/invalid artifact key/);
  });

  it('keeps a local copy: downloaded once, used while current, downloaded again when the object changes', async () => {
    const { store, downloads } = c();
    const key = 'models/60/job11-a1/weights.bin';
    await store.put(key, 'version one');
    const before = downloads();
    const first = await store.localCopy(key);
    expect(fs.readFileSync(first, 'utf8')).toBe('version one');
    const second = await store.localCopy(key);
    expect(second).toBe(first);
    // S3: one download, then the cached copy; a folder store's own file is the copy (nothing downloaded).
    expect(downloads() - before).toBe(name === 's3' ? 1 : 0);
    if (name === 's3') expect(first.startsWith(path.join(tmp, 'cache'))).toBe(true);
    await store.put(key, 'version two, longer');
    const third = await store.localCopy(key);
    expect(fs.readFileSync(third, 'utf8')).toBe('version two, longer');
    expect(downloads() - before).toBe(name === 's3' ? 2 : 0);
    // Same size, new bytes: the ETag tells them apart. Two callers at once share one download.
    await store.put(key, 'version TWO, longer');
    const [a, b] = await Promise.all([store.localCopy(key), store.localCopy(key)]);
    expect(a).toBe(b);
    expect(fs.readFileSync(a, 'utf8')).toBe('version TWO, longer');
    expect(downloads() - before).toBe(name === 's3' ? 3 : 0);
  });
});
