import { describe, expect, it } from 'vitest';
import { nextRunAt, retryDelayMs } from '@/lib/jobs/backoff';

describe('retryDelayMs', () => {
  it('doubles with each attempt', () => {
    expect([1, 2, 3, 4].map(retryDelayMs)).toEqual([2000, 4000, 8000, 16000]);
  });
  it('is capped at ten minutes', () => {
    expect(retryDelayMs(30)).toBe(600_000);
  });
  it('schedules relative to now', () => {
    expect(nextRunAt(2, 1_000)).toBe(5_000);
  });
});
