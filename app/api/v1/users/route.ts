// GET /api/v1/users – all users (admin); POST – create a user with a password (admin)
import { createUserWithPassword, listUsers } from '@/db/queries/users';
import { createUserSchema } from '@/lib/auth/schemas';
import { apiRoute, readJson, requireAdmin } from '../_lib/api-route';

export const GET = apiRoute(async ({ actor }) => {
  requireAdmin(actor);
  return { users: (await listUsers()).filter((u) => !u.isSimulated) };
});

export const POST = apiRoute(
  async ({ request, actor }) => {
    requireAdmin(actor);
    return { user: await createUserWithPassword(createUserSchema.parse(await readJson(request))) };
  },
  { status: 201 },
);
