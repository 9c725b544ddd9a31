import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getRewardModel, readRewardModelFiles, startRewardModelTraining } from '@/db/queries/reward-models';
import { CLI_ACTOR } from '@/lib/auth/access';
import { resolveCheckpoint } from '@/lib/checkpoints';
import { dataDir, mlBackendOptions, resetEnvCache } from '@/lib/env';
import { trainBpe } from '@/lib/ml/tokenizer/bpe';
import { bpeToTokenizerJson } from '@/lib/ml/tokenizer/hf-tokenizer';
import { runOnce } from '@/workers/run-once';
import { createGeneratedProject } from '../../helpers/projects';
import { writeTinyCheckpoint } from '../../helpers/tiny-gpt';
import { queryRows, queryValue } from '../../helpers/sql';

process.env.ARBITER_ML_BACKEND = 'wasm';
const quiet = () => undefined;
const cachedRows = async (key: string) => (await queryValue<number>('select count(*) from response_features where featurizer = ?', key))!;

describe('reward models on frozen GPT-2-checkpoint features (featurizer c)', async () => {
  const { projectId } = await createGeneratedProject({ prompts: 40 });
  let root: string;

  beforeAll(async () => {
    root = path.join(dataDir(), 'checkpoints');
    const texts = (await queryRows<{ content: string }>('select content from responses limit 300')).map((r) => r.content);
    const bpe = trainBpe(texts, 200);
    writeTinyCheckpoint(path.join(root, 'tiny-gpt2'), { vocab: bpe.vocabSize, d: 32, layers: 2, heads: 4, positions: 128, tokenizerJson: bpeToTokenizerJson(bpe) });
    process.env.ARBITER_CHECKPOINTS_DIR = root;
    resetEnvCache();
  });

  it('refuses a checkpoint that is not configured, by name, before queueing anything', async () => {
    await expect(startRewardModelTraining(CLI_ACTOR, projectId, { kind: 'bt', featurizer: 'checkpoint' })).rejects.toThrow(/needs a checkpoint name/);
    await expect(startRewardModelTraining(CLI_ACTOR, projectId, { kind: 'bt', featurizer: 'checkpoint', checkpoint: '../tiny-gpt2' })).rejects.toThrow(/unknown checkpoint "..\/tiny-gpt2"; available: tiny-gpt2/);
    await expect(startRewardModelTraining(CLI_ACTOR, projectId, { kind: 'bt', checkpoint: 'tiny-gpt2' })).rejects.toThrow(/only with featurizer checkpoint/);
    expect(await queryValue("select count(*) from jobs where kind = 'train-reward-model'")).toBe(0);
  });

  it('fits BT and GPM on the cached hidden states, scores through the checkpoint, and notices a changed checkpoint', async () => {
    const { model } = await startRewardModelTraining(CLI_ACTOR, projectId, { kind: 'bt', featurizer: 'checkpoint', checkpoint: 'tiny-gpt2', epochs: 20 });
    expect((await runOnce({ workerId: 'ckpt', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const done = await getRewardModel(CLI_ACTOR, model.id);
    const metrics = done.metrics as { featurizer: string; evaluation: { accuracy: number; decisive: number }; baseline: { accuracy: number }; counts: { responses: number } };
    expect(done.status).toBe('ready');
    expect(metrics.featurizer).toMatch(/^checkpoint:tiny-gpt2:[0-9a-f]{16}:mean-last-surface:128:64$/);
    expect(metrics.evaluation.decisive).toBeGreaterThan(10);
    expect(metrics.evaluation.accuracy).toBeGreaterThan(0.7);
    // Every response's features are cached under the checkpoint's fingerprint; a second fit computes none.
    expect(await cachedRows(metrics.featurizer)).toBe(metrics.counts.responses);
    const files = await readRewardModelFiles(done);
    expect(files.manifest).toMatchObject({ format: 'arbiter-reward-model/1', dims: 102, promptBlock: [64, 96], featurizer: { kind: 'checkpoint', name: 'tiny-gpt2', nEmbd: 32, fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect((files.manifest as { inputNorm: { mean: number[]; std: number[] } }).inputNorm.std).toHaveLength(102);
    const gpm = await startRewardModelTraining(CLI_ACTOR, projectId, { kind: 'gpm', featurizer: 'checkpoint', checkpoint: 'tiny-gpt2', epochs: 5 });
    expect((await runOnce({ workerId: 'ckpt', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    expect((await getRewardModel(CLI_ACTOR, gpm.model.id)).status).toBe('ready');
    expect(await cachedRows(metrics.featurizer)).toBe(metrics.counts.responses);

    const { scoreWithSavedModel } = await import('@/lib/ml/load-model');
    const pair = { line: 1, record: { prompt: 'Explain recursion.', chosen: 'Recursion is when a function calls itself on a smaller input.', rejected: 'No.' } };
    const report = await scoreWithSavedModel(files, [pair], { backend: mlBackendOptions(), resolveCheckpoint: (name) => resolveCheckpoint(name) });
    expect(report.rows[0]).toMatchObject({ kind: 'pair', p: expect.any(Number) });
    await expect(scoreWithSavedModel(files, [pair], { backend: mlBackendOptions() })).rejects.toThrow(/no checkpoint directory was given/);
    // The admin replaces the checkpoint's weights: the saved model's features no longer mean the same thing.
    const weightsFile = path.join(root, 'tiny-gpt2', 'model.safetensors');
    const bytes = fs.readFileSync(weightsFile);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    fs.writeFileSync(weightsFile, bytes);
    await expect(scoreWithSavedModel(files, [pair], { backend: mlBackendOptions(), resolveCheckpoint: (name) => resolveCheckpoint(name) })).rejects.toThrow(/checkpoint tiny-gpt2 has changed/);
  }, 120_000);
});
