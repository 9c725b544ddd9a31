/**
 * The one place tests find the real data sets (tests/real-data.manifest.json, docs/data-sources.md). Each file is
 * looked for, in order, in:
 *   1. ARBITER_REAL_DATA, a folder holding a copy (set, it must be a folder: a typo fails rather than falls through);
 *   2. ../shared/data/real beside the repository, where this project's CI keeps its copy;
 *   3. tests/.cache/real-data/, which `npm run data:fetch` fills (git-ignored).
 * A test that needs a file nobody has is skipped with the reason and the fix, never failed and never passed; with
 * ARBITER_REQUIRE_REAL_DATA=1 (.ci/run sets it) it fails instead, so CI cannot lose these tests unnoticed.
 * Tests may read the environment; this file is where the real-data variables are read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'vitest';
import { CACHE_DIR, loadManifest } from '../../scripts/data-fetch';

declare module 'vitest' {
  interface TaskMeta {
    /** Why the test was skipped; scripts/test.ts reads it from the JSON report and lists the tests under each reason. */
    skipReason?: string;
    /** What this test in particular lacked (the files), shown beside its name under the reason. */
    skipDetail?: string;
  }
}

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIX = 'run `npm run data:fetch` (or set ARBITER_REAL_DATA=<folder with a copy>)';
const MANIFEST_PATHS = new Set(loadManifest().map((f) => f.path));

export type RealDataEnv = { ARBITER_REAL_DATA?: string; ARBITER_REQUIRE_REAL_DATA?: string; [name: string]: string | undefined };

/** The folders looked in, in order. */
export function realDataRoots(env: RealDataEnv = process.env): string[] {
  const roots = [path.resolve(REPO, '..', 'shared', 'data', 'real'), CACHE_DIR];
  if (env.ARBITER_REAL_DATA) roots.unshift(path.resolve(env.ARBITER_REAL_DATA));
  return roots;
}

/** ARBITER_REQUIRE_REAL_DATA set to anything but '', '0' or 'false' (a misspelt value still requires). */
export function realDataRequired(env: RealDataEnv = process.env): boolean {
  const v = env.ARBITER_REQUIRE_REAL_DATA?.trim().toLowerCase();
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

/** A file list for one line: all of a few, or the count and the first three. */
const listFiles = (files: string[]) => (files.length <= 3 ? files.join(', ') : `${files.length} files (${files.slice(0, 3).join(', ')}, …)`);

/** `explanation` names the missing files; `reason` is the same without them, shared by every test that lacks data. */
export type RealDataLookup = { found: string[] } | { missing: string[]; explanation: string; reason: string; fail: boolean };

/**
 * Finds each manifest path (forward slashes, e.g. 'llmfao/crowd-comparisons.csv') in the first folder that has it.
 * A path the manifest does not list is a mistake in the test, thrown at once: data:fetch could never provide it.
 */
export function lookUpRealData(files: string[], env: RealDataEnv = process.env, roots = realDataRoots(env)): RealDataLookup {
  for (const f of files) {
    if (!MANIFEST_PATHS.has(f)) throw new Error(`${f} is not in tests/real-data.manifest.json: add it there (url, bytes, sha256, licence) so npm run data:fetch can provide it`);
  }
  if (env.ARBITER_REAL_DATA && !fs.statSync(path.resolve(env.ARBITER_REAL_DATA), { throwIfNoEntry: false })?.isDirectory()) {
    const explanation = `ARBITER_REAL_DATA=${env.ARBITER_REAL_DATA} is not a folder: point it at a copy of the real data sets, or unset it`;
    return { missing: files, fail: true, explanation, reason: explanation };
  }
  const found: string[] = [];
  const missing: string[] = [];
  for (const f of files) {
    const hit = roots.map((r) => path.join(r, ...f.split('/'))).find((p) => fs.statSync(p, { throwIfNoEntry: false })?.isFile());
    if (hit) found.push(hit);
    else missing.push(f);
  }
  if (missing.length === 0) return { found };
  const looked = [env.ARBITER_REAL_DATA ? undefined : 'ARBITER_REAL_DATA (unset)', ...roots].filter(Boolean).join(', ');
  const required = realDataRequired(env);
  const tail = `(looked in ${looked}); ${FIX}${required ? '. ARBITER_REQUIRE_REAL_DATA is set, so a missing data set fails the test' : ''}`;
  return { missing, fail: required, explanation: `real data not found: ${listFiles(missing)} ${tail}`, reason: `real data not found ${tail}` };
}

/**
 * The absolute paths of the real data files a test needs, in the order asked. Call it first thing in the test:
 * when any is missing the test is skipped (the reason is printed, shown by the reporter and kept in the JSON report)
 * or, under ARBITER_REQUIRE_REAL_DATA, fails with the same explanation.
 */
export function realFiles(ctx: TestContext, ...files: string[]): string[] {
  const lookup = lookUpRealData(files);
  if ('found' in lookup) return lookup.found;
  if (lookup.fail) throw new Error(lookup.explanation);
  ctx.task.meta.skipReason = lookup.reason;
  ctx.task.meta.skipDetail = `missing: ${listFiles(lookup.missing)}`;
  // The default reporter lists a skipped test without its note when not on a terminal; this line always shows.
  console.warn(`skipped: ${lookup.explanation}`);
  return ctx.skip(lookup.explanation);
}

/** Simple CSV (no quoted fields; the caller checks). */
export function parsePlainCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n');
  if (text.includes('"')) throw new Error('quoted CSV fields are not supported by this helper');
  const names = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i]!, v])));
}
