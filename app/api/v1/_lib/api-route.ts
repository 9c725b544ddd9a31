import { getAuth } from '@/db/queries/auth';
import { getUserByApiToken } from '@/db/queries/api-tokens';
import { AccessDeniedError, type Actor } from '@/lib/auth/access';
import { userRoleSchema } from '@/lib/auth/schemas';
import { BadRequestError, describeError } from '@/app/_lib/errors';

export class UnauthorizedError extends Error {}

/** Bearer API token first (scripts), then the browser's session cookie. */
export async function resolveActor(request: Request): Promise<Actor | null> {
  const header = request.headers.get('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const user = match ? getUserByApiToken(match[1]!) : undefined;
    if (!user) throw new UnauthorizedError('invalid or revoked API token');
    return { id: user.id, role: user.role, name: user.name, email: user.email, via: 'token' };
  }
  const session = await getAuth().api.getSession({ headers: request.headers });
  if (!session) return null;
  const role = userRoleSchema.safeParse((session.user as { role?: unknown }).role);
  return { id: session.user.id, role: role.success ? role.data : 'annotator', name: session.user.name, email: session.user.email, via: 'session' };
}

export function requireAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new AccessDeniedError('only admins can do that');
}

type Handler<P> = (ctx: { request: Request; actor: Actor; params: P }) => Promise<unknown> | unknown;

function errorResponse(status: number, message: string, field?: string): Response {
  return Response.json(field ? { error: message, field } : { error: message }, { status });
}

/** Wraps every /api/v1 handler: authenticate, run, turn expected errors into JSON with a status. */
export function apiRoute<P = Record<string, never>>(handler: Handler<P>, options: { status?: number } = {}) {
  return async (request: Request, context: { params: Promise<P> }): Promise<Response> => {
    try {
      const actor = await resolveActor(request);
      if (!actor) return errorResponse(401, 'sign in or send an API token (Authorization: Bearer …)');
      const result = await handler({ request, actor, params: await context.params });
      return result instanceof Response ? result : Response.json(result ?? { ok: true }, { status: options.status ?? 200 });
    } catch (error) {
      if (error instanceof UnauthorizedError) return errorResponse(401, error.message);
      const { status, message, field } = describeError(error);
      return errorResponse(status, message, field);
    }
  };
}

/** Reads a JSON body, answering 400 (not 500) for malformed JSON; an empty body reads as `emptyAs`. */
export async function readJson(request: Request, emptyAs?: unknown): Promise<unknown> {
  const text = await request.text();
  if (!text.trim() && emptyAs !== undefined) return emptyAs;
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError('the request body must be JSON');
  }
}
