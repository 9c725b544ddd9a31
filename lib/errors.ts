/** Domain errors shared by every door (REST, server actions, CLI); app/_lib/errors.ts maps them to statuses. */

/** The request is valid but clashes with stored state (HTTP 409): a reused id, an item already answered, a lease given away. */
export class ConflictError extends Error {}

/** The request or upload is larger than a configured limit (HTTP 413); the message names the limit and how to raise it. */
export class PayloadTooLargeError extends Error {}

/** The request is well formed but cannot be carried out on the stored data (HTTP 400), e.g. an export of a project with no comparisons. */
export class InvalidRequestError extends Error {}

/**
 * What a storage failure means to the person who hit it, from better-sqlite3's error codes: a full disk
 * (HTTP 507), read-only storage or an I/O error (503), a damaged file (500 with what to do). SQLite rolls
 * the statement's transaction back in each case, so nothing was half-written. Null for anything else.
 */
export function describeStorageError(error: unknown): { status: number; message: string } | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  if (code === 'SQLITE_FULL') return { status: 507, message: 'the disk holding the data directory is full: nothing was written (the change was rolled back); free some space and try again' };
  if (code.startsWith('SQLITE_READONLY')) return { status: 503, message: 'the data directory is read-only: nothing was written; make it writable for the user running Arbiter' };
  if (code.startsWith('SQLITE_IOERR')) return { status: 503, message: `the disk reported an error (${code}): nothing was written; check the data directory's storage` };
  if (code === 'SQLITE_CANTOPEN') return { status: 503, message: 'the database file cannot be opened: check that the data directory exists and is writable' };
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return { status: 500, message: 'the database file is damaged: stop Arbiter and restore the latest backup (arbiter restore --from <file> --yes)' };
  return null;
}
