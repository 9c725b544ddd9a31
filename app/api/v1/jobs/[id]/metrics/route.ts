// GET /api/v1/jobs/:id/metrics – metric points (?after=<metric id> for the next page)
import { z } from 'zod';
import { getJobForActor, listJobMetrics } from '@/db/queries/jobs';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema, queryObject } from '../../../_lib/params';

const querySchema = z.object({ after: z.coerce.number().int().min(0).default(0) });

export const GET = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const job = await getJobForActor(actor, idParamsSchema.parse(params).id);
  return { metrics: await listJobMetrics(job.id, querySchema.parse(queryObject(request)).after) };
});
