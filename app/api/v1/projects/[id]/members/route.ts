// GET /api/v1/projects/:id/members – members; POST { email, role } – add an existing user (researchers of the project, admins)
import { z } from 'zod';
import { addProjectMemberByEmail, assertCanManageProject, listProjectMembers } from '@/db/queries/projects';
import { emailSchema, memberRoleSchema } from '@/lib/auth/schemas';
import { apiRoute, readJson } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

const bodySchema = z.object({ email: emailSchema, role: memberRoleSchema });

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => {
  const { id } = idParamsSchema.parse(params);
  await assertCanManageProject(actor, id);
  return { members: await listProjectMembers(id) };
});

export const POST = apiRoute<{ id: string }>(
  async ({ request, actor, params }) => ({ member: await addProjectMemberByEmail(actor, idParamsSchema.parse(params).id, bodySchema.parse(await readJson(request))) }),
  { status: 201 },
);
