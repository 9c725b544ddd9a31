import { z } from 'zod';
import { defineJob } from './define-job';

export const LEADERBOARD_METHODS = ['bt', 'style', 'davidson', 'rao-kupper', 'pl', 'elo'] as const;
export type LeaderboardMethod = (typeof LEADERBOARD_METHODS)[number];

/** Fits a leaderboard over the project's systems with bootstrap intervals and stores it. */
export const computeLeaderboardJob = defineJob({
  kind: 'compute-leaderboard',
  title: 'Compute leaderboard',
  payload: z.object({
    projectId: z.number().int().positive(),
    method: z.enum(LEADERBOARD_METHODS).default('bt'),
    rounds: z.number().int().min(0).max(2000).default(100),
    seed: z.number().int().min(0).default(0),
    /** L2 prior precision on θ (bt only); 0 = the plain MLE Arena reports. */
    l2: z.number().min(0).default(0),
  }),
  maxAttempts: 2,
});
