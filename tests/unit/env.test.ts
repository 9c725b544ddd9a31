import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { databasePath, parseEnv } from '@/lib/env';

describe('parseEnv', () => {
  it('fills defaults for an empty environment', () => {
    const env = parseEnv({});
    expect(env.ARBITER_DATA_DIR).toBe('./data');
    expect(env.PORT).toBe(3000);
    expect(env.ARBITER_WORKERS).toBe(1);
    expect(env.ARBITER_DEMO).toBe(true);
    expect(databasePath(env)).toBe(path.resolve('data', 'arbiter.db'));
  });
  it('names every bad variable', () => {
    expect(() => parseEnv({ PORT: 'eighty', ARBITER_WORKERS: '-1' })).toThrow(/PORT[\s\S]*ARBITER_WORKERS|ARBITER_WORKERS[\s\S]*PORT/);
  });
  it('rejects a short secret and a malformed admin email', () => {
    expect(() => parseEnv({ ARBITER_SECRET: 'short' })).toThrow(/ARBITER_SECRET: ARBITER_SECRET must be at least 32/);
    expect(() => parseEnv({ ARBITER_ADMIN_EMAIL: 'nope', ARBITER_ADMIN_PASSWORD: 'long-enough' })).toThrow(/ARBITER_ADMIN_EMAIL/);
  });
  it('requires the admin email and password together', () => {
    expect(() => parseEnv({ ARBITER_ADMIN_EMAIL: 'a@example.com' })).toThrow(/must be set together/);
  });
  it('refuses a malformed trusted-proxy list in every process, naming the bad entry', () => {
    expect(() => parseEnv({ ARBITER_TRUSTED_PROXIES: '127.0.0.1,proxy.lan' })).toThrow(/ARBITER_TRUSTED_PROXIES[\s\S]*proxy\.lan/);
    expect(parseEnv({ ARBITER_TRUSTED_PROXIES: '127.0.0.1,10.0.0.0/8' }).ARBITER_TRUSTED_PROXIES).toBe('127.0.0.1,10.0.0.0/8');
  });
  it('reads the ML and thread switches', () => {
    expect(parseEnv({}).ARBITER_ML_THREADS).toBe(true);
    expect(parseEnv({ ARBITER_ML_THREADS: '0', ARBITER_STATS_THREADS: 'false' })).toMatchObject({ ARBITER_ML_THREADS: false, ARBITER_STATS_THREADS: false });
    expect(() => parseEnv({ ARBITER_ML_BACKEND: 'cuda' })).toThrow(/ARBITER_ML_BACKEND must be auto, tensorflow-gpu/);
  });
  it('reads booleans and treats empty strings as unset', () => {
    expect(parseEnv({ ARBITER_DEMO: 'false', PORT: '' }).ARBITER_DEMO).toBe(false);
    expect(parseEnv({ PORT: '' }).PORT).toBe(3000);
  });
});
