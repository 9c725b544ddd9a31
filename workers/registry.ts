import type { JobKind, JobPayload } from '@/lib/jobs/registry';
import { handleComputeLeaderboard } from './handlers/compute-leaderboard';
import { handleExportDataset } from './handlers/export-dataset';
import { handleTrainRewardModel } from './handlers/train-reward-model';
import { handleAlignPolicy } from './handlers/align-policy';
import { handleRecomputeStats } from './handlers/recompute-stats';
import { handleScoreRecords } from './handlers/score-records';
import type { JobHandler } from './types';

/** kind → handler; a kind without a handler is a compile error. */
export const JOB_HANDLERS = {
  'recompute-stats': handleRecomputeStats,
  'compute-leaderboard': handleComputeLeaderboard,
  'export-dataset': handleExportDataset,
  'train-reward-model': handleTrainRewardModel,
  'align-policy': handleAlignPolicy,
  'score-records': handleScoreRecords,
} as const satisfies { [K in JobKind]: JobHandler<JobPayload<K>> };
