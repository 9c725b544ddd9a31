// GET /api/v1/reward-models/:id/scores/:jobId → the report of a finished scoring job (POST …/score with more than
// ARBITER_MAX_SYNC_SCORE_ROWS records answered 202 with it): the same { rows, pairs, accuracy, logLoss } a
// synchronous call answers. 409 while the job is queued or running (follow it at /api/v1/jobs/:jobId).
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { getScoringReportFile } from '@/db/queries/reward-models';
import { apiRoute } from '../../../../_lib/api-route';
import { jobParamsSchema } from '../../../../_lib/params';

export const GET = apiRoute<{ id: string; jobId: string }>(async ({ actor, params }) => {
  const { id, jobId } = jobParamsSchema.parse(params);
  const file = await getScoringReportFile(actor, id, jobId);
  return new Response(Readable.toWeb(fs.createReadStream(file)) as ReadableStream, {
    headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(fs.statSync(file).size) },
  });
});
