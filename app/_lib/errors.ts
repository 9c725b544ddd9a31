import { ZodError } from 'zod';
import { AppError, describeStorageError, formatZodIssues } from '@/lib/errors';

/**
 * Maps an error to an HTTP status and a message safe to show (lib/errors.ts has the table): an AppError by
 * its code, a ZodError as 400 naming the field; unexpected errors are logged, not shown.
 */
export function describeError(error: unknown): { status: number; message: string; field?: string } {
  if (error instanceof ZodError) {
    const { message, field } = formatZodIssues(error);
    return { status: 400, message, field };
  }
  if (error instanceof AppError) {
    const field = error.details.field;
    return { status: error.status, message: field ? `${field}: ${error.message}` : error.message, field };
  }
  console.error(error);
  const storage = describeStorageError(error);
  if (storage) return { status: storage.status, message: storage.message };
  return { status: 500, message: 'Something went wrong on the server; the error was logged.' };
}
