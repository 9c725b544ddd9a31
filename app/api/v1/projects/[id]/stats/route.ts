// POST /api/v1/projects/:id/stats – enqueue the recompute-stats job
import { z } from 'zod';
import { enqueueProjectJob } from '@/db/queries/jobs';
import { apiRoute, readJson } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

const bodySchema = z.object({ chunkSize: z.number().int().min(100).max(100_000).optional() });

export const POST = apiRoute<{ id: string }>(
  async ({ request, actor, params }) => {
    const body = bodySchema.parse(await readJson(request, {}));
    return { job: await enqueueProjectJob(actor, 'recompute-stats', { projectId: idParamsSchema.parse(params).id, ...body }) };
  },
  { status: 202 },
);
