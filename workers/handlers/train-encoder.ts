/**
 * The transformer-encoder branch of train-reward-model (featurizer b): a BPE tokenizer learned on the
 * training responses, token ids per response (cached in `response_features` under the tokenizer's hash),
 * the encoder and its BT head trained end to end on decisive pairs and ties (rankings enter as their
 * implied pairs), then the same held-out evaluation as every reward model. After every epoch the weights,
 * Adam's state and the tokenizer go to the artifact store (this attempt's checkpoint files, named in the
 * checkpoint value); a retried job resumes from the files of the checkpoint it resumes.
 */
import crypto from 'node:crypto';
import { loadCachedPerResponse, responseTexts, type LabelledPair, type ProjectTrainingData } from '@/db/queries/reward-data';
import type { CheckpointFiles } from '@/lib/artifacts/checkpoint-files';
import type { EncoderResume } from '@/lib/ml/encoder';
import type { BpeModel } from '@/lib/ml/tokenizer/bpe';
import type { JobContext } from '../types';
import { publishRewardModel, putTrainCheckpoint, readTrainCheckpoint, rewardModelCheckpointFiles } from './reward-model-artifacts';

const MERGES = 800;
const PROMPT_TOKENS = 32;

/** `files`: the checkpoint's files in the artifact store (checkpoint.json with the tokenizer, checkpoint.bin), by name. */
type EncoderCheckpoint = { kind: 'encoder'; epoch: number; step: number; files?: Record<string, string> };
const isEncoderCheckpoint = (v: unknown): v is EncoderCheckpoint => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'encoder';

/** The resumed checkpoint's tokenizer and training state; null when it names no files, or they are gone. */
async function readCheckpoint(files: CheckpointFiles, epoch: number, ctx: JobContext): Promise<{ tokenizer: BpeModel; resume: EncoderResume } | null> {
  const saved = await readTrainCheckpoint(files, ctx);
  if (!saved) return null;
  return { tokenizer: saved.extra.tokenizer as BpeModel, resume: { epoch, weights: saved.weights.map((w) => w.data), optimizer: saved.optimizer } };
}

export async function trainEncoderModel(
  modelId: number,
  data: ProjectTrainingData,
  split: { trainPairs: LabelledPair[]; testPairs: LabelledPair[]; fittedPairs: LabelledPair[] },
  options: { epochs?: number; seed: number; learningRate?: number },
  backend: string,
  ctx: JobContext,
) {
  const { DEFAULT_ENCODER, fitEncoderRewardModel } = await import('@/lib/ml/encoder');
  const { BpeTokenizer, trainBpe } = await import('@/lib/ml/tokenizer/bpe');
  const { encodeRow, TokenRowScorer, serializeEncoder } = await import('@/lib/ml/load-model');
  const { evaluateModel } = await import('@/lib/ml/model-evaluation');
  const trainRows = [...new Set(split.fittedPairs.flatMap((p) => [p.a, p.b]))];
  const checkpointFiles = rewardModelCheckpointFiles(modelId, ctx);
  const saved = isEncoderCheckpoint(ctx.checkpoint) ? await readCheckpoint(checkpointFiles, ctx.checkpoint.epoch, ctx) : null;
  // A checkpoint that cannot be resumed: the run starts over, without the steps an earlier attempt logged.
  if (!saved && ctx.checkpoint !== null) await ctx.discardMetricsAfter(0);
  let tok;
  if (saved) {
    tok = new BpeTokenizer(saved.tokenizer);
    ctx.log(`resuming the encoder after epoch ${saved.resume.epoch}`);
  } else {
    await ctx.reportProgress(0.05, 'Learning a BPE tokenizer');
    tok = trainBpe((await responseTexts(trainRows.slice(0, 5000).map((r) => data.responseIds[r]!))).map((t) => `${t.prompt}\n\n${t.response}`), MERGES);
  }
  const config = { ...DEFAULT_ENCODER, vocab: tok.vocabSize, seed: options.seed, epochs: options.epochs ?? DEFAULT_ENCODER.epochs, learningRate: options.learningRate ?? DEFAULT_ENCODER.learningRate };
  // Token ids per response, cached under the tokenizer's hash and the row layout.
  const tokKey = `bpe-tokens:${crypto.createHash('sha256').update(JSON.stringify(tok.model.merges)).digest('hex').slice(0, 16)}:${PROMPT_TOKENS}:${config.maxLen}`;
  const { values: tokens, computed } = await loadCachedPerResponse(data.responseIds, tokKey, {
    compute: (rows) => rows.map((r) => encodeRow(tok, r.prompt, r.response, PROMPT_TOKENS, config.maxLen)),
    pack: (ids) => Buffer.from(Int32Array.from(ids).buffer),
    unpack: (bytes) => Array.from(new Int32Array(Uint8Array.from(bytes).buffer)),
  });
  ctx.log(`token ids: ${data.responseIds.length - computed} cached, ${computed} computed`);
  const fitted = split.fittedPairs;
  if (!fitted.some((p) => !p.tie)) throw new Error('no decisive training pairs for the transformer encoder');
  const started = performance.now();
  let step = isEncoderCheckpoint(ctx.checkpoint) && saved ? ctx.checkpoint.step : 0;
  const model = await fitEncoderRewardModel({ a: fitted.map((p) => tokens[p.a]!), b: fitted.map((p) => tokens[p.b]!), tie: fitted.map((p) => p.tie) }, config, {
    signal: ctx.signal,
    resume: saved?.resume,
    onEpoch: async (r) => {
      await ctx.addMetrics(++step, { loss: r.loss, epoch: r.epoch, examples_per_second: r.pairsPerSecond });
      const vars = r.model.variables();
      const optimizer = await r.optimizerState();
      await putTrainCheckpoint(checkpointFiles, { weights: vars.map((v) => ({ shape: v.shape, data: v.dataSync() as Float32Array })), optimizer }, { tokenizer: tok.model });
      await ctx.saveCheckpoint({ kind: 'encoder', epoch: r.epoch, step, files: checkpointFiles.files() } satisfies EncoderCheckpoint);
      await checkpointFiles.saved();
      await ctx.reportProgress(0.1 + (0.8 * r.epoch) / config.epochs, `epoch ${r.epoch}/${config.epochs}: loss ${r.loss.toFixed(4)} (${r.pairsPerSecond.toFixed(0)} pairs/s)`);
    },
  });
  const trainSeconds = (performance.now() - started) / 1000;
  await ctx.reportProgress(0.92, 'Evaluating on held-out prompts');
  const scorer = new TokenRowScorer(model);
  const evaluation = evaluateModel(scorer, { features: tokens, lengths: data.lengths }, split.trainPairs, split.testPairs, split.fittedPairs);
  const ties = fitted.filter((p) => p.tie).length;
  const metrics = {
    ...evaluation,
    backend,
    trainSeconds: +trainSeconds.toFixed(2),
    examplesPerSecond: Math.round((fitted.length * config.epochs) / Math.max(trainSeconds, 1e-6)),
    counts: { responses: data.responseIds.length, trainPairs: fitted.length - ties, trainTies: ties, trainRankings: 0, trainRatings: 0, testPairs: split.testPairs.length },
    featurizer: `transformer:bpe-${tok.model.merges.length}:d${config.dModel}x${config.layers}`,
    attributes: [],
  };
  await publishRewardModel(ctx, modelId, serializeEncoder(model, tok, PROMPT_TOKENS, { evaluation: evaluation.evaluation }), { metrics, backend });
  model.dispose();
  const e = evaluation.evaluation;
  await ctx.reportProgress(1, `held-out accuracy ${e.accuracy === null ? 'n/a' : `${(e.accuracy * 100).toFixed(1)}%`} on ${e.decisive} pairs (longer-wins baseline ${evaluation.baseline.accuracy === null ? 'n/a' : `${(evaluation.baseline.accuracy * 100).toFixed(1)}%`})`);
  return { modelId, evaluation: e, baseline: evaluation.baseline, backend };
}
