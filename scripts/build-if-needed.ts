/**
 * Runs `next build` unless .next holds a build of exactly these sources (a content hash of every
 * file the build reads is kept beside the build).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const INPUTS = ['app', 'lib', 'db', 'instrumentation.ts', 'next.config.js', 'postcss.config.mjs', 'tsconfig.json', 'package-lock.json'];
const STAMP = path.join('.next', 'arbiter-build-fingerprint');

function listFiles(entry: string): string[] {
  if (!fs.existsSync(entry)) return [];
  if (fs.statSync(entry).isFile()) return [entry];
  return fs
    .readdirSync(entry, { withFileTypes: true })
    .flatMap((d) => listFiles(path.join(entry, d.name)))
    .sort();
}

export function sourceFingerprint(): string {
  const hash = crypto.createHash('sha256');
  for (const file of INPUTS.flatMap(listFiles)) hash.update(file).update('\0').update(fs.readFileSync(file)).update('\0');
  return hash.digest('hex');
}

export function buildIfNeeded(log: (m: string) => void = console.log): { built: boolean; seconds: number } {
  const fingerprint = sourceFingerprint();
  const current = fs.existsSync(path.join('.next', 'BUILD_ID')) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === fingerprint;
  if (current) return { built: false, seconds: 0 };
  log('Building the web app (next build)…');
  const started = Date.now();
  const result = spawnSync(process.execPath, ['node_modules/next/dist/bin/next', 'build'], { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  if (result.status !== 0) throw new Error(`next build failed (exit code ${result.status ?? result.signal})`);
  fs.writeFileSync(STAMP, fingerprint);
  const seconds = (Date.now() - started) / 1000;
  log(`Built in ${seconds.toFixed(1)} s.`);
  return { built: true, seconds };
}

if (import.meta.url === `file://${path.resolve(process.argv[1] ?? '')}`) buildIfNeeded();
