/**
 * Waiting out a busy database. SQLite allows one writer at a time; a writer that finds the lock taken
 * waits busy_timeout (5 s, db/client.ts) and then fails with SQLITE_BUSY. A worker must not die of that
 * (it used to exit and be restarted in a loop backing off to 30 s): it waits and tries again.
 */

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, …), and SQLITE_LOCKED. */
export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** How long a write keeps retrying after busy_timeout before its error is let through. */
export const BUSY_RETRY_MS = 120_000;

const delayFor = (attempt: number) => Math.min(2000, 50 * 2 ** attempt);

/**
 * Runs a synchronous write, retrying while the database is busy, sleeping in between (the calling thread
 * blocks: for worker processes, whose writes are synchronous calls from job handlers, never the web server).
 */
export function retryWhileBusySync<T>(write: () => T, maxMs = BUSY_RETRY_MS): T {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return write();
    } catch (error) {
      if (!isBusyError(error) || Date.now() - started > maxMs) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delayFor(attempt));
    }
  }
}

/** The same, yielding to the event loop while it waits. */
export async function retryWhileBusy<T>(write: () => T, maxMs = BUSY_RETRY_MS, onRetry?: (error: unknown) => void): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return write();
    } catch (error) {
      if (!isBusyError(error) || Date.now() - started > maxMs) throw error;
      onRetry?.(error);
      await new Promise((resolve) => setTimeout(resolve, delayFor(attempt)));
    }
  }
}
