// GET /api/v1/tokens – the caller's API tokens; POST – create one (the secret is in the response, once)
import { createApiToken, listApiTokens } from '@/db/queries/api-tokens';
import { AppError } from '@/lib/errors';
import { createTokenSchema } from '@/lib/auth/schemas';
import { apiRoute, readJson } from '../_lib/api-route';

export const GET = apiRoute(async ({ actor }) => ({ tokens: actor.id ? await listApiTokens(actor.id) : [] }));

export const POST = apiRoute(
  async ({ request, actor }) => {
    if (!actor.id) throw new AppError('forbidden', 'tokens belong to users');
    const { token, summary } = await createApiToken(actor.id, createTokenSchema.parse(await readJson(request)));
    return { token, ...summary };
  },
  { status: 201 },
);
