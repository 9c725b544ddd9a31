/**
 * Artifacts in an S3-compatible bucket (s3rver on 127.0.0.1, ARBITER_S3_* pointing at it): what workers
 * produce — a trained reward model, an export, a scoring report — lands in the bucket, never in a data
 * directory, and downloads through the REST API. On PostgreSQL, two worker processes with data directories
 * of their own share only the database and the bucket, and the web process (a third data directory)
 * serves what both made.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { POST as startExport } from '@/app/api/v1/projects/[id]/exports/route';
import { GET as download } from '@/app/api/v1/projects/[id]/exports/[jobId]/download/route';
import { POST as launch } from '@/app/api/v1/projects/[id]/reward-models/route';
import { GET as exportModel } from '@/app/api/v1/reward-models/[id]/export/route';
import { GET as getModel } from '@/app/api/v1/reward-models/[id]/route';
import { POST as score } from '@/app/api/v1/reward-models/[id]/score/route';
import { GET as scores } from '@/app/api/v1/reward-models/[id]/scores/[jobId]/route';
import { createApiToken } from '@/db/queries/api-tokens';
import { isPostgres } from '@/db/dialect';
import { JOB_DEFINITIONS } from '@/lib/jobs/registry';
import { resetEnvCache } from '@/lib/env';
import { runOnce } from '@/workers/run-once';
import { createActor } from '../../helpers/actors';
import { apiRequest, params } from '../../helpers/http';
import { startLocalS3 } from '../../helpers/local-s3';
import { createGeneratedProject } from '../../helpers/projects';
import { collect, spawnTs } from '../../helpers/spawn';
import { unzip } from '../../helpers/zip';

process.env.ARBITER_ML_BACKEND = 'wasm';
const quiet = () => undefined;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (res: Response) => (await res.json()) as Record<string, any>;

describe('artifacts in an S3-compatible bucket', async () => {
  const s3 = await startLocalS3('arbiter-artifacts');
  Object.assign(process.env, s3.env);
  resetEnvCache();
  afterAll(async () => {
    for (const name of Object.keys(s3.env)) delete process.env[name];
    resetEnvCache();
    await s3.stop();
  });
  // The bucket as any S3 client sees it, not through Arbiter's store.
  const bucket = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const objects = async (prefix: string) => ((await bucket.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
  const object = async (key: string) => Buffer.from(await (await bucket.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToByteArray());
  const dataDir = process.env.ARBITER_DATA_DIR!;
  /** What a data directory holds of artifacts: nothing, when they go to the bucket. */
  const artifactFolders = (dir: string) => ['models', 'exports', 'scores'].filter((name) => fs.existsSync(path.join(dir, name)));

  const researcher = await createActor('researcher');
  const { projectId } = await createGeneratedProject({ prompts: 40 }, researcher);
  const token = (await createApiToken(researcher.id, { name: 'r' })).token;
  const project = params({ id: String(projectId) });

  async function trainModel(): Promise<{ modelId: number; jobId: number }> {
    const started = await json(await launch(apiRequest('/x', { method: 'POST', token, body: { kind: 'bt', epochs: 2 } }), project));
    return { modelId: started.model.id as number, jobId: started.jobId as number };
  }

  async function downloadedModel(modelId: number): Promise<Record<string, Buffer>> {
    const res = await exportModel(apiRequest('/x', { token }), params({ id: String(modelId) }));
    expect(res.status).toBe(200);
    return unzip(Buffer.from(await res.arrayBuffer()));
  }

  it('a trained reward model lands in the bucket under its attempt, not in the data directory, and downloads through the REST API', async () => {
    const { modelId, jobId } = await trainModel();
    expect((await runOnce({ workerId: 's3-rm', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const model = (await json(await getModel(apiRequest('/x', { token }), params({ id: String(modelId) })))).model;
    const prefix = `models/${modelId}/job${jobId}-a1`;
    expect(model).toMatchObject({ status: 'ready', artifactPath: prefix });
    // Its checkpoints were removed once it was published: the two files are all that is left.
    expect(await objects(`models/${modelId}/`)).toEqual([`${prefix}/model.json`, `${prefix}/weights.bin`]);
    expect(artifactFolders(dataDir)).toEqual([]);
    const zip = await downloadedModel(modelId);
    expect(Object.keys(zip).sort()).toEqual([`reward-model-${modelId}/model.json`, `reward-model-${modelId}/weights.bin`]);
    expect(zip[`reward-model-${modelId}/weights.bin`]!.equals(await object(`${prefix}/weights.bin`))).toBe(true);
    expect(zip[`reward-model-${modelId}/model.json`]!.equals(await object(`${prefix}/model.json`))).toBe(true);
    // Scoring in the web process loads the weights from this host's cache of the bucket.
    const scored = await score(apiRequest('/x', { method: 'POST', token, body: { records: [{ prompt: 'Hi?', chosen: 'Hello, how can I help?', rejected: 'No.' }] } }), params({ id: String(modelId) }));
    expect(scored.status).toBe(200);
    expect(fs.existsSync(path.join(dataDir, 'cache', 'artifacts', 's3', s3.bucket, ...prefix.split('/'), 'weights.bin'))).toBe(true);
  }, 120_000);

  it("an export job's files land in the bucket and download as a zip and one by one", async () => {
    const started = await startExport(apiRequest('/x', { method: 'POST', token, body: { format: 'trl', testShare: 0.2 } }), project);
    const jobId = (await json(started)).job.id as number;
    expect((await runOnce({ workerId: 's3-export', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const keys = await objects(`exports/${jobId}/`);
    expect(keys).toEqual(expect.arrayContaining([`exports/${jobId}/a1/train.jsonl`, `exports/${jobId}/a1/test.jsonl`, `exports/${jobId}/a1/README.md`]));
    expect(artifactFolders(dataDir)).toEqual([]);
    expect(fs.readdirSync(path.join(dataDir, 'work'))).toEqual([]); // the job's scratch folder is gone
    const p = params({ id: String(projectId), jobId: String(jobId) });
    const one = await download(apiRequest('/x?file=train.jsonl', { token }), p);
    expect(one.headers.get('content-length')).toBe(String((await object(`exports/${jobId}/a1/train.jsonl`)).length));
    expect(Buffer.from(await one.arrayBuffer()).equals(await object(`exports/${jobId}/a1/train.jsonl`))).toBe(true);
    const zip = await unzip(Buffer.from(await (await download(apiRequest('/x', { token }), p)).arrayBuffer()));
    for (const key of keys) expect(zip[`project-${projectId}-export-${jobId}/${key.slice(`exports/${jobId}/a1/`.length)}`]!.equals(await object(key))).toBe(true);
  }, 60_000);

  it('a scoring job reads the records the web process left in the bucket and its report downloads from there', async () => {
    const { modelId } = await trainModel();
    expect((await runOnce({ workerId: 's3-rm', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    process.env.ARBITER_MAX_SYNC_SCORE_ROWS = '2';
    resetEnvCache();
    try {
      const records = [1, 2, 3].map((k) => ({ prompt: `Question ${k}?`, chosen: `A careful answer to ${k}.`, rejected: 'No.' }));
      const queued = await score(apiRequest('/x', { method: 'POST', token, body: { records } }), params({ id: String(modelId) }));
      expect(queued.status).toBe(202);
      const { job } = await json(queued);
      expect(await objects('scores/inputs/')).toHaveLength(1);
      expect((await runOnce({ workerId: 's3-score', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
      expect(await objects('scores/')).toEqual([`scores/${job.id}/a1/scores.json`]); // the input is gone, the report stays
      const report = await scores(apiRequest('/x', { token }), params({ id: String(modelId), jobId: String(job.id) }));
      expect(report.status).toBe(200);
      expect(await json(report)).toMatchObject({ pairs: 3, rows: [{ kind: 'pair' }, { kind: 'pair' }, { kind: 'pair' }] });
    } finally {
      delete process.env.ARBITER_MAX_SYNC_SCORE_ROWS;
      resetEnvCache();
    }
  }, 120_000);

  it('two worker processes with data directories of their own share only the database and the bucket, one training and one the rest; the web process serves both', async (ctx) => {
    if (!isPostgres) {
      // Hosts share a database server; the embedded SQLite file is one machine's. scripts/test.ts lists this reason.
      ctx.task.meta.skipReason = 'runs in the PostgreSQL pass only: several hosts need a shared database server';
      ctx.skip();
    }
    const hostA = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-host-a-'));
    const hostB = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-host-b-'));
    const otherKinds = Object.keys(JOB_DEFINITIONS).filter((kind) => kind !== 'train-reward-model');
    // A worker on another host: its own data directory; the database and the bucket come from the environment.
    const worker = (dir: string, kinds: string[]) =>
      collect(spawnTs('workers/main.ts', ['--exit-when-idle', '--kinds', kinds.join(',')], { ARBITER_DATA_DIR: dir, ARBITER_ML_BACKEND: 'wasm', ARBITER_WORKER_POLL_MS: '50' }));
    try {
      const { modelId } = await trainModel();
      const started = await startExport(apiRequest('/x', { method: 'POST', token, body: { format: 'trl' } }), project);
      const exportJob = (await json(started)).job.id as number;
      // Both queued; the two hosts run side by side, each taking only its kinds.
      const [gpuHost, otherHost] = await Promise.all([worker(hostA, ['train-reward-model']), worker(hostB, otherKinds)]);
      expect(gpuHost.code, gpuHost.stderr).toBe(0);
      expect(otherHost.code, otherHost.stderr).toBe(0);
      expect(gpuHost.stdout).toMatch(/train-reward-model #\d+\] succeeded/);
      expect(gpuHost.stdout).not.toMatch(/export-dataset #/);
      expect(otherHost.stdout).toMatch(new RegExp(`export-dataset #${exportJob}\\] succeeded`));
      expect(otherHost.stdout).not.toMatch(/train-reward-model #/);
      // Neither host kept an artifact of its own; the web process (a third data directory) serves both.
      for (const dir of [hostA, hostB, dataDir]) expect(artifactFolders(dir)).toEqual([]);
      expect(Object.keys(await downloadedModel(modelId))).toHaveLength(2);
      const zipped = await download(apiRequest('/x', { token }), params({ id: String(projectId), jobId: String(exportJob) }));
      expect(zipped.status).toBe(200);
      expect(Object.keys(await unzip(Buffer.from(await zipped.arrayBuffer())))).toContain(`project-${projectId}-export-${exportJob}/train.jsonl`);
    } finally {
      fs.rmSync(hostA, { recursive: true, force: true });
      fs.rmSync(hostB, { recursive: true, force: true });
    }
  }, 180_000);
});
