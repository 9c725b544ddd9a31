// GET /api/v1/projects – visible projects; POST – create one (researchers, admins)
import { createProject, listProjectsForActor } from '@/db/queries/projects';
import { createProjectSchema } from '@/lib/projects/settings';
import { apiRoute, readJson } from '../_lib/api-route';

export const GET = apiRoute(async ({ actor }) => ({ projects: await listProjectsForActor(actor) }));

export const POST = apiRoute(async ({ request, actor }) => ({ project: await createProject(actor, createProjectSchema.parse(await readJson(request))) }), { status: 201 });
