import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { initBackend } from '@/lib/ml/backend';
import { fitRewardModel } from '@/lib/ml/fit';
import { DEFAULT_CONFIG } from '@/lib/ml/reward-model';
import { linearPreferences, syntheticData } from '@/lib/ml/synthetic';
import { trainMembersInThreads } from '@/lib/threads/ml-pool';

describe('ensemble members on a worker thread', () => {
  it('gives the same members as training them one after another, and reports every epoch', async () => {
    await initBackend({ preference: 'wasm', appRoot: process.cwd() });
    const pairs = linearPreferences(1200, 21).pairs;
    const data = syntheticData(pairs.slice(0, 1000));
    const test = syntheticData(pairs.slice(1000));
    const config = { ...DEFAULT_CONFIG, kind: 'ensemble' as const, members: 4, epochs: 3 };
    const sequential = await fitRewardModel(data, config);
    const reports: string[] = [];
    const parallel = await fitRewardModel(data, config, { parallel: trainMembersInThreads, onEpoch: (r) => void reports.push(r.memberDone ? `done ${r.member}` : `${r.member}:${r.epoch}`) });
    expect(parallel.members).toBe(4);
    const rows = test.features.slice(0, 50);
    const a = sequential.memberRewards(rows);
    const b = parallel.memberRewards(rows);
    a.forEach((member, m) => member.forEach((v, i) => expect(b[m]![i]).toBeCloseTo(v, 4)));
    expect(parallel.bags?.map((bag) => bag.length)).toEqual([1000, 1000, 1000, 1000]);
    // Every member's epochs were reported, and members complete in order.
    for (const m of [0, 1, 2, 3]) for (const e of [1, 2, 3]) expect(reports).toContain(`${m}:${e}`);
    expect(reports.filter((r) => r.startsWith('done'))).toEqual(['done 0', 'done 1', 'done 2', 'done 3']);
    if (os.availableParallelism() < 2) console.warn('one core: the members trained on this thread');
  }, 120_000);
});
