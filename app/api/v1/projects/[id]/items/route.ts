// GET /api/v1/projects/:id/items?filter=all|open|in-progress|complete|gold&limit=&offset= – per-item annotation status (researchers)
import { z } from 'zod';
import { ITEM_FILTERS, listItemStatuses } from '@/db/queries/annotation-admin';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema, queryObject } from '../../../_lib/params';

const querySchema = z.object({
  filter: z.enum(ITEM_FILTERS).default('all'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const GET = apiRoute<{ id: string }>(({ request, actor, params }) => listItemStatuses(actor, idParamsSchema.parse(params).id, querySchema.parse(queryObject(request))));
