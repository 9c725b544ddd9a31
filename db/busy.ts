/**
 * Waiting out a busy database. SQLite allows one writer at a time; a write transaction that finds the
 * lock taken waits BUSY_TIMEOUT_MS (db/sqlite-connections.ts) and then fails with SQLITE_BUSY. A worker must not die
 * of that (it used to exit and be restarted in a loop backing off to 30 s): it waits and tries again.
 */
import { databaseErrorCode } from '@/lib/errors';

/**
 * SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, …), and SQLITE_LOCKED; on PostgreSQL a lock wait
 * past lock_timeout (55P03), a serialization failure (40001) or a deadlock the server broke (40P01): in every
 * case the transaction was rolled back whole and may simply run again.
 */
export function isBusyError(error: unknown): boolean {
  const code = databaseErrorCode(error);
  return code !== null && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'PG_55P03' || code === 'PG_40001' || code === 'PG_40P01');
}

/** How long a write keeps retrying after busy_timeout before its error is let through. */
export const BUSY_RETRY_MS = 120_000;

const delayFor = (attempt: number) => Math.min(2000, 50 * 2 ** attempt);

/** Runs a write (a whole write transaction), retrying while the database is busy, yielding to the event loop in between. */
export async function retryWhileBusy<T>(write: () => Promise<T>, maxMs = BUSY_RETRY_MS, onRetry?: (error: unknown) => void): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isBusyError(error) || Date.now() - started > maxMs) throw error;
      onRetry?.(error);
      await new Promise((resolve) => setTimeout(resolve, delayFor(attempt)));
    }
  }
}
