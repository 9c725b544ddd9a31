import type { z } from 'zod';
import { computeLeaderboardJob } from './compute-leaderboard';
import { exportDatasetJob } from './export-dataset';
import { trainRewardModelJob } from './train-reward-model';
import { alignPolicyJob } from './align-policy';
import { recomputeStatsJob } from './recompute-stats';
import { scoreRecordsJob } from './score-records';

/** Every job kind the product knows. workers/registry.ts must give each one a handler. */
export const JOB_DEFINITIONS = {
  [recomputeStatsJob.kind]: recomputeStatsJob,
  [computeLeaderboardJob.kind]: computeLeaderboardJob,
  [exportDatasetJob.kind]: exportDatasetJob,
  [trainRewardModelJob.kind]: trainRewardModelJob,
  [alignPolicyJob.kind]: alignPolicyJob,
  [scoreRecordsJob.kind]: scoreRecordsJob,
} as const;

export type JobKind = keyof typeof JOB_DEFINITIONS;
export type JobPayload<K extends JobKind> = z.output<(typeof JOB_DEFINITIONS)[K]['payload']>;
export type JobPayloadInput<K extends JobKind> = z.input<(typeof JOB_DEFINITIONS)[K]['payload']>;

export function isJobKind(kind: string): kind is JobKind {
  return Object.hasOwn(JOB_DEFINITIONS, kind);
}
