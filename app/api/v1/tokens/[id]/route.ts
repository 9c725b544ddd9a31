// DELETE /api/v1/tokens/:id – revoke one of the caller's tokens
import { revokeApiToken } from '@/db/queries/api-tokens';
import { AppError } from '@/lib/errors';
import { apiRoute } from '../../_lib/api-route';
import { idParamsSchema } from '../../_lib/params';

export const DELETE = apiRoute<{ id: string }>(async ({ actor, params }) => {
  const { id } = idParamsSchema.parse(params);
  if (!actor.id || !(await revokeApiToken(actor.id, id))) throw new AppError('not-found', `token ${id} not found`);
  return { id, revoked: true };
});
