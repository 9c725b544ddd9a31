// GET /api/v1/reward-models/:id → the model: config, status, backend, evaluation, baseline, flagged pairs, training job
import { getRewardModel } from '@/db/queries/reward-models';
import { apiRoute } from '../../_lib/api-route';
import { idParamsSchema } from '../../_lib/params';

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => ({ model: await getRewardModel(actor, idParamsSchema.parse(params).id) }));
