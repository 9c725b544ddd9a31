// POST /api/v1/jobs/:id/cancel – cancel a queued job or ask a running one to stop
import { cancelJobForActor } from '@/db/queries/jobs';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

export const POST = apiRoute<{ id: string }>(async ({ actor, params }) => ({ job: await cancelJobForActor(actor, idParamsSchema.parse(params).id) }));
