/**
 * `npm start`'s web server, whole (launcher → scripts/web-server.ts → Next → route handlers → better-auth):
 * a client's X-Forwarded-For changes nothing, and a web server that dies (SIGKILL, as the kernel's OOM
 * killer does) is started again while the launcher and the workers keep running, still holding the
 * per-address limit a client had reached (it is kept in the database). Builds the app if needed.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/spawn';

const PORT = 3294;
const BASE = `http://127.0.0.1:${PORT}`;
const ADMIN = { email: 'admin@start.test', password: 'plum orbit kettle' };

function childrenOf(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A sign-in from the client address `from` (in 127.0.0.0/8, which Linux answers on lo). */
const signIn = (email: string, password: string, forwardedFor: string, from = '127.0.0.1') =>
  new Promise<{ status: number; setCookie: string[] }>((resolve, reject) => {
    const body = JSON.stringify({ email, password });
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), origin: `http://localhost:${PORT}`, 'x-forwarded-for': forwardedFor };
    const req = http.request({ host: '127.0.0.1', port: PORT, method: 'POST', path: '/api/auth/sign-in/email', headers, localAddress: from, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', reject);
    req.end(body);
  });

describe('npm start: the web server', () => {
  it('ignores client-sent X-Forwarded-For, and is restarted after a SIGKILL while the launcher and workers run on', { timeout: 480_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-web-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(PORT),
      HOSTNAME: '127.0.0.1',
      ARBITER_DATA_DIR: dataDir,
      ARBITER_WORKERS: '1',
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
    try {
      await waitFor(() => {
        if (exitCode !== undefined) throw new Error(`npm start exited early (${exitCode}):\n${out}`);
        return /\[worker [^\]]+\] ready/.test(out) && /Ready in/.test(out);
      }, 420_000, 200);

      // Through Next: the per-IP limit (3 here) holds whatever X-Forwarded-For says, and the session records the socket's address.
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await signIn(`nobody${i}@start.test`, 'wrong-guess', `198.51.100.${i}`)).status);
      expect(statuses).toEqual([401, 401, 401, 429]);

      const kids = childrenOf(launcher.pid!);
      const webServer = kids.find((pid) => commandLine(pid).includes('scripts/web-server-entry.mjs'));
      const workers = kids.filter((pid) => commandLine(pid).includes('workers/main.ts'));
      expect(webServer, `launcher children: ${kids.map(commandLine).join(' | ')}`).toBeDefined();
      expect(workers).toHaveLength(1);

      // An upload the dying server leaves behind (its pid in the name) is swept when the new one starts.
      const orphan = path.join(dataDir, 'uploads', `${webServer}-${crypto.randomUUID()}.jsonl`);
      fs.mkdirSync(path.dirname(orphan), { recursive: true });
      fs.writeFileSync(orphan, '{}\n');

      const killedAt = Date.now();
      process.kill(webServer!, 'SIGKILL');
      await waitFor(() => !alive(webServer!), 5000, 20);
      let answering = false;
      while (!answering && Date.now() - killedAt < 60_000) {
        answering = await fetch(`${BASE}/api/v1/health`).then((r) => r.status === 200, () => false);
        if (!answering) await new Promise((r) => setTimeout(r, 100));
      }
      expect(answering, out).toBe(true);
      console.log(`web server answering again ${(Date.now() - killedAt) / 1000} s after SIGKILL`);

      expect(exitCode).toBeUndefined();
      expect(alive(launcher.pid!)).toBe(true);
      expect(workers.every(alive)).toBe(true);
      const restarted = childrenOf(launcher.pid!).find((pid) => commandLine(pid).includes('scripts/web-server-entry.mjs'));
      expect(restarted).toBeDefined();
      expect(restarted).not.toBe(webServer);
      expect(out).toMatch(/web server exited \(SIGKILL\)\nrestarting web server in 1 s/);
      expect(fs.existsSync(orphan), 'the dead server\'s upload is removed at restart').toBe(false);

      // The restarted server has not forgotten the budget 127.0.0.1 spent above (the limit is in the database)...
      expect((await signIn(ADMIN.email, ADMIN.password, '6.6.6.6')).status).toBe(429);
      // ...and serves sign-in to another address; its session records that address, not the forwarded one.
      const signedIn = await signIn(ADMIN.email, ADMIN.password, '6.6.6.6', '127.0.0.3');
      expect(signedIn.status).toBe(200);
      const cookie = signedIn.setCookie.map((c) => c.split(';')[0]).join('; ');
      const sessions = (await (await fetch(`${BASE}/api/auth/list-sessions`, { headers: { cookie } })).json()) as { ipAddress: string }[];
      expect(sessions.map((s) => s.ipAddress)).toEqual(['127.0.0.3']);
    } finally {
      process.kill(-launcher.pid!, 'SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(/\[worker [^\]]+\] stopped/);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
