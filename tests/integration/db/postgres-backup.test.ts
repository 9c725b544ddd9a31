/**
 * `arbiter backup` / `restore` on PostgreSQL (the PostgreSQL pass only): pg_dump of one snapshot while writes
 * continue, counts that describe exactly what the file holds, a restore that brings that state back, and
 * refusals that change nothing. The SQLite online backup's own test is backup.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withWriteTransaction } from '@/db/client';
import { backupDatabase, restoreDatabase } from '@/db/backup';
import { findPostgresTool } from '@/db/backup-postgres';
import { projects } from '@/db/schema';
import { createGeneratedProject } from '../../helpers/projects';
import { runTs } from '../../helpers/spawn';
import { queryValue } from '../../helpers/sql';

const dir = () => process.env.ARBITER_DATA_DIR!;
const count = async (table: string) => Number(await queryValue(`select count(*) from ${table}`));

describe('backup and restore on PostgreSQL', () => {
  it('dumps one snapshot while writes continue, restores it, and refuses files that are not Arbiter dumps', async () => {
    await createGeneratedProject({ prompts: 20 });
    const before = { projects: await count('projects'), comparisons: await count('comparisons') };
    let writing = true;
    let written = 0;
    const loop = (async () => {
      while (writing) {
        await withWriteTransaction((tx) => tx.insert(projects).values({ name: `during backup ${written}`, settings: {} }));
        written++;
      }
    })();
    const out = path.join(dir(), 'backups', 'one.dump');
    const made = await backupDatabase(out);
    writing = false;
    await loop;
    expect(written).toBeGreaterThan(0);
    expect(made.projects).toBeGreaterThanOrEqual(before.projects);
    expect(made.projects).toBeLessThanOrEqual(before.projects + written);
    expect(made.comparisons).toBe(before.comparisons);
    expect(fs.statSync(out).size).toBe(made.bytes);
    await expect(backupDatabase(out)).rejects.toThrow(/exists; choose another name or pass --force/);

    // Later changes are undone by a restore; the counts are exactly the backup's.
    await createGeneratedProject({ prompts: 5 });
    expect(await count('projects')).toBeGreaterThan(made.projects);
    const restored = await restoreDatabase(out);
    expect(restored.projects).toBe(made.projects);
    expect(await count('projects')).toBe(made.projects);
    expect(await count('comparisons')).toBe(made.comparisons);

    // Bad files change nothing.
    const junk = path.join(dir(), 'junk.dump');
    fs.writeFileSync(junk, 'not a dump at all');
    await expect(restoreDatabase(junk)).rejects.toThrow(/is not a PostgreSQL custom-format dump/);
    await expect(restoreDatabase(path.join(dir(), 'missing.dump'))).rejects.toThrow(/does not exist/);
    expect(await count('projects')).toBe(made.projects);
  }, 120_000);

  it('says what to install when pg_dump is missing', () => {
    expect(() => findPostgresTool('pg_dump', '/nonexistent', '/nonexistent')).toThrow(/pg_dump was not found: .*apt-get install postgresql-client/);
  });

  it('backs up through the CLI', async () => {
    const out = path.join(dir(), 'backups', 'cli.dump');
    const run = await runTs('cli/main.ts', ['backup', '--out', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ file: out, projects: await count('projects') });
  });
});
