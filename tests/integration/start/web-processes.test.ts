/**
 * `npm start` with ARBITER_WEB_PROCESSES=2 (scripts/web-cluster.ts): two web processes share the port and
 * serve one database. Fresh connections are answered by both (X-Arbiter-Process names the pid); the
 * per-address sign-in limit is one budget whichever process answers; a session made through one is good on
 * the other; a job enqueued through one reaches a job stream (SSE) held open on the other; a web process
 * killed with SIGKILL is started again while the other keeps answering; SIGTERM to `npm start` stops every
 * process. Builds the app if needed. Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { isProcessAlive } from '@/lib/process-alive';
import { waitFor } from '../../helpers/spawn';

const ADMIN = { email: 'admin@web-processes.test', password: 'plum orbit kettle' };

/** A port nobody listens on now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

type Reply = { status: number; pid: number; body: string; setCookie: string[] };

/**
 * One request on a connection of its own (agent: false, so `Connection: close`): the cluster primary hands
 * every new connection to the next web process. `from` picks the client's address in 127.0.0.0/8.
 */
function call(port: number, method: string, path: string, options: { cookie?: string; json?: unknown; from?: string } = {}): Promise<Reply> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: http.OutgoingHttpHeaders = { origin: `http://127.0.0.1:${port}` };
  if (options.cookie) headers.cookie = options.cookie;
  if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false, localAddress: options.from }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, pid: Number(res.headers['x-arbiter-process']), body: text, setCookie: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Stream = { pid: number; jobIds: () => number[]; close: () => void };

/** Opens a Server-Sent Events stream (on a connection of its own) and collects the job ids its `jobs` events list. */
function openStream(port: number, path: string, cookie: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { cookie, accept: 'text/event-stream' }, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${path}: ${res.statusCode}`));
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('error', () => undefined); // the stream ends when its process dies or is closed here
      const jobIds = () =>
        text
          .split('\n\n')
          .filter((block) => block.startsWith('event: jobs\n'))
          .flatMap((block) => (JSON.parse(block.slice(block.indexOf('data: ') + 6)) as { id: number }[]).map((job) => job.id));
      resolve({ pid: Number(res.headers['x-arbiter-process']), jobIds, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

describe('npm start with ARBITER_WEB_PROCESSES=2', () => {
  it('answers from both processes, shares sessions, limits and job events between them, restarts a killed one, and stops on SIGTERM', { timeout: 480_000 }, async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOSTNAME: '127.0.0.1',
      ARBITER_WEB_PROCESSES: '2',
      ARBITER_WORKERS: '0',
      ARBITER_DEMO: 'false',
      ARBITER_ADMIN_EMAIL: ADMIN.email,
      ARBITER_ADMIN_PASSWORD: ADMIN.password,
      ARBITER_SIGNIN_RATE_LIMIT: '3',
    };
    delete env.ARBITER_TRUSTED_PROXIES;
    delete env.ARBITER_BASE_URL;
    const launcher = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    launcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
    launcher.stderr.on('data', (d: Buffer) => (out += d.toString()));
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', (code) => resolve((exitCode = code))));
    const streams: Stream[] = [];
    try {
      const ready = await waitFor(() => {
        if (exitCode !== undefined) throw new Error(`npm start exited early (${exitCode}):\n${out}`);
        return /✓ 2 web processes ready on \S+ \(pids (\d+), (\d+); primary (\d+)\)/.exec(out) ?? undefined;
      }, 460_000, 200);
      const primary = Number(ready[3]);
      const children = [Number(ready[1]), Number(ready[2])].sort((a, b) => a - b);
      // Each child's own "Ready" line names it.
      for (const pid of children) expect(out).toMatch(new RegExp(`Ready in \\d+ms on http://127\\.0\\.0\\.1:${port} \\(pid ${pid};`));

      // Fresh connections are shared out between the two processes.
      const health = await Promise.all(Array.from({ length: 10 }, () => call(port, 'GET', '/api/v1/health')));
      expect(health.map((r) => r.status)).toEqual(Array<number>(10).fill(200));
      expect([...new Set(health.map((r) => r.pid))].sort((a, b) => a - b)).toEqual(children);

      // One client (127.0.0.2) guessing through both processes meets one per-address limit (3 here), not one per process.
      const guesses: Reply[] = [];
      for (let i = 0; i < 4; i++) guesses.push(await call(port, 'POST', '/api/auth/sign-in/email', { from: '127.0.0.2', json: { email: `nobody${i}@web-processes.test`, password: 'wrong-guess' } }));
      expect(guesses.map((r) => r.status)).toEqual([401, 401, 401, 429]);
      expect(new Set(guesses.slice(0, 3).map((r) => r.pid)).size).toBe(2);

      // A session made through one process is good on the other.
      const signedIn = await call(port, 'POST', '/api/auth/sign-in/email', { json: ADMIN });
      expect(signedIn.status, signedIn.body).toBe(200);
      const cookie = signedIn.setCookie.map((c) => c.split(';')[0]).join('; ');
      const other = children.find((pid) => pid !== signedIn.pid)!;
      const meElsewhere = await waitFor(async () => {
        const reply = await call(port, 'GET', '/api/v1/me', { cookie });
        return reply.pid === other && reply;
      }, 10_000);
      expect(meElsewhere.status).toBe(200);
      expect((JSON.parse(meElsewhere.body) as { email: string }).email).toBe(ADMIN.email);

      const created = await call(port, 'POST', '/api/v1/projects', { cookie, json: { name: 'two processes' } });
      expect(created.status, created.body).toBe(201);
      const projectId = (JSON.parse(created.body) as { project: { id: number } }).project.id;

      // A job stream open on each process; a job enqueued through either reaches both.
      while (new Set(streams.map((s) => s.pid)).size < 2) {
        const stream = await openStream(port, `/api/v1/jobs/events?project=${projectId}`, cookie);
        if (streams.some((s) => s.pid === stream.pid)) stream.close();
        else streams.push(stream);
        expect(streams.length + 1).toBeLessThan(10);
      }
      const enqueued = await call(port, 'POST', `/api/v1/projects/${projectId}/stats`, { cookie, json: {} });
      expect(enqueued.status, enqueued.body).toBe(202);
      const jobId = (JSON.parse(enqueued.body) as { job: { id: number } }).job.id;
      const elsewhere = streams.find((s) => s.pid !== enqueued.pid)!;
      await waitFor(() => elsewhere.jobIds().includes(jobId), 20_000, 50);
      await waitFor(() => streams.every((s) => s.jobIds().includes(jobId)), 20_000, 50);
      for (const stream of streams.splice(0)) stream.close();

      // One process killed outright: the other answers every request meanwhile, and the primary starts a new one.
      const [killed, survivor] = children as [number, number];
      process.kill(killed, 'SIGKILL');
      await waitFor(() => !isProcessAlive(killed), 5000, 20);
      const meanwhile = await Promise.all(Array.from({ length: 6 }, () => call(port, 'GET', '/api/v1/health')));
      expect(meanwhile.map((r) => [r.status, r.pid])).toEqual(Array(6).fill([200, survivor]));
      const replacement = await waitFor(async () => {
        const reply = await call(port, 'GET', '/api/v1/me', { cookie });
        return reply.pid !== survivor && reply;
      }, 60_000, 100);
      expect(replacement.status).toBe(200);
      expect(replacement.pid).not.toBe(killed);
      expect(out).toMatch(new RegExp(`web process ${killed} exited \\(SIGKILL\\)\\nrestarting web process [12] of 2 in 1 s`));
      expect(exitCode).toBeUndefined();
      expect(isProcessAlive(primary)).toBe(true);

      // SIGTERM to npm start alone (not its process group): it reaches the primary, which stops both processes.
      process.kill(launcher.pid!, 'SIGTERM');
      expect(await exited).toBe(0);
      const everyone = [primary, survivor, replacement.pid];
      await waitFor(() => !everyone.some(isProcessAlive), 10_000, 50);
      await expect(call(port, 'GET', '/api/v1/health')).rejects.toThrow();
    } finally {
      for (const stream of streams) stream.close();
      if (exitCode === undefined) process.kill(-launcher.pid!, 'SIGKILL');
    }
  });
});
