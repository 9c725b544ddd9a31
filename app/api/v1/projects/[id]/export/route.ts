// GET /api/v1/projects/:id/export?format=trl|implicit|standard|kto|llamafactory|battles|raw|all&aggregation=&ties=&margin=&rankings=&testShare=&seed=&minAgreement=&ratingsAttribute=&ratingsThreshold=
// → { files: { path: content }, validation, counts } (researchers of the project and admins; never annotators)
import { z } from 'zod';
import { loadBattles, loadExportData, loadRawAnnotations } from '@/db/queries/export';
import { assertCanManageProject } from '@/db/queries/projects';
import { listPairwiseJudgments } from '@/db/queries/quality';
import { AGGREGATIONS, MARGINS, RANKING_PAIRS, TIE_POLICIES } from '@/lib/data/export';
import { buildExportFiles, EXPORT_FORMATS } from '@/lib/data/export-files';
import { qualityReport } from '@/lib/stats/quality-report';
import { BadRequestError } from '@/app/_lib/errors';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema, queryObject } from '../../../_lib/params';

const querySchema = z.object({
  format: z.enum(EXPORT_FORMATS).default('trl'),
  aggregation: z.enum(AGGREGATIONS).default('majority'),
  ties: z.enum(TIE_POLICIES).default('drop'),
  margin: z.enum(MARGINS).default('off'),
  rankings: z.enum(RANKING_PAIRS).default('best-vs-each-adjacent'),
  testShare: z.coerce.number().min(0).max(0.5).default(0),
  seed: z.coerce.number().int().min(0).default(0),
  minAgreement: z.coerce.number().min(0).max(1).default(0),
  ratingsAttribute: z.union([z.literal(''), z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'an attribute name')]).optional(),
  ratingsThreshold: z.coerce.number().min(1).max(4).default(1),
});

export const GET = apiRoute<{ id: string }>(({ request, actor, params }) => {
  const { id } = idParamsSchema.parse(params);
  assertCanManageProject(actor, id);
  const q = querySchema.parse(queryObject(request));
  const data = loadExportData(id, { ratingsAttribute: q.ratingsAttribute || undefined, ratingsThreshold: q.ratingsThreshold });
  if (data.votes.length === 0) throw new BadRequestError(`project ${id} has no comparisons to export yet`);
  const judgments = listPairwiseJudgments(id);
  const bundle = buildExportFiles(
    data,
    {
      raw: () => loadRawAnnotations(id),
      battles: () => loadBattles(id, data),
      judgments: judgments.length,
      alphaChoice: judgments.length ? qualityReport(judgments).agreement.alphaChoice : null,
      exportedAt: new Date().toISOString(),
    },
    q.format,
    { aggregation: q.aggregation, ties: q.ties, margin: q.margin, rankingPairs: q.rankings, testShare: q.testShare, seed: q.seed, minAgreement: q.minAgreement },
  );
  return bundle;
});
