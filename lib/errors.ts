/**
 * The one error type. Every failure a person is meant to read — a missing project, a refused change, a bad
 * file — is an AppError with a code, and every door answers it through ERROR_CODES: the REST API and the
 * server actions (app/_lib/errors.ts) with the HTTP status, the CLI (cli/run-cli.ts) with the exit code. The
 * message is written for the person who hit it and is shown as it is. Anything else that is thrown is a bug
 * (or a storage failure, see describeStorageError): logged, and answered 500 / exit 1.
 */
import type { ZodError } from 'zod';

export type AppErrorCode = 'invalid' | 'usage' | 'bad-file' | 'bad-row' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict' | 'too-large' | 'cancelled' | 'damaged' | 'unavailable' | 'insufficient-storage';

/** What each code answers: `status` on HTTP (REST and server actions), `exit` from the CLI. */
export const ERROR_CODES: Record<AppErrorCode, { status: number; exit: number }> = {
  /** The request cannot be carried out as given: a bad value, a malformed body, a rule of the project, an export with nothing in it. */
  invalid: { status: 400, exit: 1 },
  /** A bad command line: a missing or malformed option (the CLI prints it without a stack trace). */
  usage: { status: 400, exit: 2 },
  /** A file the caller named or sent cannot be used as a whole (encoding, container, no format fits, not a backup): nothing was written. */
  'bad-file': { status: 400, exit: 2 },
  /** One record of an import file is wrong. The parsers catch it and report its line, so it is never an answer on its own. */
  'bad-row': { status: 400, exit: 1 },
  /** No one is signed in, or the API token is invalid or revoked. */
  unauthorized: { status: 401, exit: 1 },
  /** Signed in, but not allowed to do this. */
  forbidden: { status: 403, exit: 1 },
  /** Missing — or hidden from the caller, who gets the same answer as for a missing id. */
  'not-found': { status: 404, exit: 1 },
  /** Valid, but it clashes with stored state: a reused id, an item already answered, a lease given away, an email already taken. */
  conflict: { status: 409, exit: 1 },
  /** Larger than a configured limit; the message names the limit and the variable that raises it. */
  'too-large': { status: 413, exit: 1 },
  /** The client went away and the work was stopped (499 is nginx's "client closed request"). */
  cancelled: { status: 499, exit: 1 },
  /** The database file is damaged. */
  damaged: { status: 500, exit: 1 },
  /** The storage cannot be written or read: read-only, an I/O error, a file that cannot be opened. */
  unavailable: { status: 503, exit: 1 },
  /** The disk is full. */
  'insufficient-storage': { status: 507, exit: 1 },
};

export type AppErrorDetails = {
  /** The input field the error is about: HTTP answers name it (`field: message`, and `field` for the form). */
  field?: string;
  /** 'bad-file' when no import format fits: the file's own field names, for the column-mapping editor. */
  columns?: string[];
  /** 'invalid' rows of an all-or-nothing write, each with its 1-based row number. */
  rows?: { row: number; message: string }[];
};

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details: AppErrorDetails = {},
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }
}

/** True when `error` is an AppError with one of `codes`. */
export function isAppError(error: unknown, ...codes: [AppErrorCode, ...AppErrorCode[]]): error is AppError {
  return error instanceof AppError && codes.includes(error.code);
}

/**
 * The first issue of a zod error, as every door shows it. `field` is the issue's dotted path (none when the
 * issue is about the whole input); `reason` is what is wrong; `message` is `field: reason`, or
 * `whole: reason` when there is no field and the caller names the whole input (`input`, `payload`, …),
 * else the bare reason.
 */
export function formatZodIssues(error: ZodError, whole?: string): { message: string; field?: string; reason: string } {
  const issue = error.issues[0];
  const field = issue?.path.join('.') || undefined;
  const reason = issue?.message ?? 'invalid';
  const label = field ?? whole;
  return { message: label ? `${label}: ${reason}` : reason, field, reason };
}

/**
 * The database driver's error code of an error or of the error it wraps (drizzle rethrows a failed statement
 * as a DrizzleQueryError whose `cause` is the driver's error): better-sqlite3's `SQLITE_BUSY`, …, or
 * PostgreSQL's SQLSTATE prefixed `PG_` (`PG_55P03`, …; node-postgres's DatabaseError carries a `severity`).
 */
export function databaseErrorCode(error: unknown): string | null {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const { code, severity } = current as { code?: unknown; severity?: unknown };
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
    if (typeof code === 'string' && typeof severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) return `PG_${code}`;
  }
  return null;
}

/**
 * What a storage failure means to the person who hit it, from better-sqlite3's error codes: a full disk
 * (HTTP 507), read-only storage or an I/O error (503), a damaged file (500 with what to do). SQLite rolls
 * the statement's transaction back in each case, so nothing was half-written. Null for anything else.
 */
export function describeStorageError(error: unknown): AppError | null {
  const code = databaseErrorCode(error);
  if (code === null) return null;
  // Another write held the lock past the wait (db/busy.ts): the transaction was rolled back whole; retrying is safe.
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'PG_55P03' || code === 'PG_40001' || code === 'PG_40P01') {
    return new AppError('unavailable', 'the database is busy with another write (an import committing, a backup): nothing was written; try again in a moment');
  }
  if (code === 'SQLITE_FULL') return new AppError('insufficient-storage', 'the disk holding the data directory is full: nothing was written (the change was rolled back); free some space and try again');
  if (code.startsWith('SQLITE_READONLY')) return new AppError('unavailable', 'the data directory is read-only: nothing was written; make it writable for the user running Arbiter');
  if (code.startsWith('SQLITE_IOERR')) return new AppError('unavailable', `the disk reported an error (${code}): nothing was written; check the data directory's storage`);
  if (code === 'SQLITE_CANTOPEN') return new AppError('unavailable', 'the database file cannot be opened: check that the data directory exists and is writable');
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return new AppError('damaged', 'the database file is damaged: stop Arbiter and restore the latest backup (arbiter restore --from <file> --yes)');
  // PostgreSQL (SQLSTATE classes 53 and 57, appendix A of its manual): the server's disk, or the server going away.
  if (code === 'PG_53100') return new AppError('insufficient-storage', "the database server's disk is full: nothing was written (the change was rolled back); free some space and try again");
  if (code.startsWith('PG_53') || code.startsWith('PG_57P')) return new AppError('unavailable', `the database server cannot serve requests now (${code.slice(3)}): nothing was written; try again shortly`);
  return null;
}
