import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { leaseNextTask } from '@/db/queries/annotation';
import { submitJudgment } from '@/db/queries/judgment-submit';
import { addCandidates } from '@/db/queries/candidates';
import { addProjectMember, createProject } from '@/db/queries/projects';
import { CLI_ACTOR } from '@/lib/auth/access';
import { createActor } from '../../helpers/actors';
import { runTs } from '../../helpers/spawn';
import { queryRow } from '../../helpers/sql';

const cli = (...args: string[]) => runTs('cli/main.ts', args);

describe('CLI: items and annotators', () => {
  it('adds candidates all-or-nothing, lists item status, marks gold and reports annotators', async () => {
    const project = await createProject(CLI_ACTOR, { name: 'cli items', settings: { tasks: ['pairwise'], overlap: 1 } });
    const dir = process.env.ARBITER_DATA_DIR!;
    const bad = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(bad, ['{"prompt":"ok","responses":["a","b"]}', '{oops', '{"prompt":"x","responses":[]}'].join('\n'));
    const refused = await cli('items', 'add', '--project', String(project.id), bad);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('line 2: not valid JSON');
    fs.writeFileSync(bad, ['{"prompt":"ok","responses":["a","b"]}', '{"prompt":"x","responses":[]}'].join('\n'));
    const invalid = await cli('items', 'add', '--project', String(project.id), bad);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('line 2: responses: give at least one response');
    expect((await queryRow<{ n: number }>('select count(*) as n from items where project_id = ?', project.id))!.n).toBe(0);

    const good = path.join(dir, 'good.jsonl');
    fs.writeFileSync(good, ['{"prompt":"Capital of France?","responses":[{"system":"m1","content":"Paris"},{"system":"m2","content":"Lyon"}]}', '', '{"messages":[{"role":"user","content":"2+2"}],"responses":["4","5","22"]}'].join('\n'));
    const added = await cli('items', 'add', '--project', String(project.id), good, '--json');
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toEqual({ rows: 2, promptsAdded: 2, responsesAdded: 5, itemsAdded: 4, itemsExisting: 0 });

    const list = JSON.parse((await cli('items', 'list', '--project', String(project.id), '--json')).stdout) as { total: number; rows: { id: number }[] };
    expect(list.total).toBe(4);
    const gold = await cli('items', 'gold', '--project', String(project.id), '--item', String(list.rows[0]!.id), '--answer', 'a');
    expect(gold.stdout).toMatch(/is gold: \{"winner":"a"\}/);
    const wrong = await cli('items', 'gold', '--project', String(project.id), '--item', String(list.rows[0]!.id), '--answer', 'left');
    expect(wrong.code).toBe(2);

    const annotator = await createActor('annotator', 'Cli Annotator');
    await addProjectMember(project.id, annotator.id, 'annotator');
    const task = (await leaseNextTask(annotator, project.id))!;
    await submitJudgment(annotator, project.id, { id: crypto.randomUUID(), assignmentId: task.assignmentId, winner: 'a', timeSpentMs: 2000 });
    const report = await cli('annotators', '--project', String(project.id));
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/Cli Annotator\s+1\s+1\s+2\.0s/);
  });

  it('reports agreement on attribute ratings per attribute (quality)', async () => {
    const project = await createProject(CLI_ACTOR, { name: 'ratings', settings: { tasks: ['rating'], overlap: 2, attributes: ['helpfulness', 'verbosity'] } });
    await addCandidates(CLI_ACTOR, project.id, Array.from({ length: 6 }, (_, p) => ({ prompt: `q${p}`, responses: [`short ${p}`, `a much longer answer ${p}`] })));
    const raters = [await createActor('annotator', 'Rater One'), await createActor('annotator', 'Rater Two')];
    for (const [k, rater] of raters.entries()) {
      await addProjectMember(project.id, rater.id, 'annotator');
      for (;;) {
        const task = await leaseNextTask(rater, project.id);
        if (!task) break;
        const ratings = Object.fromEntries(task.responses.map((r) => [String(r.id), { helpfulness: r.id % 5, verbosity: (r.id + k) % 5 }]));
        await submitJudgment(rater, project.id, { id: crypto.randomUUID(), assignmentId: task.assignmentId, ratings });
      }
    }
    const run = await cli('quality', '--project', String(project.id), '--json');
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { ratings: { attribute: string; ratings: number; alphaOrdinal: number }[] };
    expect(out.ratings.map((a) => a.attribute)).toEqual(['helpfulness', 'verbosity']);
    expect(out.ratings[0]).toMatchObject({ ratings: 24, alphaOrdinal: 1 }); // both raters gave identical helpfulness
    expect(out.ratings[1]!.alphaOrdinal).toBeLessThan(1);
  });
});
