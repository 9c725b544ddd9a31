/**
 * Secure cookies behind a TLS-terminating proxy. better-auth decides `Secure` once, from the base URL
 * (create-auth.ts sets useSecureCookies when ARBITER_BASE_URL is https; upstream: better-auth
 * src/cookies/index.ts, createCookieGetter). When Arbiter's base URL is http but a request reached
 * the proxy over https, the auth route marks that response's cookies Secure (RFC 6265 §4.1.2.5), so
 * the browser never sends the session over plain http afterwards.
 *
 * X-Forwarded-Proto is believed here because scripts/web-server.ts has already replaced it on every
 * request: it says https only when a proxy in ARBITER_TRUSTED_PROXIES said so (lib/auth/trusted-proxies.ts).
 */

/** Whether the request reached Arbiter (or its trusted proxy) over https. */
export function requestIsHttps(request: Request): boolean {
  if (new URL(request.url).protocol === 'https:') return true;
  return request.headers.get('x-forwarded-proto')?.split(',').at(-1)?.trim().toLowerCase() === 'https';
}

/** Appends `; Secure` to a Set-Cookie value that lacks it. */
function secureCookie(setCookie: string): string {
  return /;\s*secure\s*(;|$)/i.test(setCookie) ? setCookie : `${setCookie}; Secure`;
}

/** The response with every cookie marked Secure when the request came over https; otherwise the response as it is. */
export function withSecureCookies(request: Request, response: Response): Response {
  const cookies = response.headers.getSetCookie();
  if (cookies.length === 0 || !requestIsHttps(request)) return response;
  const headers = new Headers(response.headers);
  headers.delete('set-cookie');
  for (const cookie of cookies) headers.append('set-cookie', secureCookie(cookie));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
