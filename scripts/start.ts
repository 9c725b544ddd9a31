/**
 * `npm start`: build if needed, migrate, first-start set-up (admin or setup link, demo project),
 * then the web server and ARBITER_WORKERS workers together. One Ctrl-C stops them all.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { getEnv, loadEnvFiles } from '@/lib/env';
import { buildIfNeeded } from './build-if-needed';

loadEnvFiles();
const env = getEnv();
buildIfNeeded();
// Migrations and first-start set-up run once, before any child starts, in a process of their own.
const setup = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/setup.ts'], { stdio: 'inherit' });
if (setup.status !== 0) process.exit(setup.status ?? 1);

const children = new Set<ChildProcess>();
let stopping = false;

function run(name: string, args: string[], onExit: (code: number | null) => void): ChildProcess {
  const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  children.add(child);
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (!stopping) console.error(`${name} exited (${signal ?? code})`);
    onExit(code);
  });
  return child;
}

function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
  }, 10_000);
  const wait = setInterval(() => {
    if (children.size === 0) {
      clearInterval(wait);
      clearTimeout(force);
      process.exit(code);
    }
  }, 50);
}

const restartDelays = new Map<number, number>();

/** A crashed worker is restarted, waiting 1 s, then twice as long after each quick crash (30 s at most). */
function startWorker(index: number): void {
  const startedAt = Date.now();
  run(`worker ${index}`, ['--import', 'tsx', 'workers/main.ts'], () => {
    if (stopping) return;
    const delay = Date.now() - startedAt > 60_000 ? 1000 : Math.min(30_000, (restartDelays.get(index) ?? 500) * 2);
    restartDelays.set(index, delay);
    console.error(`restarting worker ${index} in ${delay / 1000} s`);
    setTimeout(() => !stopping && startWorker(index), delay);
  });
}

run('web server', ['node_modules/next/dist/bin/next', 'start', '-p', String(env.PORT), '-H', env.HOSTNAME], (code) => stop(code ?? 1));
for (let i = 1; i <= env.ARBITER_WORKERS; i++) startWorker(i);

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
