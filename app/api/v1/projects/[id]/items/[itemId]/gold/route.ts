// PUT /api/v1/projects/:id/items/:itemId/gold { answer: {winner} | {best} | null } – mark an item as gold, or clear it (researchers)
import { z } from 'zod';
import { setGoldAnswer } from '@/db/queries/annotation-admin';
import { apiRoute, readJson } from '../../../../../_lib/api-route';
import { itemParamsSchema } from '../../../../../_lib/params';

const bodySchema = z.object({ answer: z.unknown() });

export const PUT = apiRoute<{ id: string; itemId: string }>(async ({ request, actor, params }) => {
  const { id, itemId } = itemParamsSchema.parse(params);
  const { answer } = bodySchema.parse(await readJson(request));
  await setGoldAnswer(actor, id, itemId, answer ?? null);
  return { ok: true };
});
