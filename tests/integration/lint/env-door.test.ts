/**
 * One door for configuration: every environment variable is read through lib/env.ts (zod-validated, with
 * its default) and listed in the README's configuration table. Reading `process.env.X` anywhere else would
 * bypass both, as ARBITER_ML_BACKEND once did from inside lib/ml (which may not import lib/env).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envSchema } from '@/lib/env';

/** Files that may touch process.env.X, and why. Tests, benches and Playwright's config set up processes they run. */
const ALLOWED: { pattern: RegExp; why: string }[] = [
  { pattern: /^lib\/env\.ts$/, why: 'the door itself' },
  { pattern: /^tests\//, why: 'tests configure the processes they run' },
  { pattern: /^bench\//, why: 'benches configure the processes they run' },
  { pattern: /^playwright\.config\.ts$/, why: 'test configuration' },
  { pattern: /^scripts\/test\.ts$/, why: 'the test runner (CI colouring)' },
  { pattern: /^bin\/arbiter\.js$/, why: 'entry point: sets ARBITER_APP_ROOT for the CLI before anything loads' },
  { pattern: /^scripts\/web-server-entry\.mjs$/, why: 'entry point: sets NODE_ENV before Next loads' },
  { pattern: /^instrumentation\.ts$/, why: "NEXT_RUNTIME, Next's own flag, checked before anything Node-only is imported" },
  { pattern: /^next\.config\.js$/, why: "NODE_ENV, read by Next's config loader, which cannot import TypeScript" },
  { pattern: /^vitest\.config\.ts$/, why: 'test configuration: which integration files the PostgreSQL pass runs' },
  { pattern: /^db\/dialect\.ts$/, why: 'ARBITER_DATABASE_URL decides the dialect before the schema picks its tables at import time; lib/env.ts validates it' },
  { pattern: /^db\/backup-postgres\.ts$/, why: "PATH, the system's own, to find pg_dump and pg_restore" },
];

describe('one door for configuration', () => {
  it('reads process.env.X only in lib/env.ts (and the listed entry points and test harnesses)', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.tsx', '*.js', '*.mjs'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(files.length).toBeGreaterThan(100);
    const offenders = files
      .filter((file) => fs.existsSync(file) && !ALLOWED.some((a) => a.pattern.test(file)))
      .flatMap((file) =>
        fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, k) => (/process\.env(\.[A-Za-z_]|\[)/.test(line) ? [`${file}:${k + 1}: ${line.trim()}`] : [])),
      );
    expect(offenders).toEqual([]);
  });

  it('lists every variable lib/env.ts reads in the README (with its default) and in .env.example', () => {
    const readme = fs.readFileSync('README.md', 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'));
    const missing = Object.keys(envSchema.shape).filter((name) => name !== 'NODE_ENV' && !new RegExp(`\\| \`${name}\`[^|]*\\| [^|]+ \\|`).test(table.replaceAll(' / ', ' ')));
    expect(missing).toEqual([]);
    const example = fs.readFileSync('.env.example', 'utf8');
    expect(Object.keys(envSchema.shape).filter((name) => name !== 'NODE_ENV' && !new RegExp(`^#? ?${name}=`, 'm').test(example))).toEqual([]);
  });
});
