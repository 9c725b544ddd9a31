// GET  /api/v1/projects/:id/policies → the project's aligned policies (status, backend, metrics, samples)
// POST /api/v1/projects/:id/policies { loss: type | [types], lossWeights?, beta?, base?: scratch|checkpoint:<name>|policy:<id>, rewardModelId?, epochs?, rounds?, … } → 202 { policy, jobId }
// Researchers of the project and admins.
import { z } from 'zod';
import { listPolicies, startAlignment } from '@/db/queries/policies';
import type { AlignSettings } from '@/lib/jobs/align-policy';
import { apiRoute, readJson } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

// Settings are validated by startAlignment (one message naming the field); the name is checked here.
const bodySchema = z.looseObject({ name: z.string().max(120).optional() });

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => ({ policies: await listPolicies(actor, idParamsSchema.parse(params).id) }));

export const POST = apiRoute<{ id: string }>(
  async ({ request, actor, params }) => {
    const { id } = idParamsSchema.parse(params);
    return startAlignment(actor, id, bodySchema.parse(await readJson(request, {})) as AlignSettings & { name?: string });
  },
  { status: 202 },
);
