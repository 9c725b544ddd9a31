import { z } from 'zod';
import { defineJob } from './define-job';

/**
 * Scores records with a reward model in a worker: the REST score calls with more rows than
 * ARBITER_MAX_SYNC_SCORE_ROWS, which would hold the web server's event loop for seconds. The records wait
 * in <data dir>/scores/<job id>/records.json and the report is written beside them (scores.json), read
 * through GET /api/v1/reward-models/:id/scores/:jobId.
 */
export const scoreRecordsJob = defineJob({
  kind: 'score-records',
  title: 'Score records with a reward model',
  payload: z.object({ projectId: z.number().int().positive(), modelId: z.number().int().positive(), rows: z.number().int().positive() }),
  maxAttempts: 2,
  // Someone is waiting for the answer.
  priority: 1,
});
