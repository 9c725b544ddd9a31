/**
 * `npm test`: every tier, then one plain closing line summing them: `N passed, N failed`, or
 * `N passed, N failed, N skipped` when any test was skipped (e.g. real data sets not found: docs/data-sources.md).
 * Tiers: static (lint incl. import boundaries, typecheck), unit + integration (vitest), e2e (Playwright), then
 * the PostgreSQL passes: the integration tier again, and the annotation and journey (jobs) e2e specs, on a
 * private PostgreSQL cluster (scripts/pg-test-cluster.sh: the one ARBITER_TEST_POSTGRES_URL names, or one this
 * script starts and stops when PostgreSQL is installed; without either the passes are skipped, with the reason).
 * A tier that crashes before reporting counts as one failure, so a run that tested nothing is visible.
 * Skips never fail the run, but they are counted and their reasons listed above the closing line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createTestDatabase, dropTestDatabase, prepareTemplate, TEMPLATE_DATABASE, withDatabase } from '../tests/helpers/postgres';

const TMP = path.join('tests', '.tmp');
fs.mkdirSync(TMP, { recursive: true });
const only = process.argv.slice(2);
type Tally = { name: string; passed: number; failed: number; skipped: number; seconds: number };
const tallies: Tally[] = [];
/** Why tests were skipped (tests/helpers/real-data.ts puts the reason in the test's meta), reason → test names. */
const skipReasons = new Map<string, string[]>();
/** The tests that failed, with the first line of each one's error: the summary repeats them so a log's tail names them. */
const failures: string[] = [];

function run(cmd: string, args: string[], env: Record<string, string> = {}): { ok: boolean; seconds: number } {
  const started = Date.now();
  const result = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', FORCE_COLOR: process.env.CI ? '0' : '1', ...env } });
  return { ok: result.status === 0, seconds: (Date.now() - started) / 1000 };
}

type VitestReport = {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { name: string; message?: string; assertionResults: { fullName: string; status: string; failureMessages?: string[]; meta?: { skipReason?: string; skipDetail?: string } }[] }[];
};

type PlaywrightSuite = {
  title: string;
  file?: string;
  specs?: { title: string; file: string; line: number; tests: { status: string; results: { error?: { message?: string } }[] }[] }[];
  suites?: PlaywrightSuite[];
};
type PlaywrightReport = { stats: { expected: number; unexpected: number; flaky: number; skipped: number }; suites?: PlaywrightSuite[] };

function firstLine(message: string): string {
  // eslint-disable-next-line no-control-regex -- the colour codes reporters put in messages
  const plain = message.replace(/\x1b\[[0-9;]*m/g, '');
  return plain.split('\n').find((line) => line.trim() !== '')?.trim().slice(0, 300) ?? '';
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

const node = process.execPath;
const bin = (name: string) => path.join('node_modules', '.bin', name);
const wanted = (tier: string) => only.length === 0 || only.includes(tier);

if (wanted('static')) {
  console.log('\n── static: lint (with import boundaries) ──');
  const lint = run(bin('eslint'), ['.']);
  tallies.push({ name: 'lint', passed: lint.ok ? 1 : 0, failed: lint.ok ? 0 : 1, skipped: 0, seconds: lint.seconds });
  console.log('\n── static: typecheck ──');
  const tsc = run(bin('tsc'), ['--noEmit']);
  tallies.push({ name: 'typecheck', passed: tsc.ok ? 1 : 0, failed: tsc.ok ? 0 : 1, skipped: 0, seconds: tsc.seconds });
}

function vitestTier(project: string, name: string, env: Record<string, string> = {}): void {
  console.log(`\n── ${name} (vitest) ──`);
  const out = path.join(TMP, `vitest-${name}.json`);
  fs.rmSync(out, { force: true });
  const res = run(bin('vitest'), ['run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`], env);
  const report = readJson<VitestReport>(out);
  if (!report) {
    tallies.push({ name, passed: 0, failed: 1, skipped: 0, seconds: res.seconds });
    return;
  }
  // Vitest counts skipped tests (it.skip, skipIf, ctx.skip) as pending; todos apart.
  const skipped = report.numPendingTests + report.numTodoTests;
  tallies.push({ name, passed: report.numPassedTests, failed: report.numFailedTests + (res.ok || report.numFailedTests > 0 ? 0 : 1), skipped, seconds: res.seconds });
  for (const file of report.testResults) {
    const fileName = path.relative(process.cwd(), file.name);
    // A file that failed to load has no assertion results, only its message.
    if (file.assertionResults.length === 0 && file.message) failures.push(`${name}: ${fileName}: ${firstLine(file.message)}`);
    for (const test of file.assertionResults) {
      if (test.status === 'failed') failures.push(`${name}: ${fileName} > ${test.fullName}: ${firstLine(test.failureMessages?.[0] ?? '')}`);
      if (test.status !== 'skipped' && test.status !== 'pending' && test.status !== 'todo') continue;
      const reason = test.meta?.skipReason ?? (test.status === 'todo' ? 'todo' : 'skipped in the test file (no reason given)');
      skipReasons.set(reason, [...(skipReasons.get(reason) ?? []), `${name}: ${fileName} > ${test.fullName}${test.meta?.skipDetail ? ` (${test.meta.skipDetail})` : ''}`]);
    }
  }
}

function e2eTier(name: string, specs: string[], env: Record<string, string> = {}): void {
  console.log(`\n── ${name} (Playwright, real Chromium) ──`);
  const out = path.join(TMP, 'playwright.json');
  fs.rmSync(out, { force: true });
  const res = run(node, [path.join('node_modules', '@playwright', 'test', 'cli.js'), 'test', ...specs], env);
  const report = readJson<PlaywrightReport>(out);
  if (!report) tallies.push({ name, passed: 0, failed: 1, skipped: 0, seconds: res.seconds });
  else {
    const visit = (suite: PlaywrightSuite, titles: string[]): void => {
      for (const spec of suite.specs ?? []) {
        for (const test of spec.tests) {
          if (test.status !== 'unexpected') continue;
          const error = test.results.at(-1)?.error?.message ?? '';
          failures.push(`${name}: ${spec.file}:${spec.line} > ${[...titles, spec.title].join(' > ')}: ${firstLine(error)}`);
        }
      }
      for (const child of suite.suites ?? []) visit(child, [...titles, child.title]);
    };
    for (const suite of report.suites ?? []) visit(suite, []);
    tallies.push({ name, passed: report.stats.expected + report.stats.flaky, failed: report.stats.unexpected + (res.ok || report.stats.unexpected > 0 ? 0 : 1), skipped: report.stats.skipped, seconds: res.seconds });
    if (report.stats.skipped > 0) skipReasons.set(`skipped in Playwright (${name}; see the list above)`, [`${name}: ${report.stats.skipped} tests`]);
  }
}

/** The PostgreSQL server the tests use: the one given, or a private cluster started here. */
function postgresServer(): { url: string; stop: () => void } | { skip: string } {
  const given = process.env.ARBITER_TEST_POSTGRES_URL;
  if (given) return { url: given, stop: () => undefined };
  let exports: string;
  try {
    exports = execFileSync('scripts/pg-test-cluster.sh', ['start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    return { skip: `PostgreSQL passes: no server (${detail}); install PostgreSQL or set ARBITER_TEST_POSTGRES_URL` };
  }
  const value = (name: string) => /export \w+='([^']*)'/.exec(exports.split('\n').find((line) => line.includes(name)) ?? '')?.[1] ?? '';
  const dir = value('ARBITER_TEST_PG_DIR');
  return { url: value('ARBITER_TEST_POSTGRES_URL'), stop: () => spawnSync('scripts/pg-test-cluster.sh', ['stop', dir], { stdio: 'inherit' }) };
}

const postgresTiers = ['integration-pg', 'e2e-pg'].filter(wanted);
// Started before the SQLite tiers too: some of their tests reach PostgreSQL as a target (db copy).
const server = postgresTiers.length > 0 || wanted('integration') ? postgresServer() : { skip: 'not wanted' };
if ('url' in server) process.env.ARBITER_TEST_POSTGRES_URL = server.url;

try {
  for (const tier of ['unit', 'integration']) if (wanted(tier)) vitestTier(tier, tier);
  if (wanted('e2e')) e2eTier('e2e', []);

  if ('skip' in server) {
    for (const name of postgresTiers) tallies.push({ name, passed: 0, failed: 0, skipped: 1, seconds: 0 });
    if (postgresTiers.length > 0) skipReasons.set(server.skip, postgresTiers);
  } else {
    // Hosts sharing PostgreSQL must share ARBITER_SECRET (lib/env.ts refuses to start without one).
    const secret = { ARBITER_SECRET: 'arbiter-test-secret-arbiter-test-secret' };
    if (wanted('integration-pg')) vitestTier('integration', 'integration-pg', { ...secret, ARBITER_DATABASE_URL: withDatabase(server.url, TEMPLATE_DATABASE) });
    if (wanted('e2e-pg')) {
      await prepareTemplate(server.url);
      const database = await createTestDatabase(server.url);
      try {
        e2eTier('e2e-pg', ['tests/e2e/annotate.spec.ts', 'tests/e2e/annotate-phone.spec.ts', 'tests/e2e/journey.spec.ts'], { ...secret, ARBITER_DATABASE_URL: database });
      } finally {
        await dropTestDatabase(database);
      }
    }
  }
} finally {
  if ('stop' in server) server.stop();
}

console.log('\n── summary ──');
for (const t of tallies) console.log(`${t.name.padEnd(12)} ${String(t.passed).padStart(4)} passed ${String(t.failed).padStart(3)} failed${t.skipped > 0 ? ` ${String(t.skipped).padStart(3)} skipped` : ''}  (${t.seconds.toFixed(1)} s)`);
for (const [reason, tests] of skipReasons) {
  console.log(`\nskipped ${tests.length}: ${reason}`);
  for (const name of tests) console.log(`  ${name}`);
}
if (failures.length > 0) {
  console.log(`\nfailed ${failures.length}:`);
  for (const failure of failures) console.log(`  ${failure}`);
}
const passed = tallies.reduce((s, t) => s + t.passed, 0);
const failed = tallies.reduce((s, t) => s + t.failed, 0);
const skipped = tallies.reduce((s, t) => s + t.skipped, 0);
// The closing line: `N passed, N failed`, with `, N skipped` only when something was skipped.
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || tallies.length === 0 ? 1 : 0);
