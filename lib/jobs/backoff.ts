/** Delay before retry number `attempts` (1-based): 2^attempts seconds, capped at 10 minutes (graphile-worker style). */
export function retryDelayMs(attempts: number): number {
  const seconds = Math.min(2 ** Math.max(1, attempts), 600);
  return seconds * 1000;
}

export function nextRunAt(attempts: number, now: number): number {
  return now + retryDelayMs(attempts);
}
