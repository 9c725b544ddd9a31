/**
 * The transformer-encoder branch of train-reward-model (featurizer b): a BPE tokenizer learned on the
 * training responses, token ids per response (cached in `response_features` under the tokenizer's hash),
 * the encoder and its BT head trained end to end on decisive pairs and ties (rankings enter as their
 * implied pairs), then the same held-out evaluation as every reward model. After every epoch the weights,
 * Adam's state and the tokenizer are written beside the model; a retried job resumes from there.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadCachedPerResponse, responseTexts, type LabelledPair, type ProjectTrainingData } from '@/db/queries/reward-data';
import { checkpointFile, modelDirectory, saveRewardModelFiles } from '@/db/queries/reward-models';
import type { EncoderResume } from '@/lib/ml/encoder';
import type { BpeModel } from '@/lib/ml/tokenizer/bpe';
import type { JobContext } from '../types';

const MERGES = 800;
const PROMPT_TOKENS = 32;

type EncoderCheckpoint = { kind: 'encoder'; epoch: number; step: number };
type CheckpointManifest = { tokenizer: BpeModel; tensors: { name: string; shape: number[]; offset: number; length: number }[] };
const isEncoderCheckpoint = (v: unknown): v is EncoderCheckpoint => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'encoder';
const checkpointBin = (modelId: number) => path.join(modelDirectory(modelId), 'checkpoint.bin');

function writeCheckpoint(modelId: number, tokenizer: BpeModel, weights: Float32Array[], optimizer: EncoderResume['optimizer'], shapes: number[][]) {
  const tensors: CheckpointManifest['tensors'] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  const add = (name: string, data: Float32Array, shape: number[]) => {
    tensors.push({ name, shape, offset, length: data.length });
    chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    offset += data.byteLength;
  };
  weights.forEach((w, i) => add(`w${i}`, w, shapes[i]!));
  optimizer.forEach((o) => add(`adam:${o.name}`, o.data, o.shape));
  fs.mkdirSync(modelDirectory(modelId), { recursive: true });
  // Each file is replaced whole (write, then rename). The layout is the same every epoch, so a crash between
  // the two renames leaves a readable pair; the job's recorded epoch may then lag the weights by one.
  fs.writeFileSync(`${checkpointBin(modelId)}.tmp`, Buffer.concat(chunks));
  fs.renameSync(`${checkpointBin(modelId)}.tmp`, checkpointBin(modelId));
  fs.writeFileSync(`${checkpointFile(modelId)}.tmp`, JSON.stringify({ tokenizer, tensors } satisfies CheckpointManifest));
  fs.renameSync(`${checkpointFile(modelId)}.tmp`, checkpointFile(modelId));
}

function readCheckpoint(modelId: number, epoch: number): { tokenizer: BpeModel; resume: EncoderResume } | null {
  if (!fs.existsSync(checkpointFile(modelId)) || !fs.existsSync(checkpointBin(modelId))) return null;
  const manifest = JSON.parse(fs.readFileSync(checkpointFile(modelId), 'utf8')) as CheckpointManifest;
  const bytes = fs.readFileSync(checkpointBin(modelId));
  const read = (t: CheckpointManifest['tensors'][number]) => {
    const copy = new Float32Array(t.length);
    new Uint8Array(copy.buffer).set(bytes.subarray(t.offset, t.offset + t.length * 4));
    return copy;
  };
  return {
    tokenizer: manifest.tokenizer,
    resume: {
      epoch,
      weights: manifest.tensors.filter((t) => !t.name.startsWith('adam:')).map(read),
      optimizer: manifest.tensors.filter((t) => t.name.startsWith('adam:')).map((t) => ({ name: t.name.slice(5), data: read(t), shape: t.shape })),
    },
  };
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
  const { encodeRow, EncoderScorer, serializeEncoder } = await import('@/lib/ml/load-model');
  const { evaluateModel } = await import('@/lib/ml/model-evaluation');
  const trainRows = [...new Set(split.fittedPairs.flatMap((p) => [p.a, p.b]))];
  const saved = isEncoderCheckpoint(ctx.checkpoint) ? readCheckpoint(modelId, ctx.checkpoint.epoch) : null;
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
      writeCheckpoint(modelId, tok.model, vars.map((v) => v.dataSync() as Float32Array), await r.optimizerState(), vars.map((v) => v.shape));
      await ctx.saveCheckpoint({ kind: 'encoder', epoch: r.epoch, step } satisfies EncoderCheckpoint);
      await ctx.reportProgress(0.1 + (0.8 * r.epoch) / config.epochs, `epoch ${r.epoch}/${config.epochs}: loss ${r.loss.toFixed(4)} (${r.pairsPerSecond.toFixed(0)} pairs/s)`);
    },
  });
  const trainSeconds = (performance.now() - started) / 1000;
  await ctx.reportProgress(0.92, 'Evaluating on held-out prompts');
  const scorer = new EncoderScorer(model);
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
  await saveRewardModelFiles(modelId, serializeEncoder(model, tok, PROMPT_TOKENS, { evaluation: evaluation.evaluation }), { metrics, backend });
  fs.rmSync(checkpointBin(modelId), { force: true });
  fs.rmSync(checkpointFile(modelId), { force: true });
  model.dispose();
  const e = evaluation.evaluation;
  await ctx.reportProgress(1, `held-out accuracy ${e.accuracy === null ? 'n/a' : `${(e.accuracy * 100).toFixed(1)}%`} on ${e.decisive} pairs (longer-wins baseline ${evaluation.baseline.accuracy === null ? 'n/a' : `${(evaluation.baseline.accuracy * 100).toFixed(1)}%`})`);
  return { modelId, evaluation: e, baseline: evaluation.baseline, backend };
}
