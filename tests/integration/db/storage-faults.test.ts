/**
 * Storage faults: a full disk (simulated with SQLite's max_page_count, which fails writes with
 * SQLITE_FULL exactly as a full file system does) and read-only storage (query_only, which fails them
 * with SQLITE_READONLY; the tests run as root, for whom file permissions do not apply). Each gets a
 * clear answer, nothing is half-written, and the file stays intact.
 */
import { describe, expect, it } from 'vitest';
import { POST as importFile } from '@/app/api/v1/projects/[id]/imports/route';
import { POST as createProjectRoute } from '@/app/api/v1/projects/route';
import { createApiToken } from '@/db/queries/api-tokens';
import { getDb } from '@/db/client';
import { describeStorageError } from '@/lib/errors';
import { createActor } from '../../helpers/actors';
import { apiRequest, noParams, params } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';

const TABLES = ['projects', 'prompts', 'responses', 'comparisons', 'items', 'judgments'];
const snapshot = () => TABLES.map((t) => getDb().$client.prepare(`select count(*) as n, coalesce(max(rowid), 0) as m from ${t}`).get());
const pairs = (n: number) => Array.from({ length: n }, (_, k) => JSON.stringify({ prompt: `Question ${k}: ${'context '.repeat(40)}`, chosen: `Good answer ${k} ${'detail '.repeat(60)}`, rejected: `Bad answer ${k}.` })).join('\n');

describe('storage faults', async () => {
  const researcher = await createActor('researcher');
  const token = (await createApiToken(researcher.id, { name: 't' })).token;
  const { projectId } = await createGeneratedProject({ prompts: 5 }, researcher);
  const client = getDb().$client;

  it('a full disk: the import is refused with 507 and a clear message, nothing is written, and it succeeds once there is room', async () => {
    const pages = client.pragma('page_count', { simple: true }) as number;
    client.pragma(`max_page_count = ${pages + 20}`);
    const before = snapshot();
    try {
      const res = await importFile(new Request(`http://localhost:3000/api/v1/projects/${projectId}/imports?filename=big.jsonl`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: pairs(3000) }), params({ id: String(projectId) }));
      expect(res.status).toBe(507);
      expect(((await res.json()) as { error: string }).error).toMatch(/disk holding the data directory is full: nothing was written/);
      expect(snapshot()).toEqual(before);
      expect(client.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      client.pragma('max_page_count = 1073741823');
    }
    const again = await importFile(new Request(`http://localhost:3000/api/v1/projects/${projectId}/imports?filename=big.jsonl`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: pairs(3000) }), params({ id: String(projectId) }));
    expect(again.status).toBe(200);
  });

  it('read-only storage: writes are refused with 503 and a clear message; reads still work', async () => {
    const before = snapshot();
    client.pragma('query_only = ON');
    try {
      const res = await createProjectRoute(apiRequest('/api/v1/projects', { method: 'POST', token, body: { name: 'cannot be written' } }), noParams);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toMatch(/read-only: nothing was written/);
      const list = await (await import('@/app/api/v1/projects/route')).GET(apiRequest('/api/v1/projects', { token }), noParams);
      expect(list.status).toBe(200);
    } finally {
      client.pragma('query_only = OFF');
    }
    expect(snapshot()).toEqual(before);
  });

  it('names every storage failure SQLite reports', () => {
    expect(describeStorageError({ code: 'SQLITE_FULL' })?.status).toBe(507);
    expect(describeStorageError({ code: 'SQLITE_READONLY_DBMOVED' })?.message).toMatch(/read-only/);
    expect(describeStorageError({ code: 'SQLITE_IOERR_WRITE' })?.message).toMatch(/SQLITE_IOERR_WRITE/);
    expect(describeStorageError({ code: 'SQLITE_CORRUPT' })?.message).toMatch(/restore the latest backup/);
    expect(describeStorageError(new Error('other'))).toBeNull();
  });
});
