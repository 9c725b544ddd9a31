// GET /api/v1/projects/:id/annotators – per-annotator throughput, time per judgment, skips and gold accuracy (researchers)
import { listAnnotatorWork } from '@/db/queries/annotation-admin';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => ({ annotators: await listAnnotatorWork(actor, idParamsSchema.parse(params).id) }));
