// POST /api/v1/projects/:id/assignments/next – the caller's current task (their running lease, or a new one); { task: null } when no work is left
import { annotatorProgress, leaseNextTask } from '@/db/queries/annotation';
import { apiRoute } from '../../../../_lib/api-route';
import { idParamsSchema } from '../../../../_lib/params';

export const POST = apiRoute<{ id: string }>(async ({ actor, params }) => {
  const { id } = idParamsSchema.parse(params);
  const task = await leaseNextTask(actor, id);
  return { task, progress: await annotatorProgress(actor, id) };
});
