import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { backupDatabase, restoreDatabase } from '@/db/backup';
import { getDb } from '@/db/client';
import { createGeneratedProject } from '../../helpers/projects';
import { runTs } from '../../helpers/spawn';

const dir = () => process.env.ARBITER_DATA_DIR!;
const count = (table: string) => getDb().$client.prepare(`select count(*) from ${table}`).pluck().get() as number;

describe('backup and restore', () => {
  it('backs up while writes continue, restores the backed-up state, and refuses files that are not intact Arbiter databases', async () => {
    await createGeneratedProject({ prompts: 20 });
    const before = { projects: count('projects'), comparisons: count('comparisons') };
    // Writes keep landing while the online backup runs.
    let writing = true;
    let written = 0;
    const insert = getDb().$client.prepare("insert into projects (name, settings) values (?, '{}')");
    const loop = () => {
      if (!writing) return;
      insert.run(`during backup ${written}`);
      written++;
      setImmediate(loop);
    };
    loop();
    const out = path.join(dir(), 'backups', 'one.db');
    const made = await backupDatabase(out);
    writing = false;
    expect(written).toBeGreaterThan(0);
    // A consistent snapshot: the projects that existed, plus some prefix of those written meanwhile.
    expect(made.projects).toBeGreaterThanOrEqual(before.projects);
    expect(made.projects).toBeLessThanOrEqual(before.projects + written);
    expect(made.comparisons).toBe(before.comparisons);
    const copy = new Database(out, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    copy.close();
    await expect(backupDatabase(out)).rejects.toThrow(/exists; choose another name or pass --force/);

    // Later changes are undone by a restore.
    await createGeneratedProject({ prompts: 5 });
    expect(count('projects')).toBeGreaterThan(made.projects);
    const restored = await restoreDatabase(out);
    expect(restored.projects).toBe(made.projects);
    expect(count('projects')).toBe(made.projects);
    expect(count('comparisons')).toBe(made.comparisons);
    expect(getDb().$client.pragma('integrity_check', { simple: true })).toBe('ok');

    // Bad files change nothing.
    const garbage = path.join(dir(), 'backups', 'garbage.db');
    fs.writeFileSync(garbage, Buffer.alloc(8192, 7));
    await expect(restoreDatabase(garbage)).rejects.toThrow(/not a SQLite database|cannot be opened/);
    const foreign = path.join(dir(), 'backups', 'foreign.db');
    const other = new Database(foreign);
    other.exec('create table notes (x text); insert into notes values (1)');
    other.close();
    await expect(restoreDatabase(foreign)).rejects.toThrow(/is not an Arbiter database \(no __drizzle_migrations table\)/);
    const truncated = path.join(dir(), 'backups', 'truncated.db');
    fs.writeFileSync(truncated, fs.readFileSync(out).subarray(0, 12_288));
    await expect(restoreDatabase(truncated)).rejects.toThrow(/integrity_check|malformed|not a SQLite/);
    await expect(restoreDatabase(path.join(dir(), 'nope.db'))).rejects.toThrow(/does not exist/);
    expect(count('projects')).toBe(made.projects);
  }, 60_000);

  it('through the CLI: backup, restore (which needs --yes), and clear errors', async () => {
    const out = path.join(dir(), 'backups', 'cli.db');
    const made = await runTs('cli/main.ts', ['backup', '--out', out, '--json']);
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ file: out, projects: expect.any(Number) });
    const refused = await runTs('cli/main.ts', ['restore', '--from', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/pass --yes/);
    const bad = await runTs('cli/main.ts', ['restore', '--from', path.join(dir(), 'missing.db'), '--yes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/does not exist/);
    const ok = await runTs('cli/main.ts', ['restore', '--from', out, '--yes', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ projects: JSON.parse(made.stdout).projects });
  }, 60_000);
});
