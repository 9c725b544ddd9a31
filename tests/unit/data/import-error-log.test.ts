import { describe, expect, it } from 'vitest';
import { errorKind, ImportErrorLog, MAX_ERROR_KINDS, MAX_LISTED_ERRORS, OTHER_KIND } from '@/lib/data/import-error-log';

describe('the bounded error log of an import', () => {
  it('lists the first errors by line and counts every one by kind', () => {
    const log = new ImportErrorLog();
    for (let line = 1; line <= 10_000; line++) log.add(line, line % 2 ? 'chosen must be a non-empty string' : `responses[${line}] must be a string (got "x${line}")`);
    const report = log.report();
    expect(report.errorCount).toBe(10_000);
    expect(report.errors).toHaveLength(MAX_LISTED_ERRORS);
    expect(report.errors[0]).toEqual({ line: 1, message: 'chosen must be a non-empty string' });
    expect(report.errors.at(-1)!.line).toBe(MAX_LISTED_ERRORS);
    expect(report.errorKinds).toEqual([
      { kind: 'chosen must be a non-empty string', count: 5000, firstLine: 1 },
      { kind: 'responses[N] must be a string (got "…")', count: 5000, firstLine: 2 },
    ]);
  });

  it('caps the number of kinds, counting the rest together', () => {
    const log = new ImportErrorLog();
    for (let k = 0; k < MAX_ERROR_KINDS + 25; k++) log.add(k + 1, `unknown field ${'abcdefghijklmnopqrstuvwxyz'[k % 26]}${'abcdefghijklmnopqrstuvwxyz'[Math.floor(k / 26)]}`);
    const { errorKinds, errorCount } = log.report();
    expect(errorCount).toBe(MAX_ERROR_KINDS + 25);
    expect(errorKinds).toHaveLength(MAX_ERROR_KINDS + 1);
    expect(errorKinds[0]).toEqual({ kind: OTHER_KIND, count: 25, firstLine: MAX_ERROR_KINDS + 1 });
    expect(errorKinds.reduce((s, k) => s + k.count, 0)).toBe(errorCount);
  });

  it('blanks the values that belong to one row', () => {
    expect(errorKind('system3rank must be a rank from 1 (best)')).toBe('systemNrank must be a rank from N (best)');
    expect(errorKind('messages[0].role must be system, user or assistant (got "bot")')).toBe('messages[N].role must be system, user or assistant (got "…")');
  });
});
