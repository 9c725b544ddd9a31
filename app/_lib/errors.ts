import { ZodError } from 'zod';
import { DuplicateEmailError } from '@/db/queries/users';
import { InviteError } from '@/db/queries/invites';
import { AccessDeniedError, NotFoundError } from '@/lib/auth/access';
import { JudgmentValidationError } from '@/lib/annotation/judgment-input';
import { ConflictError, InvalidRequestError, PayloadTooLargeError, describeStorageError, formatZodIssues } from '@/lib/errors';
import { JobPayloadError } from '@/db/queries/queue';

/** Maps an error to an HTTP status and a message safe to show; unexpected errors are logged, not shown. */
/** A malformed request (bad JSON, bad query string). */
export class BadRequestError extends Error {}

export function describeError(error: unknown): { status: number; message: string; field?: string } {
  if (error instanceof ZodError) {
    const { message, field } = formatZodIssues(error);
    return { status: 400, message, field };
  }
  if (error instanceof NotFoundError) return { status: 404, message: error.message };
  if (error instanceof AccessDeniedError) return { status: 403, message: error.message };
  if (error instanceof DuplicateEmailError) return { status: 409, message: error.message };
  if (error instanceof JudgmentValidationError) return { status: 400, message: `${error.field}: ${error.message}`, field: error.field };
  if (error instanceof ConflictError) return { status: 409, message: error.message };
  if (error instanceof PayloadTooLargeError) return { status: 413, message: error.message };
  if (error instanceof BadRequestError || error instanceof InvalidRequestError) return { status: 400, message: error.message };
  if (error instanceof InviteError || error instanceof JobPayloadError) return { status: 400, message: error.message };
  const storage = describeStorageError(error);
  if (storage) {
    console.error(error);
    return storage;
  }
  console.error(error);
  return { status: 500, message: 'Something went wrong on the server; the error was logged.' };
}
