/**
 * The fine-tune branch of train-reward-model: a local checkpoint (GPT-2 or Llama family) with a scalar head,
 * fine-tuned end to end on the project's pairs (rankings enter as their implied pairs), in full or through
 * LoRA adapters (lib/ml/lm/reward-model.ts). Rows are the checkpoint's chat format of the prompt and the
 * response; their token ids are cached per response under the tokenizer files' hash. After every epoch
 * the trained tensors and Adam's state go to the artifact store (this attempt's checkpoint files); a
 * retried job resumes from them. The model is stored as a transformers sequence-classification checkpoint
 * (`hf/`) and, for LoRA runs, as the PEFT adapter of its base (`adapter/`), beside model.json.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCachedPerResponse, type LabelledPair, type ProjectTrainingData } from '@/db/queries/reward-data';
import { resolveCheckpoint } from '@/lib/checkpoints';
import type { JobPayload } from '@/lib/jobs/registry';
import { DEFAULT_CONFIG } from '@/lib/ml/reward-model';
import type { JobContext } from '../types';
import { publishRewardModel, putTrainCheckpoint, readTrainCheckpoint, rewardModelCheckpointFiles } from './reward-model-artifacts';

/** Defaults of a fine-tune (the rest are every reward model's: lib/ml/reward-model.ts DEFAULT_CONFIG). */
export const FINE_TUNE_DEFAULTS = { epochs: 1, batchSize: 4, maxLength: 512, learningRate: 1e-5, loraLearningRate: 1e-4 };

type LmCheckpoint = { kind: 'lm'; epoch: number; step: number; files?: Record<string, string> };
const isLmCheckpoint = (v: unknown): v is LmCheckpoint => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'lm';

/** SHA-256 of the files a row's token ids depend on: the tokenizer, its config and chat template. */
function tokenizerHash(dir: string): string {
  const hash = crypto.createHash('sha256');
  for (const name of ['tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja', 'config.json']) {
    const file = path.join(dir, name);
    hash.update(`${name}\0`);
    if (fs.existsSync(file)) hash.update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

export async function trainLmRewardModel(
  payload: JobPayload<'train-reward-model'>,
  data: ProjectTrainingData,
  split: { trainPairs: LabelledPair[]; testPairs: LabelledPair[]; fittedPairs: LabelledPair[] },
  backend: string,
  ctx: JobContext,
) {
  const { loadCheckpoint, readTokenizerFiles } = await import('@/lib/ml/lm/checkpoint');
  const { fullTuningMemoryProblem } = await import('@/lib/ml/lm/causal-lm');
  const { Llama } = await import('@/lib/ml/llama/model');
  const { fitLmRewardModel, LmRewardModel, rewardRowIds } = await import('@/lib/ml/lm/reward-model');
  const { saveRewardAdapter, saveSequenceClassifier } = await import('@/lib/ml/lm/sequence-classifier');
  const { LM_REWARD_FORMAT, TokenRowScorer } = await import('@/lib/ml/load-model');
  const { evaluateModel } = await import('@/lib/ml/model-evaluation');
  const name = payload.checkpoint!;
  const baseDir = resolveCheckpoint(name);
  const lora = payload.loraRank > 0;
  const settings = {
    epochs: payload.epochs ?? FINE_TUNE_DEFAULTS.epochs,
    batchSize: payload.batchSize ?? FINE_TUNE_DEFAULTS.batchSize,
    learningRate: payload.learningRate ?? (lora ? FINE_TUNE_DEFAULTS.loraLearningRate : FINE_TUNE_DEFAULTS.learningRate),
    useMargin: payload.useMargin ?? DEFAULT_CONFIG.useMargin,
    labelSmoothing: payload.labelSmoothing ?? DEFAULT_CONFIG.labelSmoothing,
    centering: payload.centering ?? DEFAULT_CONFIG.centering,
    ties: payload.ties ?? DEFAULT_CONFIG.ties,
    seed: payload.seed ?? DEFAULT_CONFIG.seed,
  };

  await ctx.reportProgress(0.03, `Loading checkpoint ${name}`);
  const loaded = loadCheckpoint(baseDir, { trainable: !lora });
  const { tokenizer, chat } = loaded;
  const padId = tokenizer.padId ?? tokenizer.eosId;
  const model = new LmRewardModel(loaded.model, padId, { seed: settings.seed });
  try {
    if (lora) {
      if (!(model.lm instanceof Llama)) throw new Error(`LoRA needs a Llama-family checkpoint; ${name} is a ${model.lm.spec.family} model`);
      model.lm.attachLora({ rank: payload.loraRank, alpha: payload.loraAlpha, targets: payload.loraTargets, seed: settings.seed });
    }
    const trainable = model.trainableVariables().reduce((n, v) => n + v.size, 0);
    ctx.log(`${model.lm.spec.family} checkpoint ${name}: ${model.lm.parameterCount.toLocaleString('en-US')} parameters, ${trainable.toLocaleString('en-US')} train${lora ? ` (LoRA r ${payload.loraRank}, alpha ${payload.loraAlpha} on ${payload.loraTargets.join(', ')}, and the head)` : ''}`);
    const memory = fullTuningMemoryProblem(model.lm.parameterCount, lora, backend);
    if (memory) throw new Error(memory);
    const maxLength = Math.min(payload.maxLength ?? FINE_TUNE_DEFAULTS.maxLength, model.lm.contextLength);
    ctx.log(`rows: ${chat.kind === 'template' ? "the checkpoint's chat template" : 'the plain "User: … Assistant:" format'}, at most ${maxLength} tokens`);

    const { values: rows, computed } = await loadCachedPerResponse(data.responseIds, `lm-reward-tokens:${tokenizerHash(baseDir)}:${maxLength}`, {
      compute: (texts) => texts.map((t) => rewardRowIds(chat, t.messages ?? [{ role: 'user', content: t.prompt }], t.response, maxLength)),
      pack: (ids) => Buffer.from(Int32Array.from(ids).buffer),
      unpack: (bytes) => Array.from(new Int32Array(Uint8Array.from(bytes).buffer)),
    });
    ctx.log(`token ids: ${data.responseIds.length - computed} cached, ${computed} computed`);

    const fitted = split.fittedPairs;
    const checkpointFiles = rewardModelCheckpointFiles(payload.modelId, ctx);
    const saved = isLmCheckpoint(ctx.checkpoint) ? await readTrainCheckpoint(checkpointFiles, ctx) : null;
    if (!saved && ctx.checkpoint !== null) await ctx.discardMetricsAfter(0);
    // The Davidson head exists before a resumed fit restores it, so the tensors line up.
    if (saved?.extra.davidson === true) {
      const { tf } = await import('@/lib/ml/backend');
      model.logNu = tf.variable(tf.scalar(0), true);
    }
    const resume = saved && isLmCheckpoint(ctx.checkpoint) ? { epoch: ctx.checkpoint.epoch, weights: saved.weights.map((w) => w.data), optimizer: saved.optimizer } : undefined;
    if (resume) ctx.log(`resuming after epoch ${resume.epoch}`);
    let step = resume && isLmCheckpoint(ctx.checkpoint) ? ctx.checkpoint.step : 0;
    const started = performance.now();
    await fitLmRewardModel(model, { a: fitted.map((p) => rows[p.a]!), b: fitted.map((p) => rows[p.b]!), tie: fitted.map((p) => p.tie), margin: fitted.map((p) => p.margin) }, settings, {
      signal: ctx.signal,
      resume,
      onEpoch: async (r) => {
        await ctx.addMetrics(++step, { loss: r.loss, epoch: r.epoch, examples_per_second: r.pairsPerSecond });
        const vars = model.trainableVariables();
        const optimizer = await r.optimizerState();
        await putTrainCheckpoint(checkpointFiles, { weights: vars.map((v) => ({ shape: v.shape, data: v.dataSync() as Float32Array })), optimizer }, { davidson: model.logNu !== null });
        await ctx.saveCheckpoint({ kind: 'lm', epoch: r.epoch, step, files: checkpointFiles.files() } satisfies LmCheckpoint);
        await checkpointFiles.saved();
        await ctx.reportProgress(0.1 + (0.75 * r.epoch) / settings.epochs, `epoch ${r.epoch}/${settings.epochs}: loss ${r.loss.toFixed(4)} (${r.pairsPerSecond.toFixed(2)} pairs/s)`);
      },
    });
    const trainSeconds = (performance.now() - started) / 1000;

    await ctx.reportProgress(0.88, 'Evaluating on held-out prompts');
    const scorer = new TokenRowScorer(model, 8);
    const evaluation = evaluateModel(scorer, { features: rows, lengths: data.lengths }, split.trainPairs, split.testPairs, fitted);
    const ties = fitted.filter((p) => p.tie).length;
    const metrics = {
      ...evaluation,
      backend,
      trainSeconds: +trainSeconds.toFixed(2),
      examplesPerSecond: +((fitted.length * settings.epochs) / Math.max(trainSeconds, 1e-6)).toFixed(3),
      counts: { responses: data.responseIds.length, trainPairs: fitted.length - ties, trainTies: ties, trainRankings: 0, trainRatings: 0, testPairs: split.testPairs.length },
      featurizer: `fine-tune:${name}${lora ? `:lora-r${payload.loraRank}` : ''}`,
      family: model.lm.spec.family,
      parameters: model.lm.parameterCount,
      ...(lora ? { lora: { rank: payload.loraRank, alpha: payload.loraAlpha, targets: payload.loraTargets, trainableParameters: trainable } } : {}),
      chatFormat: chat.kind,
      maxLength,
      settings,
      attributes: [],
    };

    await ctx.reportProgress(0.94, 'Storing the model');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-lm-rm-'));
    try {
      saveSequenceClassifier(path.join(dir, 'hf'), model, readTokenizerFiles(baseDir));
      if (lora) saveRewardAdapter(path.join(dir, 'adapter'), model, name);
      const manifest = {
        format: LM_REWARD_FORMAT,
        kind: 'bt',
        featurizer: 'fine-tune',
        checkpoint: name,
        family: model.lm.spec.family,
        maxLength,
        lora: lora ? { rank: payload.loraRank, alpha: payload.loraAlpha, targets: payload.loraTargets } : null,
        info: { evaluation: evaluation.evaluation },
      };
      await publishRewardModel(ctx, payload.modelId, { manifest, dir }, { metrics, backend });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const e = evaluation.evaluation;
    await ctx.reportProgress(1, `held-out accuracy ${e.accuracy === null ? 'n/a' : `${(e.accuracy * 100).toFixed(1)}%`} on ${e.decisive} pairs (longer-wins baseline ${evaluation.baseline.accuracy === null ? 'n/a' : `${(evaluation.baseline.accuracy * 100).toFixed(1)}%`})`);
    return { modelId: payload.modelId, evaluation: e, baseline: evaluation.baseline, backend };
  } finally {
    model.dispose();
  }
}
