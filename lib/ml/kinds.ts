/** Names shared with the web server and job schemas; this module must not import tfjs. */
export const REWARD_MODEL_KINDS = ['bt', 'ensemble', 'gpm', 'regression'] as const;
export type RewardModelKind = (typeof REWARD_MODEL_KINDS)[number];
export const AGGREGATIONS = ['mean', 'worst-case', 'uncertainty-weighted'] as const;
export type EnsembleAggregation = (typeof AGGREGATIONS)[number];
