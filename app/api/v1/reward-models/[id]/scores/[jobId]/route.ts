// GET /api/v1/reward-models/:id/scores/:jobId → the report of a finished scoring job (POST …/score with more than
// ARBITER_MAX_SYNC_SCORE_ROWS records answered 202 with it): the same { rows, pairs, accuracy, logLoss } a
// synchronous call answers, streamed from the artifact store. 409 while the job is queued or running (follow it at /api/v1/jobs/:jobId).
import { getScoringReport } from '@/db/queries/reward-models';
import { artifactResponse } from '../../../../_lib/artifact-response';
import { apiRoute } from '../../../../_lib/api-route';
import { jobParamsSchema } from '../../../../_lib/params';

export const GET = apiRoute<{ id: string; jobId: string }>(async ({ actor, params }) => {
  const { id, jobId } = jobParamsSchema.parse(params);
  const report = await getScoringReport(actor, id, jobId);
  return artifactResponse(report.key, { size: report.size, contentType: 'application/json; charset=utf-8' });
});
