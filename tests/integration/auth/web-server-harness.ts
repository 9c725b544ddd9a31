/**
 * The real web-server front (scripts/web-server.ts createWebServer: header rewriting from the socket)
 * in front of the real auth route (app/api/auth/[...all]/route.ts: better-auth + secure cookies), on a
 * loopback port. Next's router is the one part left out: between the two it only turns the Node request
 * into a `Request`, which `toRequest` does the same way (URL from the rewritten X-Forwarded-Proto, every
 * header passed on). tests/integration/start/ runs the whole of `npm start` with Next in the middle.
 *
 * Clients pick their source address in 127.0.0.0/8 (Linux answers all of it on lo), so a test can
 * speak as a trusted proxy (one address) or as different direct clients (others).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GET, POST } from '@/app/api/auth/[...all]/route';
import { parseTrustedProxies } from '@/lib/auth/trusted-proxies';
import { createWebServer } from '@/scripts/web-server';

async function toRequest(req: http.IncomingMessage): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  const proto = req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  return new Request(`${proto}://${req.headers.host}${req.url}`, { method: req.method, headers, body: chunks.length > 0 ? Buffer.concat(chunks) : undefined });
}

async function authRoute(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const request = await toRequest(req);
  const response = await (request.method === 'GET' ? GET : POST)(request);
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  res.end(Buffer.from(await response.arrayBuffer()));
}

export type Reply = { status: number; body: { message?: string; code?: string; token?: string }; setCookie: string[] };

export type AuthServer = {
  /** POST /api/auth/sign-in/email from source address `from`, with extra headers. */
  signIn(from: string, email: string, password: string, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
};

export async function startAuthServer(trustedProxies?: string): Promise<AuthServer> {
  const server = createWebServer(authRoute, parseTrustedProxies(trustedProxies));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const signIn = (from: string, email: string, password: string, headers: Record<string, string> = {}) =>
    new Promise<Reply>((resolve, reject) => {
      const body = JSON.stringify({ email, password });
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          localAddress: from,
          method: 'POST',
          path: '/api/auth/sign-in/email',
          agent: false,
          headers: { 'content-type': 'application/json', origin: 'http://localhost:3000', 'content-length': Buffer.byteLength(body), ...headers },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Reply['body']) : {}, setCookie: res.headers['set-cookie'] ?? [] }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { signIn, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
