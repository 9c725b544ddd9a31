/** Builds Requests for calling route handlers directly (no server), as the browser or a script would. */
export function apiRequest(path: string, options: { method?: string; token?: string; body?: unknown; rawBody?: string; cookie?: string } = {}): Request {
  const headers: Record<string, string> = { origin: 'http://localhost:3000' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  if (options.body !== undefined || options.rawBody !== undefined) headers['content-type'] = 'application/json';
  return new Request(`http://localhost:3000${path}`, {
    method: options.method ?? 'GET',
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
}

export const params = <P>(value: P) => ({ params: Promise.resolve(value) });
export const noParams = params({} as Record<string, never>);
