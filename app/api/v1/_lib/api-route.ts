import { getAuth } from '@/db/queries/auth';
import { getUserByApiToken } from '@/db/queries/api-tokens';
import type { Actor } from '@/lib/auth/access';
import { userRoleSchema } from '@/lib/auth/schemas';
import { baseUrl, getEnv } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { describeError } from '@/app/_lib/errors';

/** Bearer API token first (scripts), then the browser's session cookie. */
export async function resolveActor(request: Request): Promise<Actor | null> {
  const header = request.headers.get('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const user = match ? await getUserByApiToken(match[1]!) : undefined;
    if (!user) throw new AppError('unauthorized', 'invalid or revoked API token');
    return { id: user.id, role: user.role, name: user.name, email: user.email, via: 'token' };
  }
  const session = await getAuth().api.getSession({ headers: request.headers });
  if (!session) return null;
  const role = userRoleSchema.safeParse((session.user as { role?: unknown }).role);
  return { id: session.user.id, role: role.success ? role.data : 'annotator', name: session.user.name, email: session.user.email, via: 'session' };
}

export function requireAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new AppError('forbidden', 'only admins can do that');
}

type Handler<P> = (ctx: { request: Request; actor: Actor; params: P }) => Promise<unknown> | unknown;

export type ApiRouteOptions = {
  /** Status of a successful answer that is not already a Response (default 200). */
  status?: number;
  /**
   * What the request body is, for the cross-site rule on cookie-authenticated changes (see assertSameOriginRequest):
   * 'json' (default) requires Content-Type: application/json; 'file' (an upload taken as the raw body) accepts
   * any declared type except the three a cross-site form or no-cors fetch can send without a CORS preflight.
   */
  body?: 'json' | 'file';
  /** Largest body readJson reads on this route, in KB; never more than ARBITER_MAX_JSON_BODY_KB (the default). */
  maxJsonBodyKb?: number;
};

function errorResponse(status: number, message: string, field?: string): Response {
  return Response.json(field ? { error: message, field } : { error: message }, { status });
}

/** Methods that change nothing (RFC 9110 §9.2.1 safe methods); every other one is a state change. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * The request content types a page on another origin can send without a CORS preflight (Fetch standard,
 * "CORS-safelisted request-header" for Content-Type): a form post or a no-cors fetch carries one of these.
 */
const SIMPLE_CONTENT_TYPES = new Set(['text/plain', 'multipart/form-data', 'application/x-www-form-urlencoded']);
const USE_A_TOKEN = 'scripts and other sites must use an API token (Authorization: Bearer …)';

/** The origins a request counts as same-origin with: the one it was addressed to (URL, Host header) and ARBITER_BASE_URL. */
function ownOrigins(request: Request): Set<string> {
  const url = new URL(request.url);
  const origins = new Set([url.origin, new URL(baseUrl()).origin]);
  const host = request.headers.get('host');
  if (host) origins.add(`${url.protocol}//${host}`.toLowerCase());
  // Behind a TLS-terminating proxy the browser's origin is the proxy's (https://public-host). The web server
  // (scripts/web-server.ts) keeps X-Forwarded-Host/Proto only from ARBITER_TRUSTED_PROXIES, and a cross-site
  // page cannot set them itself (custom headers need a CORS preflight, which is never granted).
  const forwardedHost = request.headers.get('x-forwarded-host');
  const forwardedProto = request.headers.get('x-forwarded-proto');
  if (forwardedHost && forwardedProto) origins.add(`${forwardedProto}://${forwardedHost}`.toLowerCase());
  return origins;
}

/**
 * Cross-site request forgery defence for cookie sessions (OWASP CSRF cheat sheet: verify the origin with
 * standard headers, plus a content type no cross-site form can send). The browser attaches the session
 * cookie to requests any page makes — SameSite=Lax does not stop another port of the same host, which is
 * same-site but not same-origin — so a change is accepted only when the browser says it comes from one of
 * our own pages: `Origin` equal to our origin, or, without Origin, `Sec-Fetch-Site: same-origin`.
 * Throws AppError 'forbidden' (403) naming what was wrong.
 */
export function assertSameOriginRequest(request: Request, body: 'json' | 'file' = 'json'): void {
  const origin = request.headers.get('origin');
  if (origin !== null) {
    if (!ownOrigins(request).has(origin.toLowerCase())) throw new AppError('forbidden', `cross-origin request refused: a signed-in change must come from Arbiter's own pages, not from ${origin}; ${USE_A_TOKEN}`);
  } else if (request.headers.get('sec-fetch-site') !== 'same-origin') {
    throw new AppError('forbidden', `request refused: a signed-in change must come from Arbiter's own pages (the browser's Origin header is missing); ${USE_A_TOKEN}`);
  }
  const declared = request.headers.get('content-type');
  const type = declared?.split(';')[0]!.trim().toLowerCase() ?? '';
  if (body === 'json') {
    if (type !== 'application/json') throw new AppError('forbidden', `request refused: a signed-in change must send Content-Type: application/json (got ${declared ? JSON.stringify(declared) : 'none'})`);
  } else if (!type || SIMPLE_CONTENT_TYPES.has(type)) {
    throw new AppError('forbidden', `request refused: send the file with a Content-Type such as application/octet-stream (got ${declared ? JSON.stringify(declared) : 'none'}; text/plain and form types are refused)`);
  }
}

/** The body limit each wrapped request was given, for readJson (a Request carries no route options). */
const jsonBodyLimitKb = new WeakMap<Request, number>();

/** Wraps every /api/v1 handler: authenticate, refuse cross-site changes, run, turn expected errors into JSON with a status. */
export function apiRoute<P = Record<string, never>>(handler: Handler<P>, options: ApiRouteOptions = {}) {
  return async (request: Request, context: { params: Promise<P> }): Promise<Response> => {
    try {
      const actor = await resolveActor(request);
      if (!actor) return errorResponse(401, 'sign in or send an API token (Authorization: Bearer …)');
      // Bearer tokens are never sent by a browser on its own, so only cookie sessions can be forged.
      if (actor.via === 'session' && !SAFE_METHODS.has(request.method.toUpperCase())) assertSameOriginRequest(request, options.body);
      if (options.maxJsonBodyKb !== undefined) jsonBodyLimitKb.set(request, options.maxJsonBodyKb);
      const result = await handler({ request, actor, params: await context.params });
      return result instanceof Response ? result : Response.json(result ?? { ok: true }, { status: options.status ?? 200 });
    } catch (error) {
      const { status, message, field } = describeError(error);
      return errorResponse(status, message, field);
    }
  };
}

function tooLarge(limitKb: number, envKb: number): AppError {
  return new AppError(
    'too-large',
    limitKb < envKb
      ? `the request body is larger than ${limitKb} KB, the most this endpoint reads (ARBITER_MAX_JSON_BODY_KB caps every endpoint, now ${envKb} KB)`
      : `the request body is larger than ${limitKb} KB, the most this server reads as JSON (ARBITER_MAX_JSON_BODY_KB)`,
  );
}

/**
 * The body as text, read chunk by chunk and abandoned as soon as it passes `limitKb` (and before reading
 * when Content-Length already says so), so an oversized body never sits in memory. The rest is left unread,
 * not cancelled: cancelling the stream destroys the socket under Node's HTTP server, and the client would
 * get a reset instead of the 413 (Node discards what is left once the answer is sent).
 */
async function readBodyText(request: Request, limitKb: number, envKb: number): Promise<string> {
  const limit = limitKb * 1024;
  const declared = Number(request.headers.get('content-length') ?? 'NaN');
  if (declared > limit) throw tooLarge(limitKb, envKb);
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw tooLarge(limitKb, envKb);
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  // As Request.text() decodes: UTF-8, a leading BOM dropped, bad sequences replaced.
  return new TextDecoder().decode(Buffer.concat(chunks, size));
}

/**
 * Reads a JSON body, answering 400 (not 500) for malformed JSON and 413 past the route's limit
 * (ApiRouteOptions.maxJsonBodyKb, else ARBITER_MAX_JSON_BODY_KB); an empty body reads as `emptyAs`.
 */
export async function readJson(request: Request, emptyAs?: unknown): Promise<unknown> {
  const envKb = getEnv().ARBITER_MAX_JSON_BODY_KB;
  const text = await readBodyText(request, Math.min(jsonBodyLimitKb.get(request) ?? envKb, envKb), envKb);
  if (!text.trim() && emptyAs !== undefined) return emptyAs;
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('invalid', 'the request body must be JSON');
  }
}
