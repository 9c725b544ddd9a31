// GET /api/v1/workers – the worker registry (admin): every registered worker, live ones first
import { listWorkers } from '@/db/queries/workers';
import { apiRoute, requireAdmin } from '../_lib/api-route';

export const GET = apiRoute(async ({ actor }) => {
  requireAdmin(actor);
  return { workers: await listWorkers() };
});
