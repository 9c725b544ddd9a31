import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { enqueueJob } from '@/db/queries/queue';
import { createGeneratedProject } from '../../helpers/projects';
import { collect, spawnTs } from '../../helpers/spawn';

describe('several workers on one database', () => {
  it('claim every job exactly once while more jobs keep arriving', async () => {
    const { projectId } = await createGeneratedProject({ prompts: 2 });
    const ids: number[] = [];
    for (let i = 0; i < 300; i++) ids.push((await enqueueJob('recompute-stats', { projectId })).id);
    // Both claimers start claiming at the same moment: a claimer slow to start (tsx under load) would otherwise
    // find every job taken, and the test would say nothing about two workers competing.
    const startFile = path.join(process.env.ARBITER_DATA_DIR!, `claim-start-${Date.now()}`);
    const workers = [spawnTs('tests/helpers/procs/claim-all.ts', ['a', startFile]), spawnTs('tests/helpers/procs/claim-all.ts', ['b', startFile])];
    const done = workers.map(collect);
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => w.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()))));
    fs.writeFileSync(startFile, '');
    for (let i = 0; i < 300; i++) {
      ids.push((await enqueueJob('recompute-stats', { projectId })).id);
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 10));
    }
    const results = await Promise.all(done);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const claimed = results.flatMap((r) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as number[]);
    expect(claimed.length).toBe(ids.length);
    expect(new Set(claimed)).toEqual(new Set(ids));
    expect(results.every((r) => (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as number[]).length > 0)).toBe(true);
  });
});
