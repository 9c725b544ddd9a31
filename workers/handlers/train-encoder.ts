/**
 * The transformer-encoder branch of train-reward-model (featurizer b): a BPE tokenizer learned on the
 * training responses, token ids per response, the encoder and its BT head trained end to end, then the
 * same held-out evaluation as every reward model. A retried job starts the fit again (no checkpoints).
 */
import { responseTexts, type LabelledPair, type ProjectTrainingData } from '@/db/queries/reward-data';
import { saveRewardModelFiles } from '@/db/queries/reward-models';
import type { JobContext } from '../types';

const MERGES = 800;
const PROMPT_TOKENS = 32;

export async function trainEncoderModel(
  modelId: number,
  data: ProjectTrainingData,
  split: { trainPairs: LabelledPair[]; testPairs: LabelledPair[]; fittedPairs: LabelledPair[] },
  options: { epochs?: number; seed: number; learningRate?: number },
  backend: string,
  ctx: JobContext,
) {
  const { DEFAULT_ENCODER, fitEncoderRewardModel } = await import('@/lib/ml/encoder');
  const { trainBpe } = await import('@/lib/ml/tokenizer/bpe');
  const { encodeRow, EncoderScorer, serializeEncoder } = await import('@/lib/ml/load-model');
  const { evaluateModel } = await import('@/lib/ml/model-evaluation');
  ctx.reportProgress(0.05, 'Learning a BPE tokenizer');
  const texts = responseTexts(data.responseIds);
  const trainRows = [...new Set(split.fittedPairs.flatMap((p) => [p.a, p.b]))];
  const tok = trainBpe(trainRows.slice(0, 5000).map((r) => `${texts[r]!.prompt}\n\n${texts[r]!.response}`), MERGES);
  const config = { ...DEFAULT_ENCODER, vocab: tok.vocabSize, seed: options.seed, epochs: options.epochs ?? DEFAULT_ENCODER.epochs, learningRate: options.learningRate ?? DEFAULT_ENCODER.learningRate };
  const tokens = texts.map((t) => encodeRow(tok, t.prompt, t.response, PROMPT_TOKENS, config.maxLen));
  const fitted = split.fittedPairs.filter((p) => !p.tie);
  if (fitted.length === 0) throw new Error('no decisive training pairs for the transformer encoder');
  const started = performance.now();
  let step = 0;
  const model = await fitEncoderRewardModel({ a: fitted.map((p) => tokens[p.a]!), b: fitted.map((p) => tokens[p.b]!) }, config, {
    signal: ctx.signal,
    onEpoch: (r) => {
      ctx.addMetrics(++step, { loss: r.loss, epoch: r.epoch, examples_per_second: r.pairsPerSecond });
      ctx.reportProgress(0.1 + (0.8 * r.epoch) / config.epochs, `epoch ${r.epoch}/${config.epochs}: loss ${r.loss.toFixed(4)} (${r.pairsPerSecond.toFixed(0)} pairs/s)`);
    },
  });
  const trainSeconds = (performance.now() - started) / 1000;
  ctx.reportProgress(0.92, 'Evaluating on held-out prompts');
  const scorer = new EncoderScorer(model);
  const evaluation = evaluateModel(scorer, { features: tokens, lengths: data.lengths }, split.trainPairs, split.testPairs, split.fittedPairs);
  const metrics = {
    ...evaluation,
    backend,
    trainSeconds: +trainSeconds.toFixed(2),
    examplesPerSecond: Math.round((fitted.length * config.epochs) / Math.max(trainSeconds, 1e-6)),
    counts: { responses: data.responseIds.length, trainPairs: fitted.length, trainRankings: 0, trainRatings: 0, testPairs: split.testPairs.length },
    featurizer: `transformer:bpe-${tok.model.merges.length}:d${config.dModel}x${config.layers}`,
    attributes: [],
  };
  saveRewardModelFiles(modelId, serializeEncoder(model, tok, PROMPT_TOKENS, { evaluation: evaluation.evaluation }), { metrics, backend });
  model.dispose();
  const e = evaluation.evaluation;
  ctx.reportProgress(1, `held-out accuracy ${e.accuracy === null ? 'n/a' : `${(e.accuracy * 100).toFixed(1)}%`} on ${e.decisive} pairs (longer-wins baseline ${evaluation.baseline.accuracy === null ? 'n/a' : `${(evaluation.baseline.accuracy * 100).toFixed(1)}%`})`);
  return { modelId, evaluation: e, baseline: evaluation.baseline, backend };
}
