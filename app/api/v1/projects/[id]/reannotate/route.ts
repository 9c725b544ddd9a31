// POST /api/v1/projects/:id/reannotate { comparisonIds: [...] } → { reopened, notFromItems }
// Sends the items behind these comparisons back for one more judgment (e.g. the pairs a model flagged).
import { z } from 'zod';
import { reannotateComparisons } from '@/db/queries/reward-models';
import { apiRoute, readJson } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

const bodySchema = z.object({ comparisonIds: z.array(z.number().int().positive()).min(1).max(10_000) });

export const POST = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const { id } = idParamsSchema.parse(params);
  return reannotateComparisons(actor, id, bodySchema.parse(await readJson(request)).comparisonIds);
});
