/** The process-wide better-auth instance, over the shared connection. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createAuth, type Auth } from '@/lib/auth/create-auth';
import { baseUrl, dataDir, getEnv } from '@/lib/env';
import { getDb } from '../client';

/** ARBITER_SECRET, or a random secret created once and kept (mode 600) in the data directory. */
export function getAuthSecret(): string {
  const env = getEnv();
  if (env.ARBITER_SECRET) return env.ARBITER_SECRET;
  const file = path.join(dataDir(env), 'auth-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const secret = crypto.randomBytes(32).toString('base64url');
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    } catch {
      return fs.readFileSync(file, 'utf8').trim(); // another process created it first
    }
    return secret;
  }
}

let shared: Auth | undefined;

export function getAuth(): Auth {
  if (!shared) {
    const env = getEnv();
    shared = createAuth(getDb(), { secret: getAuthSecret(), baseURL: baseUrl(env), signInRateLimit: env.ARBITER_SIGNIN_RATE_LIMIT });
  }
  return shared;
}

export function resetAuth(): void {
  shared = undefined;
}
