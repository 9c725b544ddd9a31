/**
 * `arbiter db copy --to postgres://…`: an existing SQLite install moves into PostgreSQL whole — every table,
 * ids kept, sequences advanced, counts and checksums verified — and a target that is not empty is refused
 * with nothing written. Runs in the SQLite pass (the source is this file's SQLite database) against the
 * test run's PostgreSQL server (ARBITER_TEST_POSTGRES_URL, set by scripts/test.ts and .ci/run).
 */
import pg from 'pg';
import { beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { withWriteTransaction } from '@/db/client';
import { jobs, responseFeatures } from '@/db/schema';
import { createGeneratedProject } from '../../helpers/projects';
import { withDatabase } from '../../helpers/postgres';
import { runTs } from '../../helpers/spawn';
import { queryRows, queryValue } from '../../helpers/sql';

const server = process.env.ARBITER_TEST_POSTGRES_URL;
const target = server ? withDatabase(server, `copy_${process.pid}`) : '';

function needServer(ctx: TestContext): void {
  if (server) return;
  ctx.task.meta.skipReason = 'no PostgreSQL server for the test run (ARBITER_TEST_POSTGRES_URL; scripts/test.ts starts one when PostgreSQL is installed)';
  ctx.skip();
}

async function onTarget<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const tables = ['users', 'projects', 'prompts', 'responses', 'items', 'judgments', 'comparisons', 'jobs', 'response_features'];

describe('db copy into PostgreSQL', () => {
  beforeAll(async () => {
    if (!server) return;
    const admin = new pg.Client({ connectionString: withDatabase(server, 'postgres') });
    await admin.connect();
    await admin.query(`drop database if exists copy_${process.pid} with (force)`);
    await admin.query(`create database copy_${process.pid}`);
    await admin.end();
    await createGeneratedProject({ prompts: 15 });
    // Values whose exact form matters: binary data, a real with every digit, JSON with its own key order and spacing.
    const [response] = await queryRows<{ id: number }>('select id from responses order by id limit 1');
    await withWriteTransaction((tx) => tx.insert(responseFeatures).values({ responseId: response!.id, featurizer: 'test', data: Buffer.from([0, 1, 254, 255]) }));
    await withWriteTransaction((tx) => tx.insert(jobs).values({ kind: 'recompute-stats', payload: { projectId: 1 }, status: 'cancelled', progress: 1 / 3 }));
    await queryRows("update comparisons set weight = 0.1 + 0.2 where id = (select min(id) from comparisons)");
    await queryRows(`update prompts set metadata = '{"z": 1,  "a": [1.50, "é"]}' where id = (select min(id) from prompts)`);
  });

  it('copies every table with its ids, verified, and advances the sequences', async (ctx) => {
    needServer(ctx);
    const run = await runTs('cli/main.ts', ['db', 'copy', '--to', target, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { tables: { table: string; rows: number; verified: boolean }[]; rows: number };
    expect(report.tables.every((t) => t.verified)).toBe(true);
    for (const table of tables) {
      const here = Number(await queryValue(`select count(*) from ${table}`));
      expect(here, table).toBeGreaterThan(0);
      expect(report.tables.find((t) => t.table === table)?.rows, table).toBe(here);
      expect(await onTarget(async (c) => Number((await c.query(`select count(*) as n from ${table}`)).rows[0].n)), table).toBe(here);
    }
    // Ids and exact values kept.
    const sqliteComparisons = await queryRows<{ id: number; w: number; l: number; weight: number }>('select id, winner_response_id as w, loser_response_id as l, weight from comparisons order by id');
    const copied = await onTarget(async (c) => (await c.query('select id, winner_response_id as w, loser_response_id as l, weight from comparisons order by id')).rows);
    expect(copied).toEqual(sqliteComparisons);
    expect(copied[0].weight).toBe(0.1 + 0.2);
    const metadata = await onTarget(async (c) => (await c.query('select metadata::text as m from prompts order by id limit 1')).rows[0].m);
    expect(metadata).toBe('{"z": 1,  "a": [1.50, "é"]}');
    const data = await onTarget(async (c) => (await c.query("select data from response_features where featurizer = 'test'")).rows[0].data as Buffer);
    expect([...data]).toEqual([0, 1, 254, 255]);
    // A row added after the copy takes the next id, not one the copy used.
    const maxProject = Number(await queryValue('select max(id) from projects'));
    const next = await onTarget(async (c) => (await c.query("insert into projects (name, settings) values ('after copy', '{}') returning id")).rows[0].id);
    expect(next).toBe(maxProject + 1);

    // The copied install runs: the CLI on PostgreSQL lists the project.
    const list = await runTs('cli/main.ts', ['project', 'list', '--json'], { ARBITER_DATABASE_URL: target, ARBITER_SECRET: 'copy-test-secret-copy-test-secret-0000' });
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { name: string }[]).map((p) => p.name)).toContain('after copy');
  });

  it('refuses a target that is not empty, writing nothing', async (ctx) => {
    needServer(ctx);
    const before = await onTarget(async (c) => Number((await c.query('select count(*) as n from comparisons')).rows[0].n));
    const run = await runTs('cli/main.ts', ['db', 'copy', '--to', target]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/target database is not empty \(table \w+ has rows\).*nothing was written/);
    expect(await onTarget(async (c) => Number((await c.query('select count(*) as n from comparisons')).rows[0].n))).toBe(before);
  });

  it('refuses a target that is not a PostgreSQL URL', async () => {
    const run = await runTs('cli/main.ts', ['db', 'copy', '--to', 'mysql://somewhere/db']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--to must be a PostgreSQL URL/);
  });
});
