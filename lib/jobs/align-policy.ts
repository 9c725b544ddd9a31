import { z } from 'zod';
import { DIVERGENCES, LOSS_TYPES, UNPAIRED } from '@/lib/ml/kinds';
import { defineJob } from './define-job';
import { loraSettings } from './lora-settings';

const lossList = z
  .union([z.enum(LOSS_TYPES), z.array(z.enum(LOSS_TYPES)).min(1).max(4)])
  .transform((v) => (Array.isArray(v) ? v : [v]))
  .refine((v) => v.every((t) => UNPAIRED.includes(t)) || v.every((t) => !UNPAIRED.includes(t)), 'unpaired losses (kto, npo) do not combine with paired ones');

/**
 * The choices of one alignment run, each with its default here and nowhere else: every door (the REST
 * route and the CLI through startAlignment, enqueueJob, the worker's parse of the stored payload) runs
 * this schema, so the handler reads settled values. An omitted or undefined field gets its default; a
 * given value, 0 included, is kept. The loss parameters (beta, labelSmoothing, …) have no default here:
 * theirs depend on the loss (DEFAULT_LOSS_PARAMS and LOSS_PRESETS in lib/ml/align/losses.ts).
 * `base` names where the policy starts: `scratch` (a small GPT trained on the project's responses with its
 * own BPE), `checkpoint:<name>` (a local GPT-2 or Llama-family checkpoint), or `policy:<id>` (an earlier run's policy).
 */
export const alignSettingsSchema = z.object({
  loss: lossList.default(['sigmoid']),
  lossWeights: z.array(z.number().min(0).max(100)).max(4).optional(),
  beta: z.coerce.number().positive().max(100).optional(),
  labelSmoothing: z.coerce.number().min(0).max(0.49).optional(),
  divergence: z.enum(DIVERGENCES).optional(),
  alpha: z.coerce.number().positive().max(10).optional(),
  simpoGamma: z.coerce.number().min(0).max(10).optional(),
  rpoAlpha: z.coerce.number().min(0).max(100).optional(),
  cplLambda: z.coerce.number().positive().max(1).optional(),
  ipoNormalize: z.boolean().optional(),
  base: z
    .string()
    .regex(/^(scratch|checkpoint:[^/\\]+|policy:\d+)$/, 'base must be scratch, checkpoint:<name> or policy:<id>')
    .default('scratch'),
  epochs: z.coerce.number().int().min(1).max(50).default(3),
  learningRate: z.coerce.number().positive().max(1).default(5e-4),
  batchSize: z.coerce.number().int().min(1).max(256).default(8),
  sftEpochs: z.coerce.number().int().min(0).max(50).default(3),
  sftLearningRate: z.coerce.number().positive().max(1).default(1e-3),
  /** From scratch: the BPE's merges and the GPT's size. */
  merges: z.coerce.number().int().min(0).max(50_000).default(1500),
  layers: z.coerce.number().int().min(1).max(12).default(2),
  dModel: z.coerce.number().int().min(16).max(1024).refine((v) => v % 8 === 0, 'dModel must be a multiple of 8').default(128),
  heads: z.coerce.number().int().min(1).max(16).default(4),
  /** The context: the scratch GPT's positions; a checkpoint's sequences are cut to the smaller of this and its own. */
  contextLength: z.coerce.number().int().min(16).max(1024).default(128),
  /** A reward model of the project: judges win rates, picks best-of-n, labels iterative rounds. */
  rewardModelId: z.coerce.number().int().positive().optional(),
  bestOfN: z.coerce.number().int().min(1).max(64).default(4),
  evalPrompts: z.coerce.number().int().min(1).max(500).default(64),
  /** Sampling, for the evaluation and for round candidates: temperature 0 is greedy; topK 0 and topP 1 are off. */
  temperature: z.coerce.number().min(0).max(5).default(1),
  topP: z.coerce.number().positive().max(1).default(0.95),
  topK: z.coerce.number().int().min(0).max(100_000).default(0),
  maxNewTokens: z.coerce.number().int().min(1).max(512).default(48),
  /** Iterative rounds (DNO / SPPO style): after round 1, each round samples k candidates per prompt from the current policy. */
  rounds: z.coerce.number().int().min(1).max(5).default(1),
  roundCandidates: z.coerce.number().int().min(2).max(8).default(4),
  roundPrompts: z.coerce.number().int().min(1).max(1000).default(32),
  /** Who labels a round's candidates: the reward model (then training continues) or annotators (items are added; the run ends). */
  roundJudge: z.enum(['reward-model', 'annotators']).default('reward-model'),
  seed: z.coerce.number().int().min(0).default(0),
  ...loraSettings,
}).refine((s) => s.loraRank === 0 || s.base !== 'scratch', { message: 'LoRA (loraRank > 0) needs a pretrained Llama-family base: checkpoint:<name> or a policy trained from one', path: ['loraRank'] });
export type AlignSettings = z.input<typeof alignSettingsSchema>;

/** Aligns a GPT policy on the project's preferences in a worker: SFT, then preference optimisation. */
export const alignPolicyJob = defineJob({
  kind: 'align-policy',
  title: 'Align a policy',
  payload: alignSettingsSchema.extend({ projectId: z.number().int().positive(), modelId: z.number().int().positive() }),
  maxAttempts: 3,
});
