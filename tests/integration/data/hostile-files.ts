/** Builders of small hostile import files, and a memory probe, for the import-limit tests. */
import zlib from 'node:zlib';

/**
 * A .gz of `head`, then `body` `times` times, then `tail`, as concatenated gzip members (gunzip reads them
 * as one stream): `body` is compressed once, so a file of a few hundred KB inflates to hundreds of MB
 * without the test ever holding the inflated text.
 */
export function gzipBomb(head: string, body: string, times: number, tail = ''): Buffer {
  const member = zlib.gzipSync(body, { level: 9 });
  return Buffer.concat([zlib.gzipSync(head), ...Array.from({ length: times }, () => member), zlib.gzipSync(tail)]);
}

/** One JSON preference pair of about `bytes` bytes. */
export const pairOfSize = (bytes: number, k = 0) => JSON.stringify({ prompt: `Question ${k}?`, chosen: 'a'.repeat(Math.max(1, bytes - 60)), rejected: 'b' });

/** Runs `work` while sampling the process's resident memory every 5 ms; returns its result, the growth of the peak over the start, and the time. */
export async function measured<T>(work: () => Promise<T>): Promise<{ result: T; rssGrowthMb: number; ms: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const started = performance.now();
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, rssGrowthMb: (peak - before) / 2 ** 20, ms: performance.now() - started };
  } finally {
    clearInterval(sampler);
  }
}
