// POST /api/v1/policies/:id/generate { prompt, n?, temperature?, topP?, topK?, maxNewTokens?, seed? } → { samples: [text…], tokenIds: [[id…]…] }
// tfjs is loaded on the first call (never bundled: next.config.js serverExternalPackages).
import { z } from 'zod';
import { getPolicy, localPolicyDir } from '@/db/queries/policies';
import { apiRoute, readJson } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';
import { mlBackendOptions } from '@/lib/env';

const bodySchema = z.object({
  prompt: z.string().trim().min(1, 'prompt must not be empty').max(20_000),
  n: z.number().int().min(1).max(16).default(1),
  temperature: z.number().min(0).max(5).default(1),
  topP: z.number().positive().max(1).default(0.95),
  topK: z.number().int().min(0).max(100_000).default(0),
  maxNewTokens: z.number().int().min(1).max(256).default(64),
  seed: z.number().int().min(0).default(0),
});

export const POST = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const record = await getPolicy(actor, idParamsSchema.parse(params).id);
  const body = bodySchema.parse(await readJson(request));
  const dir = await localPolicyDir(record);
  const { sampleFromCheckpoint } = await import('@/lib/ml/align/sample-checkpoint');
  const samples = await sampleFromCheckpoint(dir, body.prompt, { ...body, backend: mlBackendOptions() });
  return { policyId: record.id, prompt: body.prompt, samples: samples.map((s) => s.text), tokenIds: samples.map((s) => s.ids) };
});
