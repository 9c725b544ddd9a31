import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { describeError } from '@/app/_lib/errors';
import { AppError, describeStorageError, ERROR_CODES, formatZodIssues, isAppError, type AppErrorCode } from '@/lib/errors';

describe('the error codes', () => {
  it('answer each code with its HTTP status and CLI exit code', () => {
    const table = Object.fromEntries(Object.entries(ERROR_CODES).map(([code, { status, exit }]) => [code, `${status} / ${exit}`]));
    expect(table).toEqual({
      invalid: '400 / 1',
      usage: '400 / 2',
      'bad-file': '400 / 2',
      'bad-row': '400 / 1',
      unauthorized: '401 / 1',
      forbidden: '403 / 1',
      'not-found': '404 / 1',
      conflict: '409 / 1',
      'too-large': '413 / 1',
      cancelled: '499 / 1',
      damaged: '500 / 1',
      unavailable: '503 / 1',
      'insufficient-storage': '507 / 1',
    } satisfies Record<AppErrorCode, string>);
  });

  it('give an AppError its status and exit code, and keep its message and details', () => {
    const error = new AppError('not-found', 'project 3 not found');
    expect([error.status, error.exitCode, error.message, error.details]).toEqual([404, 1, 'project 3 not found', {}]);
    expect(new AppError('invalid', 'choose one', { field: 'winner' }).details.field).toBe('winner');
    expect(new AppError('usage', '--project is required').exitCode).toBe(2);
    expect(isAppError(error, 'conflict', 'not-found')).toBe(true);
    expect(isAppError(error, 'conflict')).toBe(false);
    expect(isAppError(new Error('project 3 not found'), 'not-found')).toBe(false);
  });

  it('translate SQLite failures into what they mean', () => {
    expect(describeStorageError({ code: 'SQLITE_FULL' })).toMatchObject({ code: 'insufficient-storage', status: 507 });
    expect(describeStorageError({ code: 'SQLITE_IOERR_WRITE' })).toMatchObject({ code: 'unavailable', status: 503 });
    expect(describeStorageError({ code: 'SQLITE_CORRUPT' })).toMatchObject({ code: 'damaged', status: 500 });
    expect(describeStorageError(new AppError('not-found', 'x'))).toBeNull();
  });
});

describe('formatZodIssues', () => {
  const schema = z.object({ name: z.string().min(1, 'must not be empty'), tags: z.array(z.string()) });
  const issuesOf = (value: unknown) => schema.safeParse(value).error!;

  it('names the field of the first issue by its dotted path', () => {
    expect(formatZodIssues(issuesOf({ name: '', tags: [] }))).toEqual({ message: 'name: must not be empty', field: 'name', reason: 'must not be empty' });
    expect(formatZodIssues(issuesOf({ name: 'x', tags: [1] }))).toMatchObject({ message: expect.stringMatching(/^tags\.0: /), field: 'tags.0' });
  });

  it('shows an issue about the whole input bare, or under the name the caller gives it', () => {
    const whole = z.string().min(3, 'too short').safeParse('ab').error!;
    expect(formatZodIssues(whole)).toEqual({ message: 'too short', field: undefined, reason: 'too short' });
    expect(formatZodIssues(whole, 'payload').message).toBe('payload: too short');
    // A field, when there is one, wins over the caller's name.
    expect(formatZodIssues(issuesOf({ name: '', tags: [] }), 'input').message).toBe('name: must not be empty');
  });
});

describe('describeError (REST and server actions)', () => {
  it('answers an AppError with its status, naming its field; a ZodError with 400; anything else with a logged 500', () => {
    expect(describeError(new AppError('conflict', 'item 4 is already answered'))).toEqual({ status: 409, message: 'item 4 is already answered' });
    expect(describeError(new AppError('invalid', 'choose one', { field: 'winner' }))).toEqual({ status: 400, message: 'winner: choose one', field: 'winner' });
    expect(describeError(z.object({ n: z.number() }).safeParse({ n: 'x' }).error)).toMatchObject({ status: 400, field: 'n', message: expect.stringMatching(/^n: /) });
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(describeError(new TypeError('x is undefined'))).toEqual({ status: 500, message: 'Something went wrong on the server; the error was logged.' });
      expect(describeError(Object.assign(new Error('disk'), { code: 'SQLITE_FULL' }))).toMatchObject({ status: 507 });
      expect(log).toHaveBeenCalledTimes(2);
    } finally {
      log.mockRestore();
    }
  });
});
