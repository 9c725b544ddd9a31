// GET /api/v1/jobs/:id – one job with progress, result and error
import { getJobForActor } from '@/db/queries/jobs';
import { apiRoute } from '../../_lib/api-route';
import { idParamsSchema } from '../../_lib/params';

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => ({ job: await getJobForActor(actor, idParamsSchema.parse(params).id) }));
