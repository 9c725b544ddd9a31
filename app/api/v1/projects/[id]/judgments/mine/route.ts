// GET /api/v1/projects/:id/judgments/mine?limit= – the caller's own recent answers (never anyone else's)
import { z } from 'zod';
import { listMyHistory } from '@/db/queries/annotation-history';
import { apiRoute } from '../../../../_lib/api-route';
import { idParamsSchema, queryObject } from '../../../../_lib/params';

const querySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) });

export const GET = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const { id } = idParamsSchema.parse(params);
  return { history: await listMyHistory(actor, id, querySchema.parse(queryObject(request)).limit) };
});
