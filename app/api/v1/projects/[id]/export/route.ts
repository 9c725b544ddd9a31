// GET /api/v1/projects/:id/export?format=trl|implicit|standard|kto|llamafactory|battles|raw|all&aggregation=&ties=&margin=&rankings=&testShare=&seed=&minAgreement=&ratingsAttribute=&ratingsThreshold=
// → { files: { path: content }, validation, counts } inline, for projects up to 50,000 comparisons.
// Larger projects: POST /api/v1/projects/:id/exports runs the export as a background job (zip download).
// Researchers of the project and admins; never annotators.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countProjectComparisons } from '@/db/queries/stats';
import { writeProjectExport } from '@/db/queries/export';
import { assertCanManageProject } from '@/db/queries/projects';
import { exportSettingsSchema, toExportRequest } from '@/lib/data/export-settings';
import { AppError } from '@/lib/errors';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema, queryObject } from '../../../_lib/params';

const INLINE_LIMIT = 50_000;

export const GET = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const { id } = idParamsSchema.parse(params);
  await assertCanManageProject(actor, id);
  const settings = exportSettingsSchema.parse(queryObject(request));
  const comparisons = await countProjectComparisons(id);
  if (comparisons > INLINE_LIMIT) throw new AppError('invalid', `project ${id} has ${comparisons} comparisons, more than an inline export returns (${INLINE_LIMIT}): POST /api/v1/projects/${id}/exports runs it as a background job with a zip download`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-export-'));
  try {
    const summary = await writeProjectExport(id, dir, toExportRequest(settings));
    const files = Object.fromEntries(summary.files.map((name) => [name, fs.readFileSync(path.join(dir, name), 'utf8')]));
    return { files, validation: summary.validation, counts: summary.counts };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
