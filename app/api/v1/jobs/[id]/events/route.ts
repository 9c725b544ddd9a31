// GET /api/v1/jobs/:id/events – SSE: `job` on every change, `metrics` as points arrive; ends when the job does
import { getJobForActor, listJobMetrics } from '@/db/queries/jobs';
import { subscribeToJobs } from '@/db/notify';
import { FINAL_STATUSES } from '@/lib/jobs/statuses';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';
import { sseResponse, type SseEvent } from '../../../_lib/sse';

export const GET = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const id = (await getJobForActor(actor, idParamsSchema.parse(params).id)).id;
  let lastState = '';
  let lastMetricId = 0;
  return sseResponse(request, async () => {
    const job = await getJobForActor(actor, id);
    const events: SseEvent[] = [];
    const metrics = await listJobMetrics(id, lastMetricId);
    if (metrics.length > 0) {
      lastMetricId = metrics[metrics.length - 1]!.id;
      events.push({ event: 'metrics', data: metrics });
    }
    const state = `${job.status}:${job.progress}:${job.message ?? ''}:${job.attempts}`;
    if (state !== lastState) {
      lastState = state;
      events.push({ event: 'job', data: job });
    }
    if (FINAL_STATUSES.includes(job.status)) return events.length > 0 ? [...events, { event: 'end', data: { status: job.status } }] : 'done';
    return events;
  }, {
    // PostgreSQL: re-read when this job or its metrics change.
    subscribe: (wake) => subscribeToJobs((change) => (change.type === 'resync' || change.id === id) && wake()),
  });
});
