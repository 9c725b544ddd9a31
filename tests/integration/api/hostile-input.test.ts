/** Hostile paths and sizes: client file names, tampered artifact paths, checkpoint names, oversized uploads. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { POST as importFile } from '@/app/api/v1/projects/[id]/imports/route';
import { POST as launchRewardModel } from '@/app/api/v1/projects/[id]/reward-models/route';
import { GET as exportRewardModel } from '@/app/api/v1/reward-models/[id]/export/route';
import { GET as exportPolicy } from '@/app/api/v1/policies/[id]/export/route';
import { createApiToken } from '@/db/queries/api-tokens';
import { startAlignment } from '@/db/queries/policies';
import { startRewardModelTraining } from '@/db/queries/reward-models';
import { dataDir, resetEnvCache } from '@/lib/env';
import { createActor } from '../../helpers/actors';
import { apiRequest, params } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';
import { execSql } from '../../helpers/sql';

describe('hostile paths and sizes', async () => {
  const researcher = await createActor('researcher');
  const token = (await createApiToken(researcher.id, { name: 't' })).token;
  const { projectId } = await createGeneratedProject({ prompts: 12 }, researcher);
  const p = params({ id: String(projectId) });
  const upload = (filename: string, body: BodyInit, headers: Record<string, string> = {}) =>
    importFile(new Request(`http://localhost:3000/api/v1/projects/${projectId}/imports?filename=${encodeURIComponent(filename)}&dryRun=1`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body, duplex: 'half' } as RequestInit), p);

  it("a client's file name never reaches the file system", async () => {
    const evil = path.resolve(dataDir(), '..', 'evil-upload.jsonl');
    const res = await upload('../../evil-upload.jsonl', JSON.stringify({ prompt: 'q', chosen: 'a', rejected: 'b' }));
    expect(res.status).toBe(200);
    expect(fs.existsSync(evil)).toBe(false);
    // Uploads are read from a random name under <data>/uploads and removed afterwards.
    expect(fs.readdirSync(path.join(dataDir(), 'uploads'))).toEqual([]);
    expect((await upload('/etc/passwd', 'x')).status).toBe(400);
  });

  it('uploads above ARBITER_MAX_UPLOAD_MB are refused early (declared size) or as soon as they pass the limit (streamed), writing nothing', async () => {
    process.env.ARBITER_MAX_UPLOAD_MB = '1';
    resetEnvCache();
    try {
      const big = `${JSON.stringify({ prompt: 'q'.repeat(1000), chosen: 'a', rejected: 'b' })}\n`.repeat(1500);
      const declared = await upload('big.jsonl', big, { 'content-length': String(Buffer.byteLength(big)) });
      expect(declared.status).toBe(413);
      expect(((await declared.json()) as { error: string }).error).toMatch(/larger than the 1 MiB upload limit/);
      const stream = new ReadableStream({
        start(controller) {
          for (let k = 0; k < 3; k++) controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      });
      const streamed = await upload('big.jsonl', stream);
      expect([400, 413]).toContain(streamed.status);
      expect(((await streamed.json()) as { error: string }).error).toMatch(/larger than the 1 MiB upload limit/);
      expect(fs.readdirSync(path.join(dataDir(), 'uploads'))).toEqual([]);
    } finally {
      delete process.env.ARBITER_MAX_UPLOAD_MB;
      resetEnvCache();
    }
  });

  it('model and policy files are served only from under <data>/models, whatever the stored path says', async () => {
    const rm = (await startRewardModelTraining(researcher, projectId, { kind: 'bt' })).model.id;
    const policy = (await startAlignment(researcher, projectId, {})).policy.id;
    for (const tampered of ['..', '../..', '/etc', 'models/../../', 'models/1/../../..']) {
      await execSql("update models set status = 'ready', artifact_path = ? where id in (?, ?)", tampered, rm, policy);
      expect((await exportRewardModel(apiRequest('/x', { token }), params({ id: String(rm) }))).status).toBe(404);
      expect((await exportPolicy(apiRequest('/x', { token }), params({ id: String(policy) }))).status).toBe(404);
    }
  });

  it('checkpoints are chosen by name only', async () => {
    const res = await launchRewardModel(apiRequest('/x', { method: 'POST', token, body: { kind: 'bt', featurizer: 'checkpoint', checkpoint: '../../etc' } }), p);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/no checkpoints are configured|unknown checkpoint/);
  });
});
