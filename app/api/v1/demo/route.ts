// POST /api/v1/demo – generate a demo project (researchers, admins); body { seed?, prompts? }
import { z } from 'zod';
import { createDemoProject } from '@/db/queries/demo';
import { canCreateProjects } from '@/lib/auth/access';
import { AppError } from '@/lib/errors';
import { apiRoute, readJson } from '../_lib/api-route';

const bodySchema = z.object({ seed: z.number().int().min(0).optional(), prompts: z.number().int().min(1).max(5000).optional() });

export const POST = apiRoute(
  async ({ request, actor }) => {
    if (!canCreateProjects(actor)) throw new AppError('forbidden', 'only researchers and admins can create projects');
    const body = bodySchema.parse(await readJson(request, {}));
    return await createDemoProject(actor, { ...(body.seed === undefined ? {} : { seed: body.seed }), ...(body.prompts === undefined ? {} : { prompts: body.prompts }) });
  },
  { status: 201 },
);
