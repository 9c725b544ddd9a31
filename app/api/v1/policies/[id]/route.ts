// GET /api/v1/policies/:id → the policy: settings, status, backend, metrics (samples side by side, win rate, best-of-n, rounds), training job
import { getPolicy } from '@/db/queries/policies';
import { apiRoute } from '../../_lib/api-route';
import { idParamsSchema } from '../../_lib/params';

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => ({ policy: await getPolicy(actor, idParamsSchema.parse(params).id) }));
