// POST /api/v1/projects/:id/assignments/:assignmentId/skip – give the item back (the caller will not see it again)
import { annotatorProgress, skipAssignment } from '@/db/queries/annotation';
import { apiRoute } from '../../../../../_lib/api-route';
import { assignmentParamsSchema } from '../../../../../_lib/params';

export const POST = apiRoute<{ id: string; assignmentId: string }>(async ({ actor, params }) => {
  const { id, assignmentId } = assignmentParamsSchema.parse(params);
  await skipAssignment(actor, id, assignmentId);
  return { ok: true, progress: await annotatorProgress(actor, id) };
});
