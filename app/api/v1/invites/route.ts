// GET /api/v1/invites – the latest invites with project, role, status and expiry (admin; links are shown once, at creation)
// POST /api/v1/invites – create a one-time sign-up link (admin)
import { createInvite, listInvites } from '@/db/queries/invites';
import { createInviteSchema } from '@/lib/auth/schemas';
import { apiRoute, readJson, requireAdmin } from '../_lib/api-route';

export const POST = apiRoute(
  async ({ request, actor }) => {
    requireAdmin(actor);
    const { url, invite } = await createInvite(actor.id, createInviteSchema.parse(await readJson(request, {})));
    return { url, invite: { id: invite.id, role: invite.role, email: invite.email, projectId: invite.projectId, expiresAt: invite.expiresAt } };
  },
  { status: 201 },
);

export const GET = apiRoute(async ({ actor }) => {
  requireAdmin(actor);
  return { invites: await listInvites() };
});
