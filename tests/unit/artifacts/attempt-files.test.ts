/**
 * The rules that keep a job's attempts apart in the store (lib/artifacts): a checkpoint's files stay until
 * a newer checkpoint is stored, and the cleanup after publishing never reaches a later attempt's files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asCheckpointFileMap, CheckpointFiles } from '@/lib/artifacts/checkpoint-files';
import { DirectoryArtifactStore } from '@/lib/artifacts/directory-store';
import { attemptOfSegment } from '@/lib/artifacts/keys';
import { removeSupersededFiles } from '@/lib/artifacts/superseded';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-attempt-files-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const keys = async (store: DirectoryArtifactStore, prefix: string) => (await store.list(prefix)).map((e) => e.key);

describe('attempt-scoped files', () => {
  it('a checkpoint keeps the files it names until a newer checkpoint is stored', async () => {
    const store = new DirectoryArtifactStore(path.join(tmp, 'checkpoints'));
    const first = new CheckpointFiles(store, 'models/1/job3-a1/checkpoints', null, () => undefined);
    await first.put('state.bin', 'epoch 1');
    await first.put('state.bin', 'epoch 1, again'); // replaced before any checkpoint named it: removed at once
    expect(await keys(store, 'models/1')).toHaveLength(1);
    const stored = first.files();
    await first.saved(); // the checkpoint naming `stored` is in the database now
    await first.put('state.bin', 'epoch 2');
    await first.remove('extra.json');
    expect(await keys(store, 'models/1')).toHaveLength(2); // the stored checkpoint's file stays while the next is written
    // A second attempt resumes from the stored checkpoint: it reads that checkpoint's bytes, wherever they are.
    const resumed = new CheckpointFiles(store, 'models/1/job3-a2/checkpoints', asCheckpointFileMap(stored), () => undefined);
    expect((await resumed.read('state.bin')).toString()).toBe('epoch 1, again');
    await resumed.put('state.bin', 'epoch 2 of attempt 2');
    await resumed.saved(); // its own checkpoint is stored: the one it resumed is no longer named
    expect(await store.exists(stored['state.bin']!)).toBe(false);
    expect((await resumed.read('state.bin')).toString()).toBe('epoch 2 of attempt 2');
    expect(asCheckpointFileMap({ 'a.bin': '../../arbiter.db' })).toBeNull();
    expect(asCheckpointFileMap([1])).toBeNull();
  });

  it("the cleanup after publishing removes earlier attempts' files and this attempt's checkpoints, never a later attempt's", async () => {
    const store = new DirectoryArtifactStore(path.join(tmp, 'superseded'));
    const files = [
      'models/7/model.json', // an install's files from before the store: not an attempt's
      'models/7/job3-a1/model.json',
      'models/7/job3-a1/checkpoints/ab-state.bin',
      'models/7/job3-a2/model.json',
      'models/7/job3-a2/weights.bin',
      'models/7/job3-a2/checkpoints/cd-state.bin',
      'models/7/job3-a3/checkpoints/ef-state.bin', // a newer owner's, written while attempt 2 was paused
      'models/7/job9-a1/model.json', // another job's
    ];
    for (const key of files) await store.put(key, key);
    const removed = await removeSupersededFiles(store, 'models/7', { id: 3, attempt: 2 }, ['models/7/job3-a2/model.json', 'models/7/job3-a2/weights.bin']);
    expect(removed).toBe(3);
    expect(await keys(store, 'models/7')).toEqual(['models/7/job3-a2/model.json', 'models/7/job3-a2/weights.bin', 'models/7/job3-a3/checkpoints/ef-state.bin', 'models/7/job9-a1/model.json', 'models/7/model.json']);
    expect(fs.existsSync(path.join(tmp, 'superseded', 'models', '7', 'job3-a1'))).toBe(false); // no empty folder left
    expect([attemptOfSegment('job3-a12', 3), attemptOfSegment('a4', 3), attemptOfSegment('job4-a1', 3), attemptOfSegment('checkpoints', 3)]).toEqual([12, 4, null, null]);
  });
});
