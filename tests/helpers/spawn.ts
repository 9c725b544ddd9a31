import { spawn, type ChildProcess } from 'node:child_process';

/** Runs a TypeScript file in a fresh Node process (tsx), with the test's data directory in its env. */
export function spawnTs(file: string, args: string[] = [], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export type Finished = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

export function collect(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

export async function runTs(file: string, args: string[] = [], env: Record<string, string> = {}): Promise<Finished> {
  return collect(spawnTs(file, args, env));
}

/** Polls `probe` (sync, or async such as a database read) until it returns something truthy. */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, intervalMs = 5): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
