import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { annotatorProgress, leaseNextTask, skipAssignment } from '@/db/queries/annotation';
import { submitJudgment } from '@/db/queries/judgment-submit';
import { getTaskForRevision, listMyHistory } from '@/db/queries/annotation-history';
import { listAnnotatorWork, listItemStatuses, setGoldAnswer } from '@/db/queries/annotation-admin';
import { addCandidates } from '@/db/queries/candidates';
import { addProjectMember, createProject, listGuidelineVersions, updateGuidelines, updateProjectSettings } from '@/db/queries/projects';
import { AppError } from '@/lib/errors';
import { listRepeatPairs } from '@/db/queries/quality';
import { selfConsistency } from '@/lib/stats/self-consistency';
import type { ProjectSettingsInput } from '@/lib/projects/settings';
import { createRng } from '@/lib/random';
import { createActor } from '../../helpers/actors';
import { collect, spawnTs } from '../../helpers/spawn';
import { execSql, queryRow, queryRows } from '../../helpers/sql';

type TestActor = Awaited<ReturnType<typeof createActor>>;

const candidates = (n: number, responses = 3) =>
  Array.from({ length: n }, (_, p) => ({
    prompt: `Question ${p}: how do I do thing ${p}?`,
    responses: Array.from({ length: responses }, (_, r) => ({ system: `sys-${r}`, content: `Answer ${r} to question ${p}.` })),
  }));

async function setup(settings: ProjectSettingsInput, annotators = 3, prompts = 5, responses = 3) {
  const researcher = await createActor('researcher');
  const project = await createProject(researcher, { name: `annotation ${Math.random()}`, settings });
  const added = await addCandidates(researcher, project.id, candidates(prompts, responses));
  const people: TestActor[] = [];
  for (let i = 0; i < annotators; i++) {
    const a = await createActor('annotator');
    await addProjectMember(project.id, a.id, 'annotator');
    people.push(a);
  }
  return { researcher, projectId: project.id, added, annotators: people };
}

const count = async (sql: string, ...args: unknown[]) => (await queryRow<{ n: number }>(sql, ...args))!.n;

describe('candidates become items per project settings', () => {
  it('creates every pair for pairwise projects and deduplicates identical content', async () => {
    const { researcher, projectId, added } = await setup({ tasks: ['pairwise'], overlap: 2 });
    expect(added).toEqual({ rows: 5, promptsAdded: 5, responsesAdded: 15, itemsAdded: 15, itemsExisting: 0 });
    expect(await addCandidates(researcher, projectId, candidates(5))).toMatchObject({ promptsAdded: 0, responsesAdded: 0, itemsAdded: 0, itemsExisting: 15 });
    expect(await count('select count(*) as n from items where project_id = ? and required_annotations = 2', projectId)).toBe(15);
  });

  it('rejects a file with a bad row as a whole, naming the row and the field', async () => {
    const { researcher, projectId } = await setup({ tasks: ['pairwise'] }, 0, 1);
    const before = await count('select count(*) as n from prompts where project_id = ?', projectId);
    const bad = [...candidates(2), { prompt: 'x', responses: [''] }, { messages: [{ role: 'assistant', content: 'hi' }], responses: ['a', 'b'] }];
    let error: unknown;
    try {
      await addCandidates(researcher, projectId, bad);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'invalid' });
    expect((error as AppError).details.rows).toEqual([
      { row: 3, message: 'responses.0: a response must not be empty' },
      { row: 4, message: 'messages: messages must end with a user turn' },
    ]);
    expect(await count('select count(*) as n from prompts where project_id = ?', projectId)).toBe(before);
  });
});

describe('leases', () => {
  it('serves blind tasks with randomised sides and keeps the same lease until it is answered', async () => {
    const { projectId, annotators } = await setup({ tasks: ['pairwise'], overlap: 1 }, 1, 20, 2);
    const [a] = annotators;
    const first = (await leaseNextTask(a!, projectId, { rng: createRng(1) }))!;
    expect(first.responses).toHaveLength(2);
    expect(JSON.stringify(first)).not.toMatch(/sys-|gold|isGold/);
    expect((await leaseNextTask(a!, projectId))!.assignmentId).toBe(first.assignmentId);

    let flipped = 0;
    for (let i = 0; i < 20; i++) {
      const task = (await leaseNextTask(a!, projectId, { rng: createRng(100 + i) }))!;
      const canonical = JSON.parse((await queryRow<{ response_ids: string }>('select response_ids from items where id = ?', task.itemId))!.response_ids) as number[];
      if (task.responses[0]!.id !== canonical[0]) flipped++;
      await submitJudgment(a!, projectId, { id: crypto.randomUUID(), assignmentId: task.assignmentId, winner: 'a' });
    }
    expect(flipped).toBeGreaterThan(3);
    expect(flipped).toBeLessThan(17);
    expect(await leaseNextTask(a!, projectId)).toBeNull();
  });

  it('never gives an annotator the same item twice and serves least-annotated items first', async () => {
    const { projectId, annotators } = await setup({ tasks: ['pairwise'], overlap: 3 }, 3, 4, 3);
    const [a, b] = annotators;
    const seenA: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = (await leaseNextTask(a!, projectId))!;
      seenA.push(t.itemId);
      await submitJudgment(a!, projectId, { id: crypto.randomUUID(), assignmentId: t.assignmentId, winner: 'tie' });
    }
    const t = (await leaseNextTask(b!, projectId))!;
    expect(seenA).not.toContain(t.itemId); // 8 items have no answer yet
    for (;;) {
      const next = await leaseNextTask(a!, projectId);
      if (!next) break;
      seenA.push(next.itemId);
      await skipAssignment(a!, projectId, next.assignmentId);
    }
    expect(new Set(seenA).size).toBe(seenA.length);
    expect(seenA).toHaveLength(12);
    expect(await annotatorProgress(a!, projectId)).toEqual({ done: 4, remaining: 0, skipped: 8 });
  });

  it('returns an abandoned item to the pool when its lease expires, and refuses a late answer once others filled it', async () => {
    const { projectId, annotators } = await setup({ tasks: ['pairwise'], overlap: 1, assignmentOrder: 'fixed' }, 2, 1, 2);
    const [a, b] = annotators;
    const held = (await leaseNextTask(a!, projectId))!;
    expect(await leaseNextTask(b!, projectId)).toBeNull(); // the only item is leased and overlap is 1
    await execSql('update assignments set expires_at = ? where id = ?', Date.now() - 1, held.assignmentId);
    const taken = (await leaseNextTask(b!, projectId))!;
    expect(taken.itemId).toBe(held.itemId);
    await submitJudgment(b!, projectId, { id: crypto.randomUUID(), assignmentId: taken.assignmentId, winner: 'b' });
    await expect(submitJudgment(a!, projectId, { id: crypto.randomUUID(), assignmentId: held.assignmentId, winner: 'a' })).rejects.toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(await count('select count(*) as n from judgments where item_id = ?', held.itemId)).toBe(1);
  });

  it('accepts a late answer when the slot is still free', async () => {
    const { projectId, annotators } = await setup({ tasks: ['pairwise'], overlap: 1 }, 1, 1, 2);
    const held = (await leaseNextTask(annotators[0]!, projectId))!;
    await execSql('update assignments set expires_at = ? where id = ?', Date.now() - 1, held.assignmentId);
    expect((await submitJudgment(annotators[0]!, projectId, { id: crypto.randomUUID(), assignmentId: held.assignmentId, winner: 'a' })).created).toBe(true);
  });

  it('never fills an item beyond its overlap with annotators in several processes at once', async () => {
    const { projectId, annotators } = await setup({ tasks: ['pairwise'], overlap: 2, assignmentOrder: 'random' }, 6, 10, 3);
    const ids = annotators.map((a) => a.id);
    const go = path.join(process.env.ARBITER_DATA_DIR!, 'go');
    // Paced at 3 ms per answer: 60 answers cannot all go to whichever process wakes first.
    const env = { ARBITER_TEST_GO: go, ARBITER_TEST_PACE_MS: '3' };
    const procs = [[ids[0]!, ids[1]!], [ids[2]!, ids[3]!], [ids[4]!, ids[5]!]].map((users) => spawnTs('tests/helpers/procs/annotate-all.ts', [String(projectId), ...users], env));
    let ready = 0;
    await Promise.all(procs.map((p) => new Promise<void>((resolve) => p.stdout!.on('data', function onData(d: Buffer) {
      if (d.toString().includes('ready')) {
        ready++;
        p.stdout!.off('data', onData);
        resolve();
      }
    }))));
    expect(ready).toBe(3);
    fs.writeFileSync(go, '');
    const results = await Promise.all(procs.map(collect));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const answered = results.flatMap((r) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as number[]);
    expect(answered).toHaveLength(60); // 30 items × overlap 2
    const perItem = await queryRows<{ n: number; u: number }>('select item_id, count(*) as n, count(distinct user_id) as u from judgments where project_id = ? group by item_id', projectId);
    expect(perItem).toHaveLength(30);
    expect(perItem.every((r) => r.n === 2 && r.u === 2)).toBe(true);
    expect(await count("select count(*) as n from items where project_id = ? and status = 'complete' and annotation_count = 2", projectId)).toBe(30);
    // They really raced: every process got work.
    expect(results.filter((r) => (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as number[]).length > 0)).toHaveLength(3);
  });
});

describe('submitting', () => {
  it('stores shown-terms answers canonically, with the shown order, guideline version and a derived comparison', async () => {
    const { projectId, annotators } = await setup({ tasks: ['pairwise'], strengthScale: '7', justification: 'optional' }, 1, 1, 2);
    const a = annotators[0]!;
    const task = (await leaseNextTask(a, projectId))!;
    const left = task.responses[0]!.id;
    const right = task.responses[1]!.id;
    const id = crypto.randomUUID();
    expect(await submitJudgment(a, projectId, { id, assignmentId: task.assignmentId, winner: 'a', strength: 3, justification: '  cites sources ', timeSpentMs: 4200 })).toMatchObject({ created: true });
    const row = (await queryRow('select * from judgments where id = ?', id))!;
    expect(JSON.parse(row.shown_order as string)).toEqual([left, right]);
    expect(row).toMatchObject({ strength: 3, justification: 'cites sources', guidelines_version: 1, time_spent_ms: 4200, label_source: 'human' });
    const comparison = await queryRows('select * from comparisons where judgment_id = ?', id);
    expect(comparison).toEqual([expect.objectContaining({ winner_response_id: left, loser_response_id: right, is_tie: 0, strength: 3, annotator_id: a.id })]);
  });

  it('stores a double-clicked or retried submit exactly once, and treats a changed answer with the same id as a revision', async () => {
    const { projectId, annotators } = await setup({ tasks: ['pairwise'] }, 1, 1, 2);
    const a = annotators[0]!;
    const task = (await leaseNextTask(a, projectId))!;
    const body = { id: crypto.randomUUID(), assignmentId: task.assignmentId, winner: 'b' as const };
    const results = [await submitJudgment(a, projectId, body), await submitJudgment(a, projectId, body), await submitJudgment(a, projectId, body)];
    expect(results.map((r) => r.created)).toEqual([true, false, false]);
    expect(await count('select count(*) as n from judgments where item_id = ?', task.itemId)).toBe(1);
    expect(await count('select annotation_count as n from items where id = ?', task.itemId)).toBe(1);

    expect(await submitJudgment(a, projectId, { ...body, winner: 'both_bad' })).toMatchObject({ created: false, revised: true });
    const comparisons = await queryRows('select is_tie, tie_kind from comparisons where judgment_id = ?', body.id);
    expect(comparisons).toEqual([{ is_tie: 1, tie_kind: 'both_bad' }]);
    expect(await count('select annotation_count as n from items where id = ?', task.itemId)).toBe(1);
    await expect(submitJudgment(a, projectId, { ...body, id: crypto.randomUUID() })).rejects.toThrow(/already answered/);

    const history = await listMyHistory(a, projectId);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ judgmentId: body.id, winner: 'both_bad' });
    const reopened = await getTaskForRevision(a, projectId, body.id);
    expect(reopened.previous).toMatchObject({ judgmentId: body.id, winner: 'both_bad' });
    expect(reopened.responses.map((r) => r.id)).toEqual(task.responses.map((r) => r.id));
  });

  it('refuses bad answers with the field named and stores nothing', async () => {
    const { projectId, annotators } = await setup({ tasks: ['pairwise'], strengthScale: '3', justification: 'required' }, 2, 1, 2);
    const [a, b] = annotators;
    const task = (await leaseNextTask(a!, projectId))!;
    const base = { id: crypto.randomUUID(), assignmentId: task.assignmentId };
    const fieldOf = async (input: object) => {
      try {
        await submitJudgment(a!, projectId, { ...base, ...input });
      } catch (e) {
        return e instanceof AppError && e.details.field ? e.details.field : (e as Error).constructor.name;
      }
      return 'stored';
    };
    expect(await fieldOf({})).toBe('winner');
    expect(await fieldOf({ winner: 'a', justification: 'x' })).toBe('strength');
    expect(await fieldOf({ winner: 'a', strength: 2 })).toBe('justification');
    expect(await fieldOf({ winner: 'tie', strength: 2, justification: 'x' })).toBe('strength');
    expect(await fieldOf({ winner: 'a', strength: 9, justification: 'x' })).toBe('ZodError');
    expect(await fieldOf({ winner: 'a', strength: 1, justification: 'x', ranking: [[1]] })).toBe('ranking');
    expect(await count('select count(*) as n from judgments where project_id = ?', projectId)).toBe(0);
    // Another annotator cannot answer (or even see) someone else's lease.
    await expect(submitJudgment(b!, projectId, { ...base, winner: 'a', strength: 1, justification: 'x' })).rejects.toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(await fieldOf({ winner: 'a', strength: 1, justification: 'x' })).toBe('stored');
  });

  it('refuses people who are not members of the project', async () => {
    const { projectId } = await setup({ tasks: ['pairwise'] }, 0, 1, 2);
    const outsider = await createActor('annotator');
    await expect(leaseNextTask(outsider, projectId)).rejects.toThrow(expect.objectContaining({ code: 'not-found' }));
    await expect(listMyHistory(outsider, projectId)).rejects.toThrow(expect.objectContaining({ code: 'not-found' }));
  });

  it('ranks with tie groups and rates attributes on one screen, deriving every implied pair', async () => {
    const { projectId, annotators } = await setup({ tasks: ['ranking', 'rating'], rankingSize: 4, attributes: ['helpfulness', 'correctness'] }, 1, 1, 4);
    const a = annotators[0]!;
    const task = (await leaseNextTask(a, projectId))!;
    expect(task.kind).toBe('ranking');
    const [r1, r2, r3, r4] = task.responses.map((r) => r.id) as [number, number, number, number];
    const ratings = Object.fromEntries(task.responses.map((r, i) => [String(r.id), { helpfulness: 4 - i, correctness: 2 }]));
    const base = { id: crypto.randomUUID(), assignmentId: task.assignmentId };
    await expect(submitJudgment(a, projectId, { ...base, ranking: [[r1], [r2, r3]], ratings })).rejects.toThrow(/rank all 4 responses/);
    await expect(submitJudgment(a, projectId, { ...base, ranking: [[r1], [r2, r3], [r4]] })).rejects.toThrow(/rate every response/);
    await submitJudgment(a, projectId, { ...base, ranking: [[r1], [r2, r3], [r4]], ratings });
    const rows = await queryRows<{ w: number; l: number; t: number; g: string }>('select winner_response_id as w, loser_response_id as l, is_tie as t, group_id as g from comparisons where judgment_id = ?', base.id);
    expect(rows).toHaveLength(6);
    expect(rows.filter((r) => r.t === 1)).toEqual([{ w: r2, l: r3, t: 1, g: base.id }]);
    expect(rows.filter((r) => r.w === r1)).toHaveLength(3);
  });
});

describe('gold items and researcher views', () => {
  it('mixes gold items in, scores each annotator against them, and reports throughput', async () => {
    const { researcher, projectId, annotators } = await setup({ tasks: ['pairwise'], overlap: 1, goldRate: 0.5 }, 2, 10, 2);
    const itemIds = (await queryRows<{ id: number; response_ids: string }>('select id, response_ids from items where project_id = ? order by id', projectId)).map((r) => r.id);
    await setGoldAnswer(researcher, projectId, itemIds[0]!, { winner: 'a' });
    await setGoldAnswer(researcher, projectId, itemIds[1]!, { winner: 'b' });
    await expect(setGoldAnswer(researcher, projectId, itemIds[2]!, { best: 5 })).rejects.toThrow(/pair item takes a gold winner/);
    await expect(setGoldAnswer(annotators[0]!, projectId, itemIds[2]!, { winner: 'a' })).rejects.toThrow();

    const [a, b] = annotators;
    const answer = async (actor: TestActor, rng: number, pick: (canonicalFirst: boolean) => 'a' | 'b') => {
      const seen: number[] = [];
      for (let k = 0; ; k++) {
        const t = await leaseNextTask(actor, projectId, { rng: createRng(rng + k) });
        if (!t) return seen;
        const canonical = JSON.parse((await queryRow<{ response_ids: string }>('select response_ids from items where id = ?', t.itemId))!.response_ids) as number[];
        // Always pick the canonical "a" (left when not flipped) through the shown sides.
        const shownFirstIsCanonicalA = t.responses[0]!.id === canonical[0];
        await submitJudgment(actor, projectId, { id: crypto.randomUUID(), assignmentId: t.assignmentId, winner: pick(shownFirstIsCanonicalA), timeSpentMs: 3000 + k });
        seen.push(t.itemId);
      }
    };
    const seenA = await answer(a!, 10, (first) => (first ? 'a' : 'b'));
    const seenB = await answer(b!, 50, (first) => (first ? 'a' : 'b'));
    // Gold items reach both annotators (they are not capped by the overlap); regular items are split.
    const gold = itemIds.slice(0, 2);
    const goldSeen = (seen: number[]) => seen.filter((id) => gold.includes(id)).length;
    expect(goldSeen(seenA) + goldSeen(seenB)).toBeGreaterThan(0);
    const regularTotal = [...seenA, ...seenB].filter((id) => !gold.includes(id));
    expect(new Set(regularTotal).size).toBe(8);
    expect(regularTotal).toHaveLength(8);

    const work = await listAnnotatorWork(researcher, projectId);
    for (const w of work) {
      const seen = w.userId === a!.id ? seenA : seenB;
      const goldAnswered = seen.filter((id) => gold.includes(id));
      expect(w.gold.answered).toBe(goldAnswered.length);
      // Every answer was canonical "a": right on the first gold item, wrong on the second.
      expect(w.gold.correct).toBe(goldAnswered.filter((id) => id === gold[0]).length);
      expect(w.judgments).toBe(seen.length);
      expect(w.medianMs).toBeGreaterThanOrEqual(3000);
      expect(w.perHour).toBeGreaterThan(1000);
    }
    await expect(listAnnotatorWork(a!, projectId)).rejects.toThrow();

    const status = await listItemStatuses(researcher, projectId, { filter: 'gold' });
    expect(status.total).toBe(2);
    expect(status.rows.every((r) => r.isGold && r.status === 'open')).toBe(true);
    expect((await listItemStatuses(researcher, projectId, { filter: 'complete' })).total).toBe(8);
  });
});

describe('settings and guidelines', () => {
  it('applies a new overlap to existing items and records the guideline version each answer was given under', async () => {
    const { researcher, projectId, annotators } = await setup({ tasks: ['pairwise'], overlap: 1 }, 2, 1, 2);
    const [a, b] = annotators;
    const t1 = (await leaseNextTask(a!, projectId))!;
    await submitJudgment(a!, projectId, { id: crypto.randomUUID(), assignmentId: t1.assignmentId, winner: 'a' });
    expect(await leaseNextTask(b!, projectId)).toBeNull();

    await expect(updateProjectSettings(a!, projectId, { overlap: 2 })).rejects.toThrow();
    await expect(updateProjectSettings(researcher, projectId, { overlap: 0 })).rejects.toThrow(/overlap/i);
    await updateProjectSettings(researcher, projectId, { tasks: ['pairwise'], overlap: 2 });
    expect(await count("select count(*) as n from items where project_id = ? and status = 'open' and required_annotations = 2", projectId)).toBe(1);

    expect(await updateGuidelines(researcher, projectId, '# Be strict')).toBe(2);
    expect(await updateGuidelines(researcher, projectId, '# Be strict')).toBe(2); // unchanged text keeps the version
    const t2 = (await leaseNextTask(b!, projectId))!;
    expect(t2.guidelinesVersion).toBe(2);
    const id = crypto.randomUUID();
    await submitJudgment(b!, projectId, { id, assignmentId: t2.assignmentId, winner: 'b' });
    expect(await count('select guidelines_version as n from judgments where id = ?', id)).toBe(2);
    expect((await listGuidelineVersions(projectId)).map((v) => v.version)).toEqual([2, 1]);
    expect(await count("select count(*) as n from items where project_id = ? and status = 'complete'", projectId)).toBe(1);
  });
});

describe('self-consistency repeats', () => {
  it('re-serves answered pairs with the sides flipped, only to the same annotator, without counting them twice', async () => {
    const { projectId, annotators } = await setup({ tasks: ['pairwise'], overlap: 2, repeatRate: 0.2 }, 2, 20, 2);
    const [leftClicker, careful] = annotators;
    const canonicalOf = async (itemId: number) => JSON.parse((await queryRow<{ response_ids: string }>('select response_ids from items where id = ?', itemId))!.response_ids) as number[];
    const answerAll = async (actor: TestActor, seed: number, pick: (t: { itemId: number; responses: { id: number }[] }) => 'a' | 'b' | Promise<'a' | 'b'>) => {
      for (let k = 0; ; k++) {
        const t = await leaseNextTask(actor, projectId, { rng: createRng(seed + k) });
        if (!t) return;
        await submitJudgment(actor, projectId, { id: crypto.randomUUID(), assignmentId: t.assignmentId, winner: await pick(t) });
      }
    };
    await answerAll(leftClicker!, 100, () => 'a'); // always the left side
    await answerAll(careful!, 500, async (t) => (t.responses[0]!.id === (await canonicalOf(t.itemId))[0] ? 'a' : 'b')); // always canonical first

    const repeats = await queryRows<{
      id: number;
      original: number;
      user_id: string;
      shown_order: string;
    }>('select r.id, r.repeat_of_item_id as original, a.user_id, a.shown_order from items r join assignments a on a.item_id = r.id where r.project_id = ? and r.repeat_of_item_id is not null', projectId);
    expect(repeats.length).toBeGreaterThan(1);
    for (const r of repeats) {
      // Only ever assigned to one person, who had answered the original, and shown the other way round.
      expect(await count('select count(*) as n from assignments where item_id = ?', r.id)).toBe(1);
      const original = (await queryRow<{ shown_order: string }>('select shown_order from assignments where item_id = ? and user_id = ?', r.original, r.user_id))!;
      expect(JSON.parse(r.shown_order)).toEqual((JSON.parse(original.shown_order) as number[]).reverse());
      expect(await count('select count(*) as n from comparisons c join judgments j on j.id = c.judgment_id where j.item_id = ?', r.id)).toBe(0);
    }
    // Every regular item got its two judgments; progress ignores repeats.
    expect(await count("select count(*) as n from items where project_id = ? and repeat_of_item_id is null and status = 'complete'", projectId)).toBe(20);
    expect((await annotatorProgress(careful!, projectId)).done).toBe(20);

    const report = selfConsistency(await listRepeatPairs(projectId));
    const of = (a: TestActor) => report.perAnnotator.find((x) => x.annotator === a.name);
    expect(of(leftClicker!)!.rate).toBe(0); // following the side reverses every flipped pair
    expect(of(careful!)!.rate).toBe(1);
    expect(report.repeats).toBe(repeats.length);
  });
});
