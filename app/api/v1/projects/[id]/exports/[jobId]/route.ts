// GET /api/v1/projects/:id/exports/:jobId → the export job: status, progress, and when done its files, counts and pre-flight report
import { getExportJob } from '@/db/queries/export';
import { apiRoute } from '../../../../_lib/api-route';
import { exportParamsSchema } from '../../../../_lib/params';

export const GET = apiRoute<{ id: string; jobId: string }>(({ actor, params }) => {
  const { id, jobId } = exportParamsSchema.parse(params);
  return { job: getExportJob(actor, id, jobId) };
});
