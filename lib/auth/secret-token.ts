import crypto from 'node:crypto';

/**
 * Random bearer secrets (API tokens, invite links). 32 random bytes; only their SHA-256 is stored,
 * which is enough for high-entropy secrets (unlike passwords, they cannot be guessed from a list).
 */
export function generateSecretToken(prefix: 'arb' | 'inv'): string {
  return `${prefix}_${crypto.randomBytes(32).toString('base64url')}`;
}

export function hashSecretToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}
