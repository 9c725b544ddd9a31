// GET /api/v1/projects/:id – one project with settings, counts and statistics
import { getProjectForActor } from '@/db/queries/projects';
import { apiRoute } from '../../_lib/api-route';
import { idParamsSchema } from '../../_lib/params';

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => ({ project: await getProjectForActor(actor, idParamsSchema.parse(params).id) }));
