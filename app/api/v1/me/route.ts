// GET /api/v1/me – who the session or token belongs to
import { apiRoute } from '../_lib/api-route';

export const GET = apiRoute(({ actor }) => ({ id: actor.id, name: actor.name, email: actor.email, role: actor.role, via: actor.via }));
