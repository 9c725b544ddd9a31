import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getPolicy, localPolicyDir, startAlignment } from '@/db/queries/policies';
import { artifactStore } from '@/lib/artifacts';
import { startRewardModelTraining } from '@/db/queries/reward-models';
import { CLI_ACTOR } from '@/lib/auth/access';
import { resetEnvCache } from '@/lib/env';
import { trainBpe } from '@/lib/ml/tokenizer/bpe';
import { bpeToTokenizerJson } from '@/lib/ml/tokenizer/hf-tokenizer';
import { runOnce } from '@/workers/run-once';
import { createGeneratedProject } from '../../helpers/projects';
import { writeTinyCheckpoint } from '../../helpers/tiny-gpt';
import { queryRow, queryRows, queryValue } from '../../helpers/sql';

process.env.ARBITER_ML_BACKEND = 'wasm';
const quiet = () => undefined;
const small = { layers: 1, dModel: 32, heads: 2, contextLength: 64, sftEpochs: 2, epochs: 2, batchSize: 8, evalPrompts: 3, bestOfN: 2, maxNewTokens: 12 } as const;
const metricNames = async (jobId: number) => new Set((await queryRows<{ name: string }>('select distinct name from job_metrics where job_id = ?', jobId)).map((r) => r.name));
const steps = async (jobId: number) => (await queryRows<{ step: number }>("select step from job_metrics where job_id = ? and name = 'loss' order by id", jobId)).map((r) => r.step);

describe('align-policy job', async () => {
  const { projectId } = await createGeneratedProject({ prompts: 30 });
  let rewardModelId = 0;

  it('refuses bad settings before queueing anything', async () => {
    await expect(startAlignment(CLI_ACTOR, projectId, { loss: ['sigmoid', 'kto'] })).rejects.toThrow(/unpaired losses/);
    await expect(startAlignment(CLI_ACTOR, projectId, { loss: 'sigmoid', lossWeights: [1, 2] })).rejects.toThrow(/1 loss types but 2 loss weights/);
    await expect(startAlignment(CLI_ACTOR, projectId, { base: 'checkpoint:../../etc' })).rejects.toThrow(/base must be scratch/);
    await expect(startAlignment(CLI_ACTOR, projectId, { base: 'policy:999' })).rejects.toThrow(/policy 999 not found/);
    await expect(startAlignment(CLI_ACTOR, projectId, { rounds: 2 })).rejects.toThrow(/need rewardModelId/);
    const tiny = (await createGeneratedProject({ prompts: 2 })).projectId;
    await expect(startAlignment(CLI_ACTOR, tiny, {})).rejects.toThrow(/needs at least 10/);
    expect(await queryValue("select count(*) from jobs where kind = 'align-policy'")).toBe(0);
    const rm = await startRewardModelTraining(CLI_ACTOR, projectId, { kind: 'ensemble', members: 2, epochs: 3 });
    expect((await runOnce({ workerId: 'rm', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    rewardModelId = rm.model.id;
  }, 60_000);

  it('runs SFT then DPO, logs TRL metrics, judges samples with a reward model, and exports a GPT-2 checkpoint', async () => {
    // evalPrompts left at its default (64): a quarter of the prompts with pairs (under 30), 6 or 7, are held out and all judged.
    const { evalPrompts: _few, ...defaults } = small;
    const { policy, jobId } = await startAlignment(CLI_ACTOR, projectId, { ...defaults, loss: 'sigmoid', rewardModelId });
    expect((await runOnce({ workerId: 'align', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const done = await getPolicy(CLI_ACTOR, policy.id);
    expect(done.status).toBe('ready');
    expect([...(await metricNames(jobId))]).toEqual(expect.arrayContaining(['loss', 'rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies', 'logps/chosen', 'logps/rejected', 'kl', 'tokens_per_second']));
    const m = done.metrics as { samples: { prompt: string; reference: string; policy: string; rewardPolicy: number }[]; winRate: { winRate: number; prompts: number; interval: [number, number] }; bestOfN: { n: number; analyticKl: number; meanRewardOfBest: Record<string, number> }; parameters: number };
    expect(m.samples.length).toBeGreaterThanOrEqual(6);
    expect(m.winRate.prompts).toBe(m.samples.length);
    // Wilson's 95% interval around the rate: wide, as so few prompts warrant.
    expect(m.winRate.interval[0]).toBeLessThanOrEqual(m.winRate.winRate);
    expect(m.winRate.interval[1]).toBeGreaterThanOrEqual(m.winRate.winRate);
    expect(m.winRate.interval[1] - m.winRate.interval[0]).toBeGreaterThan(0.3);
    expect(m.samples[0]).toMatchObject({ prompt: expect.any(String), reference: expect.any(String), policy: expect.any(String), rewardPolicy: expect.any(Number) });
    expect(m.winRate.winRate).toBeGreaterThanOrEqual(0);
    expect(m.winRate.winRate).toBeLessThanOrEqual(1);
    expect(m.bestOfN).toMatchObject({ n: 2, analyticKl: +(Math.log(2) - 0.5).toFixed(4) });
    expect(Object.keys(m.bestOfN.meanRewardOfBest)).toEqual(['mean', 'worst-case', 'uncertainty-weighted']);
    // Published under the attempt's prefix, which the row names.
    expect(done.artifactPath).toBe(`models/${policy.id}/job${jobId}-a1/policy`);
    const dir = await localPolicyDir(done);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    const { loadCheckpoint } = await import('@/lib/ml/lm/checkpoint');
    const loaded = loadCheckpoint(dir);
    expect(loaded.model.parameterCount).toBe(m.parameters);
    loaded.model.dispose();
    // Training state is gone from the store once the run is done: the policy and its round's weights are left.
    const prefix = `models/${policy.id}/job${jobId}-a1`;
    expect((await artifactStore().list(`models/${policy.id}`)).map((e) => e.key).sort()).toEqual([
      ...['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => `${prefix}/policy/${f}`),
      `${prefix}/rounds/round-1.safetensors`,
    ]);
  }, 180_000);

  it('a stopped run resumes from its last epoch in another worker', async () => {
    const { policy, jobId } = await startAlignment(CLI_ACTOR, projectId, { ...small, loss: 'ipo', sftEpochs: 2, epochs: 3 });
    const shutdown = new AbortController();
    // Stop once the preference stage has logged a step (SFT done, its epoch checkpoints written).
    const timer = setInterval(() => void metricNames(jobId).then((names) => names.has('rewards/accuracies') && shutdown.abort()), 5);
    const first = await runOnce({ workerId: 'align-a', heartbeatMs: 100, log: quiet, shutdownSignal: shutdown.signal });
    clearInterval(timer);
    expect(first?.status).toBe('released');
    const logs: string[] = [];
    expect((await runOnce({ workerId: 'align-b', heartbeatMs: 100, log: (l) => logs.push(l) }))?.status).toBe('succeeded');
    expect(logs.some((l) => /resuming: (sft|preference) stage, round 1, after step \d+/.test(l))).toBe(true);
    // Every step ran exactly once overall: SFT was not repeated, and the redone steps replaced their first values.
    const counts = ((await getPolicy(CLI_ACTOR, policy.id)).metrics as { counts: { sftSequences: number; trainExamples: number } }).counts;
    const expected = 2 * Math.ceil(counts.sftSequences / 8) + 3 * Math.ceil(counts.trainExamples / 8);
    expect(await steps(jobId)).toEqual(Array.from({ length: expected }, (_, k) => k + 1));
    expect((await getPolicy(CLI_ACTOR, policy.id)).status).toBe('ready');
  }, 180_000);

  it('iterative rounds write each round back as a dataset version: judged by the reward model, or as items for annotators', async () => {
    const judged = await startAlignment(CLI_ACTOR, projectId, { ...small, loss: 'sppo', rewardModelId, rounds: 2, roundCandidates: 3, roundPrompts: 5, epochs: 1 });
    expect((await runOnce({ workerId: 'rounds', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const round = (await queryRow<{ n: number; src: string }>("select count(*) as n, min(label_source) as src from comparisons where group_id like ?", `round:${judged.policy.id}:2:%`))!;
    expect(round.n).toBeGreaterThan(0);
    expect(round.src).toBe('judge');
    const rounds = ((await getPolicy(CLI_ACTOR, judged.policy.id)).metrics as { rounds: { round: number; judge: string; comparisons?: number; checkpoint: string }[] }).rounds;
    const prefix = `models/${judged.policy.id}/job${judged.jobId}-a1`;
    expect(rounds).toEqual([expect.objectContaining({ round: 1, checkpoint: `${prefix}/rounds/round-1.safetensors` }), expect.objectContaining({ round: 2, judge: 'reward-model', comparisons: round.n, checkpoint: `${prefix}/rounds/round-2.safetensors` })]);
    // Each round's checkpoint is kept beside the policy: the dataset version and the weights it produced.
    for (const r of rounds) expect(await artifactStore().exists(r.checkpoint)).toBe(true);
    const itemsBefore = (await queryValue<number>('select count(*) from items where project_id = ?', projectId))!;
    const annotated = await startAlignment(CLI_ACTOR, projectId, { ...small, loss: 'sigmoid', rounds: 2, roundJudge: 'annotators', roundCandidates: 2, roundPrompts: 4, epochs: 1 });
    expect((await runOnce({ workerId: 'rounds', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const itemsAfter = (await queryValue<number>('select count(*) from items where project_id = ?', projectId))!;
    expect(itemsAfter).toBeGreaterThan(itemsBefore);
    expect(await queryValue('select count(*) from responses where system like ?', `policy-${annotated.policy.id}-round-2-%`)).toBeGreaterThan(0);
  }, 240_000);

  it('KTO learns from single samples: chosen and both-good are desirable, rejected and both-bad undesirable; NPO unlearns the undesirable ones', async () => {
    const ties = await queryRows<{ kind: string; n: number }>("select tie_kind as kind, count(*) as n from comparisons where project_id = ? and is_tie = true group by tie_kind", projectId);
    const kto = await startAlignment(CLI_ACTOR, projectId, { ...small, loss: 'kto', epochs: 1 });
    expect((await runOnce({ workerId: 'kto', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const m = (await getPolicy(CLI_ACTOR, kto.policy.id)).metrics as { counts: { pairs: number; trainExamples: number } };
    // Every training comparison gives two samples (a decisive pair: one of each kind; a tie: two of its kind).
    expect(m.counts.trainExamples % 2).toBe(0);
    expect((await metricNames(kto.jobId)).has('kl_reference_point')).toBe(true);
    expect((await metricNames(kto.jobId)).has('rewards/accuracies')).toBe(false);
    const npo = await startAlignment(CLI_ACTOR, projectId, { ...small, loss: 'npo', epochs: 1 });
    expect((await runOnce({ workerId: 'npo', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const n = ((await getPolicy(CLI_ACTOR, npo.policy.id)).metrics as { counts: { trainExamples: number } }).counts.trainExamples;
    // The forget set: one rejected response per decisive pair plus both sides of both-bad ties.
    const bothBad = ties.find((t) => t.kind === 'both_bad')?.n ?? 0;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(m.counts.trainExamples / 2 + 2 * bothBad + 1);
  }, 120_000);

  it('starts from a local GPT-2 checkpoint (by name) or from an earlier policy, keeping its architecture and tokenizer', async () => {
    const texts = (await queryRows<{ content: string }>('select content from responses limit 200')).map((r) => r.content);
    const bpe = trainBpe(texts, 120);
    const root = path.join(process.env.ARBITER_DATA_DIR!, 'align-checkpoints');
    writeTinyCheckpoint(path.join(root, 'tiny'), { vocab: bpe.vocabSize, d: 24, layers: 2, heads: 2, positions: 48, tokenizerJson: bpeToTokenizerJson(bpe) });
    process.env.ARBITER_CHECKPOINTS_DIR = root;
    resetEnvCache();
    try {
      const fromCheckpoint = await startAlignment(CLI_ACTOR, projectId, { ...small, base: 'checkpoint:tiny', loss: 'simpo', sftEpochs: 1, epochs: 1 });
      expect((await runOnce({ workerId: 'base', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
      const dir = await localPolicyDir(await getPolicy(CLI_ACTOR, fromCheckpoint.policy.id));
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toMatchObject({ n_embd: 24, n_layer: 2, n_positions: 48, vocab_size: bpe.vocabSize });
      expect(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')).toBe(fs.readFileSync(path.join(root, 'tiny', 'tokenizer.json'), 'utf8'));
      const fromPolicy = await startAlignment(CLI_ACTOR, projectId, { ...small, base: `policy:${fromCheckpoint.policy.id}`, loss: 'sigmoid', sftEpochs: 0, epochs: 1 });
      expect((await runOnce({ workerId: 'base', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
      expect(JSON.parse(fs.readFileSync(path.join(await localPolicyDir(await getPolicy(CLI_ACTOR, fromPolicy.policy.id)), 'config.json'), 'utf8'))).toMatchObject({ n_embd: 24, n_layer: 2 });
    } finally {
      delete process.env.ARBITER_CHECKPOINTS_DIR;
      resetEnvCache();
    }
  }, 120_000);
});
