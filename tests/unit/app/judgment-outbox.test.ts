import { describe, expect, it } from 'vitest';
import { putInOutbox, readOutbox, removeFromOutbox, sendJudgment, type PendingJudgment } from '@/app/_lib/judgment-outbox';

const pending: PendingJudgment = { projectId: 3, body: { id: '0b7c7b8e-6a53-4c0e-9a58-9d1c2f0f3a11', assignmentId: 1, winner: 'a' } };
const noSleep = async () => {};

function fakeFetch(script: (Response | Error)[]) {
  const calls: { url: string; body: string }[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    calls.push({ url, body: String(init.body) });
    const next = script.shift() ?? new Error('no more answers');
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetch, calls };
}

describe('sending a judgment', () => {
  it('retries network errors and 5xx with the same body until the server stores it', async () => {
    const { fetch, calls } = fakeFetch([new TypeError('network'), Response.json({ error: 'busy' }, { status: 503 }), Response.json({ created: true }, { status: 201 })]);
    const delays: number[] = [];
    const outcome = await sendJudgment(pending, { fetch, sleep: async (ms) => void delays.push(ms) });
    expect(outcome).toEqual({ kind: 'stored', status: 201, body: { created: true } });
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.body)).size).toBe(1);
    expect(calls[0]!.url).toBe('/api/v1/projects/3/judgments');
    expect(delays).toEqual([400, 800]);
  });

  it('does not retry a refusal and passes its message and field on', async () => {
    const { fetch, calls } = fakeFetch([Response.json({ error: 'strength: choose how much better', field: 'strength' }, { status: 400 })]);
    expect(await sendJudgment(pending, { fetch, sleep: noSleep })).toEqual({ kind: 'refused', status: 400, message: 'strength: choose how much better', field: 'strength' });
    expect(calls).toHaveLength(1);
  });

  it('reports unreachable after the last attempt instead of dropping the answer', async () => {
    const { fetch, calls } = fakeFetch([new Error('x'), new Error('x'), new Error('x'), new Error('x')]);
    expect((await sendJudgment(pending, { fetch, sleep: noSleep })).kind).toBe('unreachable');
    expect(calls).toHaveLength(4);
  });
});

describe('the outbox', () => {
  it('keeps one entry per judgment id until it is removed, per project', () => {
    const map = new Map<string, string>();
    const storage = { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v) };
    putInOutbox(storage, pending);
    putInOutbox(storage, { ...pending, body: { ...pending.body, winner: 'b' } });
    expect(readOutbox(storage, 3)).toEqual([{ ...pending, body: { ...pending.body, winner: 'b' } }]);
    expect(readOutbox(storage, 4)).toEqual([]);
    removeFromOutbox(storage, 3, pending.body.id);
    expect(readOutbox(storage, 3)).toEqual([]);
    map.set('arbiter.outbox.3', 'not json');
    expect(readOutbox(storage, 3)).toEqual([]);
  });
});
