import { z } from 'zod';
import { defineJob } from './define-job';

/** Re-reads a project's comparisons in chunks and writes its summary (counts, per-system win rates). */
export const recomputeStatsJob = defineJob({
  kind: 'recompute-stats',
  title: 'Recompute project statistics',
  payload: z.object({
    projectId: z.number().int().positive(),
    /** Comparisons read per step; each step checkpoints, so a retry resumes where it stopped. */
    chunkSize: z.number().int().min(100).max(100_000).default(5_000),
  }),
  maxAttempts: 3,
});
