import { describe, expect, it } from 'vitest';
import { waitingFor } from '@/lib/jobs/waiting-for';
import { parseJobKinds, workerKinds } from '@/workers/kinds';

describe('worker kinds', () => {
  it('reads --kinds (either spelling) before ARBITER_WORKER_KINDS, and all kinds when neither is given', () => {
    expect(workerKinds(['--kinds', 'align-policy,train-reward-model'], 'export-dataset')).toEqual(['align-policy', 'train-reward-model']);
    expect(workerKinds(['--exit-when-idle', '--kinds=export-dataset'], undefined)).toEqual(['export-dataset']);
    expect(workerKinds([], ' recompute-stats , export-dataset ,recompute-stats')).toEqual(['recompute-stats', 'export-dataset']);
    expect(workerKinds([], undefined)).toBeNull();
    expect(workerKinds([], '  ')).toBeNull();
  });

  it('refuses an unknown kind by name, an empty list, and --kinds without a value', () => {
    expect(() => parseJobKinds('align-policy,train-gpt', '--kinds')).toThrow(/--kinds: unknown job kind 'train-gpt' \(known: .*align-policy/);
    expect(() => parseJobKinds(' , ', 'ARBITER_WORKER_KINDS')).toThrow('ARBITER_WORKER_KINDS names no job kind');
    expect(() => workerKinds(['--kinds'], undefined)).toThrow('--kinds needs a comma-separated list of job kinds');
    expect(() => workerKinds(['--kinds', '--exit-when-idle'], undefined)).toThrow(/--kinds needs/);
  });

  it('says what a queued job waits for only when no live worker runs its kind', () => {
    expect(waitingFor('align-policy', { any: true, all: true, kinds: new Set() })).toBeNull();
    expect(waitingFor('align-policy', { any: true, all: false, kinds: new Set(['align-policy']) })).toBeNull();
    expect(waitingFor('align-policy', { any: true, all: false, kinds: new Set(['export-dataset']) })).toBe('Waiting for a worker that runs align-policy: no live worker takes this kind');
    expect(waitingFor('align-policy', { any: false, all: false, kinds: new Set() })).toBe('Waiting for a worker that runs align-policy: no worker is running');
  });
});
