// POST /api/v1/projects/:id/exports { format, aggregation, ties, margin, rankings, testShare, seed, minAgreement, ratingsAttribute, ratingsThreshold }
//   → 202 the export job (it streams the files into the data directory; any size)
// GET  /api/v1/projects/:id/exports → the project's recent export jobs
// Researchers of the project and admins; never annotators.
import { enqueueProjectJob, listJobsForActor } from '@/db/queries/jobs';
import { assertCanManageProject } from '@/db/queries/projects';
import { exportSettingsSchema } from '@/lib/data/export-settings';
import { apiRoute, readJson } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

export const POST = apiRoute<{ id: string }>(
  async ({ request, actor, params }) => {
    const { id } = idParamsSchema.parse(params);
    await assertCanManageProject(actor, id);
    const settings = exportSettingsSchema.parse(await readJson(request, {}));
    return { job: await enqueueProjectJob(actor, 'export-dataset', { ...settings, projectId: id }) };
  },
  { status: 202 },
);

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => {
  const { id } = idParamsSchema.parse(params);
  await assertCanManageProject(actor, id);
  return { exports: await listJobsForActor(actor, { projectId: id, kind: 'export-dataset', limit: 20 }) };
});
