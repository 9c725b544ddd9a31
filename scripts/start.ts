/**
 * `npm start`: build if needed, migrate, first-start set-up (admin or setup link, demo project),
 * then the web server (scripts/web-server.ts; ARBITER_WEB_PROCESSES of them behind one port,
 * scripts/web-cluster.ts) and ARBITER_WORKERS workers together, each restarted with backoff if it dies.
 * One Ctrl-C (or SIGTERM) stops them all.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { getEnv, loadEnvFiles } from '@/lib/env';
import { buildIfNeeded } from './build-if-needed';
import { restartBackoff } from './restart-backoff';

loadEnvFiles();
const env = getEnv();
buildIfNeeded();
// Migrations and first-start set-up run once, before any child starts, in a process of their own.
const setup = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/setup.ts'], { stdio: 'inherit' });
if (setup.status !== 0) process.exit(setup.status ?? 1);

const children = new Set<ChildProcess>();
let stopping = false;

function run(name: string, args: string[], onExit: (code: number | null) => void, onMessage?: (message: unknown) => void): ChildProcess {
  // An IPC channel only for a child that reports readiness (it would keep any other child's event loop alive).
  const stdio: StdioOptions = onMessage ? ['inherit', 'inherit', 'inherit', 'ipc'] : 'inherit';
  const child = spawn(process.execPath, args, { stdio, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  children.add(child);
  if (onMessage) child.on('message', onMessage);
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

/**
 * Runs a child and restarts it whenever it dies (out of memory, a crash, a kill -9) until Ctrl-C or
 * SIGTERM: after 1 s, then twice as long after each quick crash (30 s at most); a child that ran for
 * a minute starts again from 1 s.
 */
function supervise(name: string, args: string[], options: { onFirstStartFailure?: () => void } = {}): void {
  const nextDelay = restartBackoff();
  let everReady = false;
  const start = () => {
    const startedAt = Date.now();
    run(
      name,
      args,
      () => {
        if (stopping) return;
        // A web server that never became ready (port taken, bad configuration) would fail the same way again.
        if (!everReady && options.onFirstStartFailure) return options.onFirstStartFailure();
        const delay = nextDelay(Date.now() - startedAt);
        console.error(`restarting ${name} in ${delay / 1000} s`);
        setTimeout(() => !stopping && start(), delay);
      },
      (message) => {
        if ((message as { type?: unknown } | null)?.type === 'ready') everReady = true;
      },
    );
  };
  start();
}

supervise('web server', ['scripts/web-server-entry.mjs'], { onFirstStartFailure: () => stop(1) });
for (let i = 1; i <= env.ARBITER_WORKERS; i++) supervise(`worker ${i}`, ['--import', 'tsx', 'workers/main.ts']);

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
