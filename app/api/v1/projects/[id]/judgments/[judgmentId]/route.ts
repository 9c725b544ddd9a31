// GET /api/v1/projects/:id/judgments/:judgmentId – one of the caller's own answers as a task to revise
import { getTaskForRevision } from '@/db/queries/annotation-history';
import { apiRoute } from '../../../../_lib/api-route';
import { judgmentParamsSchema } from '../../../../_lib/params';

export const GET = apiRoute<{ id: string; judgmentId: string }>(async ({ actor, params }) => {
  const { id, judgmentId } = judgmentParamsSchema.parse(params);
  return { task: await getTaskForRevision(actor, id, judgmentId) };
});
