/**
 * A reward model that is a pretrained decoder with a scalar head, fine-tuned end to end: what transformers'
 * `<Family>ForSequenceClassification` computes with num_labels 1 (models/llama/modeling_llama.py: a
 * bias-free linear `score` on the final hidden state of each sequence's last non-padding token), fitted as
 * TRL's RewardTrainer (trl/trainer/reward_trainer.py) and OpenRLHF's train_rm fit it: both sides of each
 * pair through the model, the Bradley–Terry loss on the reward difference, Adam over every weight and the
 * head, or, with LoRA, over the adapters and the head alone. The losses are the feature models' own
 * (lib/ml/losses.ts pairwiseRewardLoss): annotated strength as margin, label smoothing, centring, and ties
 * by a Davidson head, as half a win, or dropped.
 */
import { createRng } from '../../random';
import { createAdam } from '../adam';
import { buildSequence } from '../align/sequences';
import type { ChatMessage } from '../align/chat';
import { tf } from '../backend';
import { pairwiseRewardLoss } from '../losses';
import type { ChatFormat } from '../tokenizer/chat-format';
import type { CausalLm } from './causal-lm';

/** How ties enter the fit (as for every pairwise model: lib/ml/reward-model.ts). */
export type TieHandling = 'davidson' | 'half' | 'drop';

export type LmRewardSettings = {
  epochs: number;
  /** Pairs per optimiser step (both sides of each run through the model together). */
  batchSize: number;
  learningRate: number;
  useMargin: boolean;
  labelSmoothing: number;
  centering: number;
  ties: TieHandling;
  seed: number;
};

/**
 * The ids one (prompt, response) is scored on: the prompt as the chat format renders it (the checkpoint's
 * template, with its generation prompt), then the response and its end of turn, as a policy trained from
 * the same checkpoint would write it; cut to maxLength with the prompt keeping its tail (buildSequence).
 */
export function rewardRowIds(chat: ChatFormat, messages: readonly ChatMessage[], response: string, maxLength: number): number[] {
  return buildSequence(chat.promptIds(messages), chat.completionIds(messages, response), maxLength).ids;
}

/**
 * Where each row of a right-padded batch [B, T] is read, as transformers pools it: the last position whose
 * id is not the padding id (0 when every id is: argmax of an all-zero row). A row that itself ends with the
 * padding id (padding is often the end-of-sequence token) is read one token earlier, exactly as it is when
 * the exported model runs in transformers.
 */
export function lastNonPadIndex(ids: Int32Array, B: number, T: number, padId: number): Int32Array {
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let last = 0;
    for (let t = 0; t < T; t++) if (ids[b * T + t] !== padId) last = t;
    out[b] = last;
  }
  return out;
}

export class LmRewardModel {
  /** transformers' score.weight: [1, hidden]. */
  readonly score: tf.Variable;
  /** log ν of the Davidson tie head, when the fit uses one. */
  logNu: tf.Variable | null = null;

  /**
   * `score` given: that head (a saved model); otherwise drawn as transformers initialises a fresh
   * classifier head, N(0, 0.02) (PreTrainedModel._init_weights with initializer_range 0.02).
   */
  constructor(
    readonly lm: CausalLm,
    readonly padId: number,
    { score, seed = 0 }: { score?: tf.Tensor; seed?: number } = {},
  ) {
    this.score = tf.variable(score ?? tf.randomNormal([1, lm.hiddenSize], 0, 0.02, 'float32', seed + 1), true);
  }

  /** Rewards of rows of token ids, [N]; differentiable. Rows are right-padded with padId. */
  rewards(rows: readonly (readonly number[])[]): tf.Tensor1D {
    const B = rows.length;
    const T = Math.max(1, ...rows.map((r) => r.length));
    const ids = new Int32Array(B * T).fill(this.padId);
    rows.forEach((r, b) => ids.set(r, b * T));
    const at = lastNonPadIndex(ids, B, T, this.padId).map((t, b) => b * T + t);
    return tf.tidy(() => tf.reshape(tf.matMul(tf.gather(this.lm.hidden(ids, B, T), tf.tensor1d(at, 'int32')), this.score, false, true), [B]) as tf.Tensor1D);
  }

  /** What the fit updates, in a fixed order: the model's trainable weights (all, or its LoRA adapters), the head, log ν. */
  trainableVariables(): tf.Variable[] {
    return [...this.lm.trainableVariables(), this.score, ...(this.logNu ? [this.logNu] : [])];
  }

  dispose(): void {
    this.lm.dispose();
    this.score.dispose();
    this.logNu?.dispose();
  }
}

/** Labelled pairs as token rows: a is preferred unless tie; margin is the annotated strength. */
export type TokenPairs = { a: (readonly number[])[]; b: (readonly number[])[]; tie: boolean[]; margin: number[] };

/** The state a resumed fit starts from: trainableVariables()'s values, Adam's state, and the last finished epoch. */
export type LmRewardResume = { epoch: number; weights: Float32Array[]; optimizer: { name: string; data: Float32Array; shape: number[] }[] };

export type LmRewardEpoch = { epoch: number; loss: number; seconds: number; pairsPerSecond: number; optimizerState: () => Promise<LmRewardResume['optimizer']> };

/**
 * Fits the model on labelled pairs for settings.epochs epochs (ties dropped first when settings.ties is
 * 'drop'), shuffling with the seed; after each epoch `onEpoch` runs (a worker checkpoints there). A resumed
 * fit replays the shuffles of the epochs already run, so the next epoch sees the order it would have seen.
 */
export async function fitLmRewardModel(
  model: LmRewardModel,
  data: TokenPairs,
  settings: LmRewardSettings,
  hooks: { signal?: AbortSignal; resume?: LmRewardResume; onEpoch?: (r: LmRewardEpoch) => void | Promise<void> } = {},
): Promise<void> {
  const keep = data.tie.map((t, i) => (settings.ties === 'drop' && t ? -1 : i)).filter((i) => i >= 0);
  if (!keep.some((i) => !data.tie[i])) throw new Error('no decisive training pairs to fit the reward model on');
  if (settings.ties === 'davidson' && keep.some((i) => data.tie[i]) && !model.logNu) model.logNu = tf.variable(tf.scalar(0), true);
  const variables = model.trainableVariables();
  const optimizer = createAdam(settings.learningRate);
  const rng = createRng(settings.seed + 1);
  const start = hooks.resume ? hooks.resume.epoch + 1 : 1;
  try {
    if (hooks.resume) {
      if (hooks.resume.weights.length !== variables.length) throw new Error(`the checkpoint holds ${hooks.resume.weights.length} tensors, the model trains ${variables.length}`);
      variables.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(hooks.resume!.weights[i]!, v.shape))));
      await optimizer.setWeights(hooks.resume.optimizer.map((w) => ({ name: w.name, tensor: tf.tensor(w.data, w.shape) })));
      for (let e = 1; e < start; e++) rng.shuffle([...keep]);
    }
    for (let epoch = start; epoch <= settings.epochs; epoch++) {
      const started = performance.now();
      const order = rng.shuffle([...keep]);
      let total = 0;
      let steps = 0;
      for (let k = 0; k < order.length; k += settings.batchSize) {
        hooks.signal?.throwIfAborted();
        const idx = order.slice(k, k + settings.batchSize);
        const loss = optimizer.minimize(
          () => {
            const r = model.rewards([...idx.map((i) => data.a[i]!), ...idx.map((i) => data.b[i]!)]);
            const pairs = idx.map((i) => ({ tie: data.tie[i]!, margin: data.margin[i]! }));
            return pairwiseRewardLoss(tf.slice(r, [0], [idx.length]), tf.slice(r, [idx.length], [idx.length]), pairs, {
              useMargin: settings.useMargin,
              labelSmoothing: settings.labelSmoothing,
              centering: settings.centering,
              logNu: model.logNu,
            });
          },
          true,
          variables,
        )!;
        total += loss.dataSync()[0]!;
        loss.dispose();
        steps++;
        // Lets the worker's heartbeat and a cancellation run between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const seconds = (performance.now() - started) / 1000;
      await hooks.onEpoch?.({
        epoch,
        loss: total / Math.max(steps, 1),
        seconds,
        pairsPerSecond: order.length / Math.max(seconds, 1e-6),
        optimizerState: async () => (await optimizer.getWeights()).map((w) => ({ name: w.name, data: w.tensor.dataSync() as Float32Array, shape: w.tensor.shape })),
      });
    }
  } finally {
    optimizer.dispose();
  }
}
