// GET /api/v1/projects/:id/exports/:jobId → the export job: status, progress, and when done its files, counts and pre-flight report
import { getExportJob } from '@/db/queries/export';
import { apiRoute } from '../../../../_lib/api-route';
import { jobParamsSchema } from '../../../../_lib/params';

export const GET = apiRoute<{ id: string; jobId: string }>(async ({ actor, params }) => {
  const { id, jobId } = jobParamsSchema.parse(params);
  return { job: await getExportJob(actor, id, jobId) };
});
