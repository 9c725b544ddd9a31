/**
 * Arbiter's web server (entry: scripts/web-server-entry.mjs; `npm start` runs it, `npm run serve` alone):
 * Next's own request handler behind a plain http.Server — Next's documented custom server,
 * next({ dev, dir }) + getRequestHandler() — for one reason: only here is the socket's peer address
 * known. Next copies it into X-Forwarded-For only when the client sent no such header
 * (next/src/server/base-server.ts, "Update the `x-forwarded-*` headers":
 * `req.headers['x-forwarded-for'] ??= socket.remoteAddress`), and route handlers never see the socket.
 * So every request's forwarding headers are rewritten here first (lib/auth/trusted-proxies.ts): from an
 * untrusted peer they are dropped and X-Forwarded-For becomes the peer; from a proxy listed in
 * ARBITER_TRUSTED_PROXIES, the client it reports.
 *
 * It behaves as `next start` does otherwise: the same handler (router-server's initialize), "Ready in" on
 * stdout, graceful close on SIGINT/SIGTERM. Started by scripts/start.ts, or as one of ARBITER_WEB_PROCESSES
 * children by scripts/web-cluster.ts, it tells its parent it is ready over the IPC channel.
 */
import http from 'node:http';
import path from 'node:path';
import { applyForwarding, parseTrustedProxies, resolveForwarding, type TrustedProxies } from '@/lib/auth/trusted-proxies';
import type NextFactory from 'next';
import { sweepOrphanUploads } from '@/lib/data/upload-files';
import { getEnv, loadEnvFiles } from '@/lib/env';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

/** The response header naming the web process that answered (its pid): with ARBITER_WEB_PROCESSES > 1, which one it was. */
export const PROCESS_HEADER = 'X-Arbiter-Process';

/**
 * An http.Server that rewrites each request's forwarding headers from its socket, then hands it to
 * `handler`; every response says which process answered it (PROCESS_HEADER).
 */
export function createWebServer(handler: Handler, trusted: TrustedProxies): http.Server {
  const pid = String(process.pid);
  return http.createServer((req, res) => {
    const socket = req.socket as typeof req.socket & { encrypted?: boolean };
    applyForwarding(req.headers, resolveForwarding(socket.remoteAddress ?? '', req.headers, trusted, socket.encrypted === true));
    res.setHeader(PROCESS_HEADER, pid);
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        console.error(`Failed to handle request for ${req.url}`, error);
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
  });
}

export type WebServerOptions = {
  /** Next's factory (`import next from 'next'`), loaded by scripts/web-server-entry.mjs outside tsx's loader hooks. */
  next: typeof NextFactory;
  dev: boolean;
  /** When the process started (ms), for the "Ready in" line. */
  started: number;
};

/** Prepares Next, then listens on HOSTNAME:PORT with the forwarding-header rewrite in front; closes gracefully on SIGINT/SIGTERM. */
export async function runWebServer({ next, dev, started }: WebServerOptions): Promise<void> {
  loadEnvFiles();
  const env = getEnv();
  const trusted = parseTrustedProxies(env.ARBITER_TRUSTED_PROXIES);

  // A web server restarted after a crash (scripts/start.ts, scripts/web-cluster.ts) may find import files
  // its previous self left in <data>/uploads; files of living processes (a CLI import, a sibling web
  // process) and of other hosts sharing the data directory are kept (lib/data/upload-files.ts).
  const orphans = sweepOrphanUploads();
  if (orphans.length) console.log(`Removed ${orphans.length} temporary import file(s) left by a stopped process`);

  const app = next({ dev, dir: path.resolve('.'), hostname: env.HOSTNAME, port: env.PORT });
  await app.prepare();
  // Next finds this server from the first request's socket for its upgrade (dev HMR) handler.
  const server = createWebServer(app.getRequestHandler(), trusted);

  server.on('error', (error) => {
    console.error('Failed to start the web server:', error.message);
    process.exit(1);
  });
  server.listen(env.PORT, env.HOSTNAME, () => {
    const proxies = trusted.networks.length > 0 ? `trusting X-Forwarded-* from ${trusted.source}` : 'no trusted proxy: X-Forwarded-* headers ignored';
    console.log(` ✓ Ready in ${Date.now() - started}ms on http://${env.HOSTNAME}:${env.PORT} (pid ${process.pid}; ${proxies})`);
    process.send?.({ type: 'ready' });
  });

  let closing = false;
  const close = () => {
    if (closing) return;
    closing = true;
    // Stop accepting, let open requests finish (at most 5 s), then close Next's own resources.
    const force = setTimeout(() => server.closeAllConnections(), 5000).unref();
    server.close(() => {
      clearTimeout(force);
      void app.close().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.on('SIGINT', close);
  process.on('SIGTERM', close);
}
