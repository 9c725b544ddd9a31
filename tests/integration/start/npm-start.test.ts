import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/spawn';

const PORT = 3291;

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start (scripts/start.ts)', () => {
  it('builds if needed, sets up a fresh data dir, runs the server with N workers, and one Ctrl-C stops them all', { timeout: 420_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-start-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(PORT), HOSTNAME: '127.0.0.1', ARBITER_DATA_DIR: dataDir, ARBITER_WORKERS: '2', ARBITER_DEMO: 'true' };
    delete env.ARBITER_ADMIN_EMAIL;
    delete env.ARBITER_ADMIN_PASSWORD;
    // Its own process group, so the signal below reaches every process, as a terminal's Ctrl-C does.
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve((exitCode = code))));

    await waitFor(() => {
      if (exitCode !== undefined) throw new Error(`npm start exited early (${exitCode}):\n${out}`);
      return (out.match(/\[worker [^\]]+\] ready/g) ?? []).length === 2 && /Ready in/.test(out);
    }, 400_000, 200);
    const health = await fetch(`http://127.0.0.1:${PORT}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(out).toMatch(/No users yet\. Create the admin account here \(one-time link, valid 24 h\):\n\s+http:\/\/localhost:3291\/invite\/inv_/);
    expect(out).toMatch(/Demo project created: http:\/\/localhost:3291\/projects\/1/);
    expect(fs.existsSync(path.join(dataDir, 'arbiter.db'))).toBe(true);

    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect((out.match(/\[worker [^\]]+\] stopped/g) ?? []).length).toBe(2);
    await waitFor(() => !groupAlive(child.pid!), 10_000, 50);
    await expect(fetch(`http://127.0.0.1:${PORT}/api/v1/health`)).rejects.toThrow();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
