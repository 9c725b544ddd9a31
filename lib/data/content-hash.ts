import crypto from 'node:crypto';

/** Stable hash of prompt messages or response text, used to deduplicate identical content. */
export function contentHash(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}
