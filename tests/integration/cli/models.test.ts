import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/env';
import { trainBpe } from '@/lib/ml/tokenizer/bpe';
import { bpeToTokenizerJson } from '@/lib/ml/tokenizer/hf-tokenizer';
import { runOnce } from '@/workers/run-once';
import { createGeneratedProject } from '../../helpers/projects';
import { runTs } from '../../helpers/spawn';
import { writeTinyCheckpoint } from '../../helpers/tiny-gpt';

process.env.ARBITER_ML_BACKEND = 'wasm';
const cli = (...args: string[]) => runTs('cli/main.ts', args, { ARBITER_ML_BACKEND: 'wasm' });

describe('CLI: reward models', () => {
  it('trains (a worker runs the job), lists, scores a file of labelled pairs and of responses, and exports', async () => {
    const { projectId } = await createGeneratedProject({ prompts: 50 });
    const queued = await cli('train', 'reward-model', '--project', String(projectId), '--kind', 'bt', '--epochs', '4', '--json');
    expect(queued.code, queued.stderr).toBe(0);
    const { modelId } = JSON.parse(queued.stdout) as { modelId: number };
    expect((await runOnce({ workerId: 'cli-rm', heartbeatMs: 100, log: () => undefined }))?.status).toBe('succeeded');

    const list = await cli('models', '--project', String(projectId));
    expect(list.stdout).toMatch(new RegExp(`${modelId}\\s+bt .*\\s+bt\\s+ready\\s+wasm`));
    // The training job names its model (CLI and REST share JobView.subject).
    const jobsListed = JSON.parse((await cli('jobs', 'list', '--project', String(projectId), '--json')).stdout) as { kind: string; subject: { modelId: number; name: string } | null }[];
    const trainJob = jobsListed.find((j) => j.kind === 'train-reward-model')!;
    expect(trainJob.subject?.modelId).toBe(modelId);
    expect(trainJob.subject?.name).toMatch(/^bt \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);

    const dir = process.env.ARBITER_DATA_DIR!;
    const pairs = path.join(dir, 'labelled.jsonl');
    fs.writeFileSync(pairs, [
      JSON.stringify({ prompt: 'Explain recursion.', chosen: 'A function that calls itself on a smaller input until a base case.', rejected: 'No.' }),
      JSON.stringify({ prompt: 'Name a prime.', chosen: 'Seven.', rejected: 'Eight, which is prime.' }),
    ].join('\n'));
    const scored = await cli('score', '--model', String(modelId), '--json', pairs);
    expect(scored.code, scored.stderr).toBe(0);
    const report = JSON.parse(scored.stdout) as { pairs: number; accuracy: number; logLoss: number; rows: { kind: string; p: number; margin: number }[] };
    expect(report.pairs).toBe(2);
    expect(report.rows.map((r) => r.kind)).toEqual(['pair', 'pair']);
    for (const r of report.rows) {
      expect(r.p).toBeGreaterThan(0);
      expect(r.p).toBeLessThan(1);
      // P = σ(margin) for a single Bradley–Terry model.
      expect(r.p).toBeCloseTo(1 / (1 + Math.exp(-r.margin)), 4);
    }
    expect(report.logLoss).toBeCloseTo(-(Math.log(report.rows[0]!.p) + Math.log(report.rows[1]!.p)) / 2, 4);
    const responses = path.join(dir, 'responses.jsonl');
    fs.writeFileSync(responses, `${JSON.stringify({ prompt: 'Hi?', response: 'Hello! How can I help?' })}\n${JSON.stringify({ prompt: 'Hi?', responses: ['Hello.', 'Go away.', 'Hi there, what do you need?'] })}\n`);
    const rewards = JSON.parse((await cli('score', '--model', String(modelId), '--json', responses)).stdout) as { rows: { kind: string; rewards: number[] }[] };
    expect(rewards.rows.map((r) => r.rewards.length)).toEqual([1, 3]);

    const out = path.join(dir, 'exported-model');
    expect((await cli('model', 'export', '--model', String(modelId), '--out', out)).code).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')) as { format: string; tensors: { length: number }[] };
    expect(manifest.format).toBe('arbiter-reward-model/1');
    expect(fs.statSync(path.join(out, 'weights.bin')).size).toBe(manifest.tensors.reduce((s, t) => s + 4 * t.length, 0));
  }, 90_000);

  it('trains on a configured checkpoint\'s frozen states and scores through it (--featurizer checkpoint --checkpoint NAME)', async () => {
    const { projectId } = await createGeneratedProject({ prompts: 30 });
    const root = path.join(process.env.ARBITER_DATA_DIR!, 'cli-checkpoints');
    const bpe = trainBpe(['Hello there, how can I help you today?', 'No. Go away.'], 60);
    writeTinyCheckpoint(path.join(root, 'tiny'), { vocab: bpe.vocabSize, d: 16, layers: 1, heads: 2, positions: 64, tokenizerJson: bpeToTokenizerJson(bpe) });
    process.env.ARBITER_CHECKPOINTS_DIR = root;
    resetEnvCache();
    const withCheckpoints = (...args: string[]) => runTs('cli/main.ts', args, { ARBITER_ML_BACKEND: 'wasm', ARBITER_CHECKPOINTS_DIR: root });
    const unknown = await withCheckpoints('train', 'reward-model', '--project', String(projectId), '--featurizer', 'checkpoint', '--checkpoint', 'gpt2-xl');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown checkpoint "gpt2-xl"; available: tiny/);
    const queued = await withCheckpoints('train', 'reward-model', '--project', String(projectId), '--featurizer', 'checkpoint', '--checkpoint', 'tiny', '--epochs', '3', '--json');
    expect(queued.code, queued.stderr).toBe(0);
    const { modelId } = JSON.parse(queued.stdout) as { modelId: number };
    expect((await runOnce({ workerId: 'cli-ckpt', heartbeatMs: 100, log: () => undefined }))?.status).toBe('succeeded');
    const file = path.join(process.env.ARBITER_DATA_DIR!, 'one-pair.jsonl');
    fs.writeFileSync(file, `${JSON.stringify({ prompt: 'Hi?', chosen: 'Hello there, how can I help?', rejected: 'No.' })}\n`);
    const scored = await withCheckpoints('score', '--model', String(modelId), '--json', file);
    expect(scored.code, scored.stderr).toBe(0);
    expect(JSON.parse(scored.stdout)).toMatchObject({ pairs: 1, rows: [{ kind: 'pair', p: expect.any(Number) }] });
    delete process.env.ARBITER_CHECKPOINTS_DIR;
    resetEnvCache();
  }, 90_000);

  it('refuses unknown kinds and models clearly', async () => {
    const bad = await cli('train', 'reward-model', '--project', '1', '--kind', 'svm');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--kind: /);
    const featurizer = await cli('train', 'reward-model', '--project', '1', '--kind', 'bt', '--featurizer', 'bert');
    expect(featurizer.code).toBe(2);
    expect(featurizer.stderr).toMatch(/--featurizer: /);
    const missing = await cli('score', '--model', '999', '/tmp/none.jsonl');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/model 999 not found/);
  });
});
