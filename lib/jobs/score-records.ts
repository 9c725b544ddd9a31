import { z } from 'zod';
import { defineJob } from './define-job';

/**
 * Scores records with a reward model in a worker: the REST score calls with more rows than
 * ARBITER_MAX_SYNC_SCORE_ROWS, which would hold the web server's event loop for seconds. The records wait
 * in the artifact store under the key `input` names, and the report goes to scores/<job id>/a<attempt>/
 * scores.json (named in the job's result), read through GET /api/v1/reward-models/:id/scores/:jobId.
 */
export const scoreRecordsJob = defineJob({
  kind: 'score-records',
  title: 'Score records with a reward model',
  payload: z.object({
    projectId: z.number().int().positive(),
    modelId: z.number().int().positive(),
    rows: z.number().int().positive(),
    /** The records' key (scores/inputs/<uuid>.json); absent in jobs queued before the artifact store, whose records are at scores/<job id>/records.json. */
    input: z
      .string()
      .regex(/^scores\/inputs\/[0-9a-f-]{36}\.json$/)
      .optional(),
  }),
  maxAttempts: 2,
  // Someone is waiting for the answer.
  priority: 1,
});
