/** Names shared with the web server and job schemas; this module must not import tfjs. */
export const REWARD_MODEL_KINDS = ['bt', 'ensemble', 'gpm', 'regression'] as const;
export type RewardModelKind = (typeof REWARD_MODEL_KINDS)[number];
export const AGGREGATIONS = ['mean', 'worst-case', 'uncertainty-weighted'] as const;
export type EnsembleAggregation = (typeof AGGREGATIONS)[number];
/** A reward model's or policy's life: trained by its job, then ready or failed (models.status). */
export const MODEL_STATUSES = ['training', 'ready', 'failed'] as const;

/** DPO-family loss types (TRL's `loss_type` names; lib/ml/align/losses.ts implements each). */
export const LOSS_TYPES = [
  'sigmoid',
  'cdpo',
  'robust',
  'ipo',
  'hinge',
  'sigmoid_norm',
  'exo_pair',
  'nca_pair',
  'bco_pair',
  'sppo_hard',
  'sppo',
  'apo_zero',
  'apo_down',
  'discopop',
  'simpo',
  'orpo',
  'kto',
  'rpo',
  'npo',
  'cpl',
  'sft',
] as const;
export type LossType = (typeof LOSS_TYPES)[number];

/** Losses that need no reference model. */
export const REFERENCE_FREE: readonly LossType[] = ['simpo', 'orpo', 'cpl', 'sft'];
/** Losses on single samples (desirable / undesirable, or a forget set) rather than pairs. */
export const UNPAIRED: readonly LossType[] = ['kto', 'npo'];

/** f-DPO divergences. */
export const DIVERGENCES = ['reverse_kl', 'forward_kl', 'js', 'alpha'] as const;
export type Divergence = (typeof DIVERGENCES)[number];
