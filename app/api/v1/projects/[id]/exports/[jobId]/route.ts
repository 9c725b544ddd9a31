// GET /api/v1/projects/:id/exports/:jobId → the export job: status, progress, and when done its files, counts and pre-flight report
import { getJobForActor } from '@/db/queries/jobs';
import { assertCanManageProject } from '@/db/queries/projects';
import { NotFoundError } from '@/lib/auth/access';
import { apiRoute } from '../../../../_lib/api-route';
import { exportParamsSchema } from '../../../../_lib/params';

export const GET = apiRoute<{ id: string; jobId: string }>(({ actor, params }) => {
  const { id, jobId } = exportParamsSchema.parse(params);
  assertCanManageProject(actor, id);
  const job = getJobForActor(actor, jobId);
  if (job.kind !== 'export-dataset' || job.projectId !== id) throw new NotFoundError(`export ${jobId} not found in project ${id}`);
  return { job };
});
