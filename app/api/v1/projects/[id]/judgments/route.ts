// POST /api/v1/projects/:id/judgments – submit (or revise) an answer; the client-generated id makes retries idempotent.
// 201 when stored, 200 when that id was already stored (retry) or revised; 413 past 64 KB.
import { annotatorProgress } from '@/db/queries/annotation';
import { submitJudgment } from '@/db/queries/judgment-submit';
import { apiRoute, readJson } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

export const POST = apiRoute<{ id: string }>(
  async ({ request, actor, params }) => {
    const { id } = idParamsSchema.parse(params);
    const result = await submitJudgment(actor, id, await readJson(request));
    return Response.json({ ...result, progress: await annotatorProgress(actor, id) }, { status: result.created ? 201 : 200 });
  },
  // The largest valid judgment is a few KB: a 5,000-character justification (≤ 30 KB even if every character
  // were JSON-escaped as \uXXXX), a ranking and ratings of one item's responses.
  { maxJsonBodyKb: 64 },
);
