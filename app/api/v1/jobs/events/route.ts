// GET /api/v1/jobs/events – SSE: the visible job list, sent whenever any job changes (?project=)
import { listJobsForActor } from '@/db/queries/jobs';
import { subscribeToJobs } from '@/db/notify';
import { apiRoute } from '../../_lib/api-route';
import { jobsQuerySchema, queryObject } from '../../_lib/params';
import { sseResponse } from '../../_lib/sse';

export const GET = apiRoute(({ request, actor }) => {
  const q = jobsQuerySchema.parse(queryObject(request));
  let last = '';
  return sseResponse(request, async () => {
    const jobs = await listJobsForActor(actor, { projectId: q.project, limit: q.limit });
    const state = jobs.map((j) => `${j.id}:${j.status}:${j.progress}:${j.message ?? ''}`).join('|');
    if (state === last) return [];
    last = state;
    return [{ event: 'jobs', data: jobs }];
  }, {
    // PostgreSQL: re-read when a job of this list's scope changes (metrics alone change nothing shown here).
    subscribe: (wake) =>
      subscribeToJobs((change) => {
        if (change.type === 'resync' || (change.type === 'job' && (q.project === undefined || change.projectId === q.project))) wake();
      }),
  });
});
