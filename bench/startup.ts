/**
 * Foundation figures: cold `next build` time, `npm start` time to ready on a fresh data directory
 * (migrate + admin + demo project + server + workers), and the resident memory of the web server and
 * of each worker after they have sat idle. Writes bench/results/startup.json.
 *   node --import tsx bench/startup.ts [--skip-build] [--idle-seconds 20]
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLine, descendantsOf, rssMiB } from './lib/proc';

const args = process.argv.slice(2);
const idleFlag = args.indexOf('--idle-seconds');
const idleSeconds = idleFlag >= 0 ? Number(args[idleFlag + 1]) : 20;
const PORT = 3293;
const result: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length };

if (!args.includes('--skip-build')) {
  fs.rmSync('.next', { recursive: true, force: true });
  const t = Date.now();
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-if-needed.ts'], { stdio: 'ignore' });
  if (build.status !== 0) throw new Error('build failed');
  result.coldBuildSeconds = (Date.now() - t) / 1000;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-bench-'));
const started = Date.now();
const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
  env: { ...process.env, PORT: String(PORT), HOSTNAME: '127.0.0.1', ARBITER_DATA_DIR: dataDir, ARBITER_WORKERS: '1', ARBITER_ADMIN_EMAIL: 'bench@example.com', ARBITER_ADMIN_PASSWORD: 'bench-password' },
  stdio: ['ignore', 'pipe', 'inherit'],
  detached: true,
});
let out = '';
child.stdout.on('data', (d: Buffer) => (out += d.toString()));
for (;;) {
  const ok = await fetch(`http://127.0.0.1:${PORT}/api/v1/health`).then((r) => r.ok, () => false);
  if (ok && /\] ready/.test(out)) break;
  if (Date.now() - started > 300_000) throw new Error(`not ready:\n${out}`);
  await new Promise((r) => setTimeout(r, 100));
}
result.startToReadySeconds = (Date.now() - started) / 1000;

await new Promise((r) => setTimeout(r, idleSeconds * 1000));
const processes = descendantsOf(child.pid!).map((pid) => ({ pid, cmd: commandLine(pid), rssMiB: rssMiB(pid) }));
const server = processes.filter((p) => /web-server-entry|next/.test(p.cmd));
const workers = processes.filter((p) => /workers\/main\.ts/.test(p.cmd));
result.idleSeconds = idleSeconds;
result.launcherRssMiB = Number(rssMiB(child.pid!).toFixed(1));
result.serverRssMiB = Number(server.reduce((s, p) => s + p.rssMiB, 0).toFixed(1));
result.workerRssMiB = workers.map((p) => Number(p.rssMiB.toFixed(1)));
result.processes = processes.map((p) => ({ ...p, rssMiB: Number(p.rssMiB.toFixed(1)) }));

process.kill(-child.pid!, 'SIGINT');
await new Promise((r) => child.on('exit', r));
fs.rmSync(dataDir, { recursive: true, force: true });

fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/startup.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
