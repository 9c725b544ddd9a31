/**
 * train-reward-model: features (cached per response) → fit → held-out evaluation → files + metrics.
 * Checkpoints after every epoch (weights so far, in the artifact store under this attempt's prefix, named
 * in the checkpoint value); a retried job resumes from the files of the checkpoint it resumes.
 * tfjs is loaded here, on first use, so other job kinds never pay for it.
 */
import { loadFeatures, loadTrainingData, openItemsForScoring, setItemPriorities, splitTrainingData } from '@/db/queries/reward-data';
import { getProjectSettings } from '@/db/queries/projects';
import { getRewardModelForJob, markRewardModelFailed } from '@/db/queries/reward-models';
import { projectExists } from '@/db/queries/stats';
import type { JobPayload } from '@/lib/jobs/registry';
import { resolveCheckpoint } from '@/lib/checkpoints';
import { isAppError } from '@/lib/errors';
import { fitStandardization, hashedNgramFeaturizer, standardize, type Featurizer, type InputStandardization } from '@/lib/ml/features/featurizer';
import { DEFAULT_HASHED_NGRAMS } from '@/lib/ml/features/hashed-ngrams';
import type { JobContext } from '../types';
import { mlBackendOptions } from '@/lib/env';
import { publishRewardModel, rewardModelCheckpointFiles } from './reward-model-artifacts';

/** `files`: the checkpoint's files in the artifact store (checkpoint.json, checkpoint.bin), by name. */
type Checkpoint = { member: number; epoch: number; step: number; files?: Record<string, string> };
const isCheckpoint = (v: unknown): v is Checkpoint => typeof v === 'object' && v !== null && 'member' in v && 'epoch' in v;

export async function handleTrainRewardModel(payload: JobPayload<'train-reward-model'>, ctx: JobContext) {
  if (!(await projectExists(payload.projectId))) throw new Error(`project ${payload.projectId} does not exist`);
  await getRewardModelForJob(payload.modelId);
  try {
    return await train(payload, ctx);
  } catch (error) {
    // The last attempt's failure is the model's; earlier ones are retried.
    if (ctx.job.attempts >= ctx.job.maxAttempts && !ctx.signal.aborted) await ctx.fenced(() => markRewardModelFailed(payload.modelId, error instanceof Error ? error.message : String(error)));
    throw error;
  }
}

async function train(payload: JobPayload<'train-reward-model'>, ctx: JobContext) {
  const { initBackend } = await import('@/lib/ml/backend');
  const backend = await initBackend(mlBackendOptions());
  ctx.log(`TensorFlow.js backend: ${backend.backend}`);
  const featurizer = await openFeaturizer(payload);
  try {
    return await trainWith(featurizer, payload, ctx, backend);
  } finally {
    featurizer.dispose();
  }
}

/**
 * The payload's featurizer: hashed n-grams, or a checkpoint's frozen hidden states (loaded here, freed
 * after). The models trained end to end (transformer, fine-tune) read text, not these features; the hashed
 * ones then serve the data's loading and the longer-wins baseline.
 */
async function openFeaturizer(payload: JobPayload<'train-reward-model'>): Promise<Featurizer> {
  if (payload.featurizer !== 'checkpoint') return hashedNgramFeaturizer({ ...DEFAULT_HASHED_NGRAMS, ...(payload.featureDims ? { dims: payload.featureDims } : {}) });
  if (!payload.checkpoint) throw new Error('the checkpoint featurizer needs a checkpoint name');
  const { checkpointFeaturesConfig, openCheckpointFeaturizer } = await import('@/lib/ml/features/checkpoint-states');
  const dir = resolveCheckpoint(payload.checkpoint);
  return openCheckpointFeaturizer(checkpointFeaturesConfig(payload.checkpoint, dir), dir);
}

async function trainWith(featurizer: Featurizer, payload: JobPayload<'train-reward-model'>, ctx: JobContext, backend: { backend: string }) {
  const { tf } = await import('@/lib/ml/backend');
  const { DEFAULT_CONFIG } = await import('@/lib/ml/reward-model');
  const { fitRewardModel } = await import('@/lib/ml/fit');
  const { serializeModel } = await import('@/lib/ml/model-io');
  const { evaluateModel } = await import('@/lib/ml/model-evaluation');
  await ctx.reportProgress(0.02, `Featurizing responses (${featurizer.key})`);
  const data = await loadTrainingData(payload.projectId, featurizer);
  ctx.log(`features: ${data.featuresCached} cached, ${data.featuresComputed} computed`);
  const { kind, testShare, modelId, projectId: _project, featureDims: _dims, featurizer: _featurizer, checkpoint: _checkpoint, maxLength: _maxLength, loraRank: _rank, loraAlpha: _alpha, loraTargets: _targets, ...overrides } = payload;
  const config = { ...DEFAULT_CONFIG, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)), kind, attributes: kind === 'regression' ? data.attributes : [] };
  if (kind === 'regression' && data.attributes.length === 0) throw new Error('the project has no attribute ratings to regress on');
  // The models trained end to end score single responses: rankings enter as their implied pairs.
  const endToEnd = payload.featurizer === 'transformer' || payload.featurizer === 'fine-tune';
  const split = splitTrainingData(data, { testShare, seed: config.seed, rankings: endToEnd ? 'pairs' : config.rankings });
  if (split.train.pairs.length + split.train.rankings.length + split.train.ratings.length === 0) throw new Error('nothing to train on after the held-out split');
  // Dense frozen states are far from centred: standardise every column on the training responses (kept with the model).
  let inputNorm: InputStandardization | undefined;
  if (featurizer.config.kind === 'checkpoint') {
    const used = [...new Set(split.fittedPairs.flatMap((p) => [p.a, p.b]))].map((r) => data.features[r]!);
    inputNorm = fitStandardization(used, data.dims);
    data.features = data.features.map((v) => standardize(v, inputNorm!));
    split.train.features = data.features;
  }
  if (payload.featurizer === 'fine-tune') {
    const { trainLmRewardModel } = await import('./train-lm-reward-model');
    return trainLmRewardModel(payload, data, split, backend.backend, ctx);
  }
  if (payload.featurizer === 'transformer') {
    const { trainEncoderModel } = await import('./train-encoder');
    return trainEncoderModel(modelId, data, split, { epochs: payload.epochs, seed: config.seed, learningRate: payload.learningRate }, backend.backend, ctx);
  }

  const checkpointFiles = rewardModelCheckpointFiles(modelId, ctx);
  let resumed = isCheckpoint(ctx.checkpoint) && checkpointFiles.has('checkpoint.json') && checkpointFiles.has('checkpoint.bin') ? ctx.checkpoint : null;
  let resume;
  if (resumed) {
    try {
      const manifest = JSON.parse((await checkpointFiles.read('checkpoint.json')).toString('utf8')) as { tensors: { name: string; shape: number[]; offset: number; length: number }[] };
      const bytes = await checkpointFiles.read('checkpoint.bin');
      const weights = new Map(manifest.tensors.map((t) => [t.name, tf.tensor(new Float32Array(bytes.buffer.slice(bytes.byteOffset + t.offset, bytes.byteOffset + t.offset + t.length * 4)), t.shape)]));
      resume = { weights, member: resumed.member, epoch: resumed.epoch };
      ctx.log(`resuming at member ${resumed.member + 1}, after epoch ${resumed.epoch}`);
    } catch (error) {
      if (!isAppError(error, 'not-found')) throw error;
      ctx.log(`the checkpoint's files are gone from the artifact store (${error.message}); training from the start`);
      resumed = null;
    }
  }
  // A checkpoint that cannot be resumed (its files gone, or saved before checkpoints named their files): the
  // run starts over, and the steps an earlier attempt logged go, so each step appears once.
  if (!resumed && ctx.checkpoint !== null) await ctx.discardMetricsAfter(0);
  const members = kind === 'ensemble' ? config.members : 1;
  let step = resumed?.step ?? 0;
  const started = performance.now();
  let examples = 0;
  let done = resumed ? resumed.member * config.epochs + resumed.epoch : 0;
  const testA = split.testPairs.map((p) => data.features[p.a]!);
  const testB = split.testPairs.map((p) => data.features[p.b]!);
  const decisive = split.testPairs.map((p) => !p.tie);
  const model = await fitRewardModel(split.train, config, {
    signal: ctx.signal,
    resume,
    parallel: members > 1 && config.parallelMembers ? (await import('@/lib/threads/ml-pool')).trainMembersInThreads : undefined,
    onEpoch: async (r) => {
      if (!r.memberDone) {
        step++;
        examples += r.examples;
        const values: Record<string, number> = { loss: r.loss, member: r.member, epoch: r.epoch, examples_per_second: r.examples / Math.max(r.seconds, 1e-6) };
        // Held-out accuracy of the member just trained, for the live curve (bounded cost; sequential fits only).
        if (r.checkpointable && testA.length && testA.length <= 20_000 && kind !== 'gpm') {
          const rewards = r.model.memberRewards([...testA, ...testB]).at(-1)!;
          let ok = 0;
          let n = 0;
          decisive.forEach((d, i) => {
            if (!d) return;
            n++;
            if (rewards[i]! > rewards[testA.length + i]!) ok++;
          });
          if (n) values.test_accuracy = ok / n;
        } else if (r.checkpointable && testA.length && testA.length <= 20_000) {
          const p = r.model.preferences(testA, testB);
          const n = decisive.filter(Boolean).length;
          if (n) values.test_accuracy = p.filter((x, i) => decisive[i] && x > 0.5).length / n;
        }
        await ctx.addMetrics(step, values);
        done++;
        await ctx.reportProgress(0.05 + (0.85 * done) / (members * config.epochs), `member ${r.member + 1}/${members}, epoch ${r.epoch}/${config.epochs}: loss ${r.loss.toFixed(4)}${values.test_accuracy !== undefined ? `, held-out accuracy ${(values.test_accuracy * 100).toFixed(1)}%` : ''}`);
      }
      if (!r.checkpointable) return;
      const { manifest, weights } = serializeModel(r.model, featurizer.config);
      // Fresh keys each time: the stored checkpoint's files stay whole until the one naming the new ones is stored.
      await checkpointFiles.put('checkpoint.bin', weights);
      await checkpointFiles.put('checkpoint.json', JSON.stringify({ tensors: manifest.tensors }));
      await ctx.saveCheckpoint({ member: r.member, epoch: r.epoch, step, files: checkpointFiles.files() } satisfies Checkpoint);
      await checkpointFiles.saved();
    },
  });
  const trainSeconds = (performance.now() - started) / 1000;
  await ctx.reportProgress(0.92, 'Evaluating on held-out prompts');
  const evaluation = evaluateModel(model, data, split.trainPairs, split.testPairs, split.fittedPairs);
  const metrics = {
    ...evaluation,
    backend: backend.backend,
    trainSeconds: +trainSeconds.toFixed(2),
    examplesPerSecond: Math.round(examples / Math.max(trainSeconds, 1e-6)),
    counts: { responses: data.responseIds.length, trainPairs: split.train.pairs.length, trainRankings: split.train.rankings.length, trainRatings: split.train.ratings.length, testPairs: split.testPairs.length },
    featurizer: data.featurizerKey,
    attributes: config.attributes,
  };
  // Active learning: the project asked for this kind of uncertainty → open items are re-prioritised.
  const rule = (await getProjectSettings(payload.projectId)).activeLearning;
  let priorities: { id: number; priority: number }[] | null = null;
  if ((rule === 'ensemble-disagreement' && kind === 'ensemble') || (rule === 'gpm-uncertainty' && kind === 'gpm')) {
    await ctx.reportProgress(0.95, 'Ranking open items by uncertainty (active learning)');
    const { itemUncertainty } = await import('@/lib/ml/active-learning');
    const open = await openItemsForScoring(payload.projectId);
    const ids = [...new Set(open.flatMap((i) => i.responseIds))];
    const { features } = await loadFeatures(ids, featurizer);
    const rowOf = new Map(ids.map((id, i) => [id, inputNorm ? standardize(features[i]!, inputNorm) : features[i]!]));
    priorities = itemUncertainty(model, rule, open.map((i) => ({ id: i.id, rows: i.responseIds.map((r) => rowOf.get(r)!) })));
  }
  const prioritised = priorities?.length ?? 0;
  // The priorities and the ready model are published together, by the job's current owner only.
  await publishRewardModel(
    ctx,
    modelId,
    serializeModel(model, featurizer.config, { evaluation: evaluation.evaluation }, inputNorm),
    { metrics: { ...metrics, activeLearning: rule === 'off' ? null : { rule, prioritised } }, backend: backend.backend },
    async () => {
      if (priorities) await setItemPriorities(payload.projectId, priorities);
    },
  );
  if (priorities) ctx.log(`active learning: ${prioritised} open items re-prioritised by ${rule}`);
  model.dispose();
  resume?.weights.forEach((t) => t.dispose());
  const e = evaluation.evaluation;
  await ctx.reportProgress(1, `held-out accuracy ${e.accuracy === null ? 'n/a' : `${(e.accuracy * 100).toFixed(1)}%`} on ${e.decisive} pairs (longer-wins baseline ${evaluation.baseline.accuracy === null ? 'n/a' : `${(evaluation.baseline.accuracy * 100).toFixed(1)}%`})`);
  return { modelId, evaluation: e, baseline: evaluation.baseline, backend: backend.backend };
}

