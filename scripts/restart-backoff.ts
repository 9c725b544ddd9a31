/**
 * How long to wait before starting again a supervised process that died (scripts/start.ts's web server and
 * workers, scripts/web-cluster.ts's web processes): 1 s, then twice as long after each quick crash (30 s at
 * most); a process that ran for a minute starts again from 1 s. One backoff per supervised process.
 */
export function restartBackoff(): (ranMs: number) => number {
  let delay = 500;
  return (ranMs) => (delay = ranMs > 60_000 ? 1000 : Math.min(30_000, delay * 2));
}
