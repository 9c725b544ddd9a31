// DELETE /api/v1/invites/:id – revoke an unused invite: its link stops working (admin)
import { revokeInvite } from '@/db/queries/invites';
import { apiRoute, requireAdmin } from '../../_lib/api-route';
import { idParamsSchema } from '../../_lib/params';

export const DELETE = apiRoute<{ id: string }>(async ({ actor, params }) => {
  requireAdmin(actor);
  const { id } = idParamsSchema.parse(params);
  await revokeInvite(id);
  return { id, revoked: true };
});
