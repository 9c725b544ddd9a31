// GET /api/v1/projects/:id/progress – the caller's done / remaining counts
import { annotatorProgress } from '@/db/queries/annotation';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => ({ progress: await annotatorProgress(actor, idParamsSchema.parse(params).id) }));
