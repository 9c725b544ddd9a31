/**
 * JSON body limits: readJson stops reading as soon as a body passes its route's limit (64 KB for judgments,
 * ARBITER_MAX_JSON_BODY_KB = 1024 KB by default elsewhere) and answers 413, or refuses before reading when
 * Content-Length says so. An annotator's 300 MB body once took the server from 110 MiB to 1.2 GB.
 */
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { POST as submitRoute } from '@/app/api/v1/projects/[id]/judgments/route';
import { POST as createProjectRoute } from '@/app/api/v1/projects/route';
import { leaseNextTask } from '@/db/queries/annotation';
import { createApiToken } from '@/db/queries/api-tokens';
import { addProjectMember, listProjectsForActor } from '@/db/queries/projects';
import { resetEnvCache } from '@/lib/env';
import { createActor } from '../../helpers/actors';
import { apiRequest, noParams, params } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';
import { queryValue } from '../../helpers/sql';

const MB = 1024 * 1024;

/** A body of `total` bytes produced only as it is read (64 KB per pull), counting what was read. */
function streamedBody(prefix: string, total: number) {
  const chunk = new Uint8Array(64 * 1024).fill(0x61); // "aaaa…": the inside of a JSON string
  const head = new TextEncoder().encode(prefix);
  const state = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.pulled >= total) return controller.close();
        const next = state.pulled === 0 ? head : chunk;
        state.pulled += next.byteLength;
        controller.enqueue(next);
      },
    },
    { highWaterMark: 0 }, // nothing is produced ahead of a read
  );
  return { stream, state };
}

function streamedRequest(path: string, token: string, body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Request {
  return new Request(`http://localhost:3000${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body,
    duplex: 'half',
  } as RequestInit);
}

const judgmentCount = async (projectId: number) => (await queryValue<number>('select count(*) from judgments where project_id = ?', projectId))!;

describe('JSON body limits', async () => {
  const researcher = await createActor('researcher');
  const annotator = await createActor('annotator');
  const { projectId } = await createGeneratedProject({ prompts: 12 }, researcher);
  await addProjectMember(projectId, annotator.id, 'annotator');
  const token = (await createApiToken(annotator.id, { name: 'a' })).token;
  const rToken = (await createApiToken(researcher.id, { name: 'r' })).token;
  const pp = params({ id: String(projectId) });
  const task = (await leaseNextTask(annotator, projectId))!;

  afterEach(() => {
    delete process.env.ARBITER_MAX_JSON_BODY_KB;
    resetEnvCache();
  });

  it('stops reading a streamed 20 MB judgment at its 64 KB limit and answers 413 at once, with memory bounded', async () => {
    const before = await judgmentCount(projectId);
    const { stream, state } = streamedBody(`{"id":"${crypto.randomUUID()}","assignmentId":${task.assignmentId},"winner":"a","justification":"`, 20 * MB);
    const memory = process.memoryUsage();
    const started = performance.now();
    const res = await submitRoute(streamedRequest(`/api/v1/projects/${projectId}/judgments`, token, stream), pp);
    const elapsedMs = performance.now() - started;
    const grown = { rss: process.memoryUsage().rss - memory.rss, heap: process.memoryUsage().heapUsed - memory.heapUsed };
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'the request body is larger than 64 KB, the most this endpoint reads (ARBITER_MAX_JSON_BODY_KB caps every endpoint, now 1024 KB)' });
    // Read up to the first chunk past the limit, never the rest of the 20 MB.
    expect(state.pulled).toBeLessThanOrEqual(64 * 1024 + 64 * 1024 + 200);
    expect(elapsedMs).toBeLessThan(1000);
    expect(grown.rss).toBeLessThan(50 * MB);
    expect(grown.heap).toBeLessThan(50 * MB);
    console.log(`20 MB streamed judgment: 413 after ${elapsedMs.toFixed(1)} ms, ${(state.pulled / 1024).toFixed(0)} KB read, rss ${(grown.rss / MB).toFixed(1)} MB, heap ${(grown.heap / MB).toFixed(1)} MB`);
    expect(await judgmentCount(projectId)).toBe(before);
  });

  it('refuses before reading a byte when Content-Length is over the limit', async () => {
    const { stream, state } = streamedBody('{"name":"', 300 * MB);
    const res = await createProjectRoute(streamedRequest('/api/v1/projects', rToken, stream, { 'content-length': String(300 * MB) }), noParams);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'the request body is larger than 1024 KB, the most this server reads as JSON (ARBITER_MAX_JSON_BODY_KB)' });
    expect(state.pulled).toBe(0);
  });

  it('applies ARBITER_MAX_JSON_BODY_KB to every JSON endpoint: exactly the limit is read, one byte more is 413 and nothing is stored', async () => {
    process.env.ARBITER_MAX_JSON_BODY_KB = '2';
    resetEnvCache();
    // Guidelines take long markdown (a description stops at 2,000 characters).
    const body = (bytes: number) => {
      const base = JSON.stringify({ name: 'Sized', guidelines: '' });
      return JSON.stringify({ name: 'Sized', guidelines: 'g'.repeat(bytes - base.length) });
    };
    expect(Buffer.byteLength(body(2048))).toBe(2048);
    const tooBig = await createProjectRoute(apiRequest('/api/v1/projects', { method: 'POST', token: rToken, rawBody: body(2049) }), noParams);
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toEqual({ error: 'the request body is larger than 2 KB, the most this server reads as JSON (ARBITER_MAX_JSON_BODY_KB)' });
    expect((await listProjectsForActor(researcher)).some((p) => p.name === 'Sized')).toBe(false);
    expect((await createProjectRoute(apiRequest('/api/v1/projects', { method: 'POST', token: rToken, rawBody: body(2048) }), noParams)).status).toBe(201);

    // The variable caps a route's own limit too (judgments: 64 KB → 2 KB here).
    const long = { id: crypto.randomUUID(), assignmentId: task.assignmentId, winner: 'a', justification: 'j'.repeat(3000) };
    const capped = await submitRoute(apiRequest(`/api/v1/projects/${projectId}/judgments`, { method: 'POST', token, body: long }), pp);
    expect(capped.status).toBe(413);
    expect(await capped.json()).toEqual({ error: 'the request body is larger than 2 KB, the most this server reads as JSON (ARBITER_MAX_JSON_BODY_KB)' });
  });

  it('still stores an ordinary judgment, and a long valid one under 64 KB', async () => {
    const res = await submitRoute(
      apiRequest(`/api/v1/projects/${projectId}/judgments`, { method: 'POST', token, body: { id: crypto.randomUUID(), assignmentId: task.assignmentId, winner: 'b', strength: 2, justification: '€'.repeat(5000) } }),
      pp,
    );
    expect(res.status).toBe(201);
  });
});
