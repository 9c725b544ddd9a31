import { z } from 'zod';
import { AGGREGATIONS, REWARD_MODEL_KINDS } from '@/lib/ml/kinds';
import { defineJob } from './define-job';
import { loraSettings } from './lora-settings';

/** How responses become a reward model's input (see `featurizer` below). */
export const REWARD_FEATURIZERS = ['hashed-ngrams', 'transformer', 'checkpoint', 'fine-tune'] as const;

/** The choices of one reward-model fit (defaults in lib/ml/reward-model.ts DEFAULT_CONFIG). */
export const rewardModelSettingsSchema = z.object({
  kind: z.enum(REWARD_MODEL_KINDS).default('bt'),
  hidden: z.coerce.number().int().min(0).max(4096).optional(),
  epochs: z.coerce.number().int().min(1).max(200).optional(),
  batchSize: z.coerce.number().int().min(1).max(4096).optional(),
  learningRate: z.coerce.number().positive().max(1).optional(),
  l2: z.coerce.number().min(0).max(1).optional(),
  seed: z.coerce.number().int().min(0).optional(),
  useMargin: z.boolean().optional(),
  labelSmoothing: z.coerce.number().min(0).max(0.49).optional(),
  centering: z.coerce.number().min(0).max(10).optional(),
  ties: z.enum(['davidson', 'half', 'drop']).optional(),
  rankings: z.enum(['plackett-luce', 'pairs']).optional(),
  members: z.coerce.number().int().min(2).max(16).optional(),
  /** Train ensemble members on a second thread too, where the machine has more than one core (default). */
  parallelMembers: z.boolean().optional(),
  bootstrap: z.boolean().optional(),
  aggregation: z.enum(AGGREGATIONS).optional(),
  lambda: z.coerce.number().min(0).max(100).optional(),
  gpmDims: z.coerce.number().int().min(2).max(64).refine((v) => v % 2 === 0, 'gpmDims must be even').optional(),
  tau: z.coerce.number().positive().max(10).optional(),
  promptScales: z.boolean().optional(),
  /** Share of prompts held out for evaluation. */
  testShare: z.coerce.number().min(0.05).max(0.5).default(0.2),
  featureDims: z.coerce.number().int().min(256).max(65536).optional(),
  /**
   * hashed-ngrams (default, cached features), transformer (a BPE transformer encoder trained end to end;
   * kind bt), checkpoint (frozen hidden states of the local checkpoint (GPT-2 or Llama family) named by
   * `checkpoint`), or fine-tune (that checkpoint with a scalar head, fine-tuned end to end as TRL's
   * RewardTrainer does; kind bt; LoRA optional: lib/ml/lm/reward-model.ts).
   */
  featurizer: z.enum(REWARD_FEATURIZERS).optional(),
  /** A checkpoint's name under ARBITER_CHECKPOINTS_DIR (featurizers checkpoint and fine-tune). */
  checkpoint: z.string().min(1).max(200).optional(),
  /** fine-tune: the most tokens of prompt and response a row keeps (the prompt keeps its tail). */
  maxLength: z.coerce.number().int().min(16).max(8192).optional(),
  ...loraSettings,
})
  .refine((s) => s.featurizer !== 'fine-tune' || s.kind === 'bt', { message: 'a fine-tuned language model is a Bradley–Terry reward model: kind bt', path: ['kind'] })
  .refine((s) => s.loraRank === 0 || s.featurizer === 'fine-tune', { message: 'LoRA (loraRank > 0) applies to the fine-tune featurizer', path: ['loraRank'] });
export type RewardModelSettings = z.input<typeof rewardModelSettingsSchema>;

/** Fits a reward model on the project's preferences in a worker, evaluates it on held-out prompts, stores it. */
export const trainRewardModelJob = defineJob({
  kind: 'train-reward-model',
  title: 'Train reward model',
  payload: rewardModelSettingsSchema.extend({ projectId: z.number().int().positive(), modelId: z.number().int().positive() }),
  maxAttempts: 3,
});
