import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { POST as startExport, GET as listExports } from '@/app/api/v1/projects/[id]/exports/route';
import { GET as getExport } from '@/app/api/v1/projects/[id]/exports/[jobId]/route';
import { GET as download } from '@/app/api/v1/projects/[id]/exports/[jobId]/download/route';
import { GET as inlineExport } from '@/app/api/v1/projects/[id]/export/route';
import { createApiToken } from '@/db/queries/api-tokens';
import { writeProjectExport } from '@/db/queries/export';
import { addProjectMember } from '@/db/queries/projects';
import { DEFAULT_EXPORT_OPTIONS } from '@/lib/data/export';
import { runOnce } from '@/workers/run-once';
import { createActor } from '../../helpers/actors';
import { apiRequest, params } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';
import { unzip as unzipBytes } from '../../helpers/zip';

const quiet = () => undefined;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (res: Response) => (await res.json()) as Record<string, any>;

async function unzip(bytes: Buffer): Promise<Record<string, string>> {
  return Object.fromEntries(Object.entries(await unzipBytes(bytes)).map(([k, v]) => [k, v.toString('utf8')]));
}

describe('export-dataset job and download', async () => {
  const researcher = await createActor('researcher');
  const annotator = await createActor('annotator');
  const outsider = await createActor('researcher');
  const { projectId } = await createGeneratedProject({ prompts: 40 }, researcher);
  await addProjectMember(projectId, annotator.id, 'annotator');
  const token = (await createApiToken(researcher.id, { name: 'r' })).token;
  const aToken = (await createApiToken(annotator.id, { name: 'a' })).token;
  const oToken = (await createApiToken(outsider.id, { name: 'o' })).token;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const p = (extra: Record<string, string> = {}) => params({ id: String(projectId), ...extra }) as any;

  it('runs in a worker, reports the pre-flight check, and downloads as a zip identical to the CLI files', async () => {
    const started = await startExport(apiRequest('/x', { method: 'POST', token, body: { format: 'all', testShare: 0.2, seed: 4, margin: 'abs' } }), p());
    expect(started.status).toBe(202);
    const jobId = String((await json(started)).job.id);
    expect((await json(await getExport(apiRequest('/x', { token }), p({ jobId })))).job.status).toBe('queued');
    expect((await download(apiRequest('/x', { token }), p({ jobId }))).status).toBe(409);
    expect((await runOnce({ workerId: 'export', heartbeatMs: 50, log: quiet }))?.status).toBe('succeeded');
    const { job } = await json(await getExport(apiRequest('/x', { token }), p({ jobId })));
    expect(job).toMatchObject({ status: 'succeeded', progress: 1, result: { validation: { ok: true }, counts: { pairs: expect.any(Number) } } });
    expect(job.result.files).toEqual(expect.arrayContaining(['README.md', 'train.jsonl', 'test.jsonl', 'unpaired/train.jsonl', 'llamafactory/data.json', 'battles.jsonl', 'raw_annotations.jsonl']));
    expect((await json(await listExports(apiRequest('/x', { token }), p()))).exports.map((e: { id: number }) => String(e.id))).toContain(jobId);

    const zipped = await download(apiRequest('/x', { token }), p({ jobId }));
    expect(zipped.headers.get('content-type')).toBe('application/zip');
    const entries = await unzip(Buffer.from(await zipped.arrayBuffer()));
    const folder = `project-${projectId}-export-${jobId}/`;
    expect(Object.keys(entries).sort()).toEqual(job.result.files.map((f: string) => folder + f).sort());
    // The same settings through the CLI's code path give the same rows.
    const dir = fs.mkdtempSync(path.join(process.env.ARBITER_DATA_DIR!, 'cli-export-'));
    await writeProjectExport(projectId, dir, { format: 'all', options: { ...DEFAULT_EXPORT_OPTIONS, testShare: 0.2, seed: 4, margin: 'abs' } });
    for (const name of ['train.jsonl', 'test.jsonl', 'unpaired/train.jsonl', 'llamafactory/data.json', 'battles.jsonl']) expect(entries[folder + name]).toBe(fs.readFileSync(path.join(dir, name), 'utf8'));
    // LLaMA-Factory's array, streamed element by element, is exactly JSON.stringify(array, null, 1).
    const llama = JSON.parse(entries[`${folder}llamafactory/data.json`]!) as unknown[];
    expect(entries[`${folder}llamafactory/data.json`]).toBe(`${JSON.stringify(llama, null, 1)}\n`);

    const one = await download(apiRequest('/x?file=train.jsonl', { token }), p({ jobId }));
    expect(await one.text()).toBe(entries[`${folder}train.jsonl`]);
    // Only names the export wrote are served.
    for (const file of ['../arbiter.db', '/etc/passwd', 'README.md/../../arbiter.db']) expect((await download(apiRequest(`/x?file=${encodeURIComponent(file)}`, { token }), p({ jobId }))).status).toBe(404);
    // Annotators of the project are refused; to researchers of other projects it does not exist.
    for (const [t, status] of [[aToken, 403], [oToken, 404]] as const) {
      expect((await download(apiRequest('/x', { token: t }), p({ jobId }))).status).toBe(status);
      expect((await getExport(apiRequest('/x', { token: t }), p({ jobId }))).status).toBe(status);
      expect((await startExport(apiRequest('/x', { method: 'POST', token: t, body: {} }), p())).status).toBe(status);
    }
    // The inline export agrees with the job's files.
    const inline = await json(await inlineExport(apiRequest('/x?format=trl&testShare=0.2&seed=4&margin=abs', { token }), p()));
    expect(inline.files['train.jsonl']).toBe(entries[`${folder}train.jsonl`]);
  });

  it('refuses bad settings before queueing anything', async () => {
    const bad = await startExport(apiRequest('/x', { method: 'POST', token, body: { format: 'xlsx' } }), p());
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatch(/^format: /);
    expect((await runOnce({ workerId: 'export', heartbeatMs: 50, log: quiet })) ?? null).toBeNull();
  });
});
