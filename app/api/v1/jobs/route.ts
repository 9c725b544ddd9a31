// GET /api/v1/jobs – recent jobs visible to the caller (?project=&status=&limit=)
import { listJobsForActor } from '@/db/queries/jobs';
import { apiRoute } from '../_lib/api-route';
import { jobsQuerySchema, queryObject } from '../_lib/params';

export const GET = apiRoute(async ({ request, actor }) => {
  const q = jobsQuerySchema.parse(queryObject(request));
  return { jobs: await listJobsForActor(actor, { projectId: q.project, status: q.status ? [q.status] : undefined, limit: q.limit }) };
});
