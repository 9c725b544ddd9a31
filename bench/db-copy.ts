/**
 * Moving an install from SQLite to PostgreSQL at scale: imports N preference pairs into a fresh SQLite install
 * (the path of `arbiter import`), then runs `arbiter db copy --to postgres://…` as a user would, in a process of
 * its own, into an empty database, and reports its time, rows per second, the per-table verification it printed,
 * and an independent check after it: row counts of the target against the source, and the target's sequences
 * past its largest ids (a new row gets a fresh id).
 * Writes bench/results/db-copy.json.
 *
 *   node --import tsx bench/db-copy.ts [--rows 1000000]
 *
 * The PostgreSQL server: ARBITER_TEST_POSTGRES_URL, or a private durable cluster (bench/lib/dialects.ts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBenchDatabase, dropBenchDatabase, openReader, type BenchReader, postgresSettings, startPostgresServer, stringArg, useDialect } from './lib/dialects';

const ROWS = Number(stringArg('rows') ?? 1_000_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-db-copy-'));
process.env.ARBITER_DATA_DIR = dir;
useDialect('sqlite');
const { closeDb, openDatabase } = await import('@/db/client');
const { runImport } = await import('@/db/queries/imports');
const { createProject } = await import('@/db/queries/projects');
const { CLI_ACTOR } = await import('@/lib/auth/access');

const file = path.join(dir, 'pairs.jsonl');
const out = fs.createWriteStream(file);
for (let k = 0; k < ROWS; k++) {
  const line = `${JSON.stringify({ prompt: `Question ${k}: explain item ${k % 977} in one paragraph.`, chosen: `A careful answer about ${k} with the details that matter.`, rejected: `A vague answer ${k}.`, margin: (k % 3) + 1 })}\n`;
  if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
}
await new Promise<void>((r) => out.end(() => r()));

await openDatabase();
const project = await createProject(CLI_ACTOR, { name: 'bench db copy' });
let t = performance.now();
const report = await runImport(CLI_ACTOR, project.id, file);
const importSeconds = (performance.now() - t) / 1000;
if (!report.imported || report.counts.comparisonsAdded !== ROWS) throw new Error(`import failed: ${JSON.stringify(report.counts)}`);
await closeDb();
fs.rmSync(file);
const sqliteFile = path.join(dir, 'arbiter.db');
const count = async (reader: BenchReader, table: string) => (await reader.all<{ n: number }>(`select cast(count(*) as integer) as n from ${table}`))[0]!.n;

const server = startPostgresServer();
const target = await createBenchDatabase(server.url, 'dbcopy');
try {
  t = performance.now();
  const copy = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'db', 'copy', '--from', sqliteFile, '--to', target, '--json'], {
    encoding: 'utf8',
    env: { ...process.env, ARBITER_DATABASE_URL: '' },
    maxBuffer: 64 * 2 ** 20,
  });
  const copySeconds = (performance.now() - t) / 1000;
  if (copy.status !== 0) throw new Error(`db copy failed (${copy.status}):\n${copy.stderr}\n${copy.stdout}`);
  const copied = JSON.parse(copy.stdout) as { rows: number; seconds: number; tables: { table: string; rows: number; checksum: string; verified: boolean }[] };

  // Independent of the copy's own verification: counts on both sides, and sequences past the largest ids.
  const source = await openReader({ dialect: 'sqlite', file: sqliteFile });
  const copyTarget = await openReader({ dialect: 'postgres', url: target });
  const mismatches: string[] = [];
  for (const table of copied.tables) {
    const quoted = `"${table.table}"`;
    const [a, b] = [await count(source, quoted), await count(copyTarget, quoted)];
    if (a !== b || b !== table.rows || !table.verified) mismatches.push(`${table.table}: sqlite ${String(a)}, postgres ${String(b)}, reported ${table.rows}`);
  }
  const comparisons = copied.tables.find((x) => x.table === 'comparisons')?.rows ?? 0;
  const nextComparisonId = Number((await copyTarget.all<{ id: string }>(`select nextval(pg_get_serial_sequence('comparisons', 'id')) as id`))[0]!.id);
  await source.close();
  await copyTarget.close();
  if (mismatches.length > 0) throw new Error(`copy mismatches:\n${mismatches.join('\n')}`);

  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    postgres: { source: server.source, settings: await postgresSettings(target) },
    comparisons,
    sqliteMiB: +(fs.statSync(sqliteFile).size / 2 ** 20).toFixed(1),
    importSeconds: +importSeconds.toFixed(1),
    rowsCopied: copied.rows,
    tables: copied.tables.length,
    /** Wall time of the `arbiter db copy` process, start to exit (the copy's own clock in `copyReportedSeconds`). */
    copySeconds: +copySeconds.toFixed(1),
    copyReportedSeconds: +copied.seconds.toFixed(1),
    rowsPerSecond: Math.round(copied.rows / copied.seconds),
    verifiedTables: copied.tables.filter((x) => x.verified).length,
    independentCountsMatch: true,
    nextComparisonIdAfterCopy: nextComparisonId,
    checksums: Object.fromEntries(copied.tables.filter((x) => x.rows > 0).map((x) => [x.table, x.checksum])),
  };
  if (nextComparisonId <= comparisons) throw new Error(`the comparisons sequence was not advanced: next id ${nextComparisonId} ≤ ${comparisons} rows`);
  fs.mkdirSync('bench/results', { recursive: true });
  fs.writeFileSync('bench/results/db-copy.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await dropBenchDatabase(target);
  server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
