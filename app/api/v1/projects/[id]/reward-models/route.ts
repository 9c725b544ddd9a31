// GET  /api/v1/projects/:id/reward-models → the project's reward models (status, backend, held-out metrics)
// POST /api/v1/projects/:id/reward-models { kind: bt|ensemble|gpm|regression, name?, epochs?, members?, hidden?, … } → 202 { model, jobId }
// Researchers of the project and admins.
import { listRewardModels, startRewardModelTraining } from '@/db/queries/reward-models';
import { rewardModelSettingsSchema } from '@/lib/jobs/train-reward-model';
import { z } from 'zod';
import { apiRoute, readJson } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

const bodySchema = rewardModelSettingsSchema.extend({ name: z.string().max(120).optional() });

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => ({ models: await listRewardModels(actor, idParamsSchema.parse(params).id) }));

export const POST = apiRoute<{ id: string }>(
  async ({ request, actor, params }) => {
    const { id } = idParamsSchema.parse(params);
    return startRewardModelTraining(actor, id, bodySchema.parse(await readJson(request, {})));
  },
  { status: 202 },
);
