import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeProjectExport } from '@/db/queries/export';
import { runImport } from '@/db/queries/imports';
import { createProject } from '@/db/queries/projects';
import { CLI_ACTOR } from '@/lib/auth/access';
import { DEFAULT_EXPORT_OPTIONS, type Message } from '@/lib/data/export';

const dataDir = () => process.env.ARBITER_DATA_DIR!;
let runs = 0;

/** Non-blank text: unicode graphemes (emoji, CJK, combining marks, RTL), sometimes very long. */
const text = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), fc.integer({ min: 2_000, max: 12_000 })).map(([s, n]) => s.repeat(Math.ceil(n / s.length))) },
).filter((s) => s.trim().length > 0);

/** A conversation ending with a user turn: an optional system prompt (possibly empty), then 1–3 exchanges. */
const conversation: fc.Arbitrary<Message[]> = fc
  .tuple(fc.option(fc.oneof(fc.constant(''), text), { nil: undefined }), fc.array(fc.tuple(text, text), { minLength: 0, maxLength: 2 }), text)
  .map(([system, turns, last]) => [
    ...(system === undefined ? [] : [{ role: 'system' as const, content: system }]),
    ...turns.flatMap(([u, a]) => [{ role: 'user' as const, content: u }, { role: 'assistant' as const, content: a }]),
    { role: 'user' as const, content: last },
  ]);

/** Pairs over a few prompts and a small pool of texts, so prompts hold several pairs that share responses; each pair decided once. */
const dataset = fc
  .tuple(
    fc.array(conversation, { minLength: 1, maxLength: 3 }),
    fc.array(text, { minLength: 2, maxLength: 5 }),
    fc.array(fc.record({ prompt: fc.nat(), chosen: fc.nat(), rejected: fc.nat(), strength: fc.option(fc.constantFrom(1, 2, 3, 0.5), { nil: undefined }), annotator: fc.option(fc.constantFrom('ann-1', 'Zoë', '注釈者'), { nil: undefined }) }), { minLength: 1, maxLength: 8 }),
  )
  .map(([prompts, texts, pairs]) => pairs.map((p) => ({ ...p, prompt: prompts[p.prompt % prompts.length]!, chosen: texts[p.chosen % texts.length]!, rejected: texts[p.rejected % texts.length]! })))
  .map((pairs) => pairs.filter((p) => p.chosen.trim() !== p.rejected.trim()))
  .map((pairs) => [...new Map(pairs.map((p) => [JSON.stringify([p.prompt, p.chosen, p.rejected]), p])).values()])
  .filter((pairs) => pairs.length > 0);

async function importFile(file: string) {
  const project = await createProject(CLI_ACTOR, { name: `round trip ${++runs}` });
  const report = await runImport(CLI_ACTOR, project.id, file, { format: 'pairs' });
  expect(report.errors).toEqual([]);
  expect(report.imported).toBe(true);
  return project.id;
}

async function exportCanonical(projectId: number, ties: 'drop' | 'both-orderings' = 'drop') {
  const out = path.join(dataDir(), `export-${projectId}`);
  const summary = await writeProjectExport(projectId, out, { format: 'trl', options: { ...DEFAULT_EXPORT_OPTIONS, ties } });
  expect(summary.validation.errors).toEqual([]);
  return { file: path.join(out, 'train.jsonl'), bytes: fs.readFileSync(path.join(out, 'train.jsonl')) };
}

describe('canonical round trip: export → import → export', () => {
  it('is byte-identical over generated conversations (unicode, empty system prompts, very long texts)', async () => {
    await fc.assert(
      fc.asyncProperty(dataset, async (pairs) => {
        const source = path.join(dataDir(), `source-${runs}.jsonl`);
        fs.writeFileSync(source, pairs.map((p) => JSON.stringify({ prompt: p.prompt, chosen: [{ role: 'assistant', content: p.chosen }], rejected: [{ role: 'assistant', content: p.rejected }], ...(p.strength ? { strength: p.strength } : {}), ...(p.annotator ? { annotator: p.annotator } : {}) })).join('\n') + '\n');
        const first = await exportCanonical(await importFile(source));
        expect(first.bytes.toString('utf8').trim().split('\n')).toHaveLength(pairs.length);
        const second = await exportCanonical(await importFile(first.file));
        expect(second.bytes.equals(first.bytes)).toBe(true);
      }),
      { numRuns: 100, seed: 20261124 },
    );
  }, 120_000);

  it('keeps both-orderings ties as ties', async () => {
    const source = path.join(dataDir(), 'ties.jsonl');
    const prompt = [{ role: 'user', content: 'Either?' }];
    fs.writeFileSync(source, `${JSON.stringify({ prompt, chosen: 'Yes.', rejected: 'No.', tie: true })}\n${JSON.stringify({ prompt, chosen: 'Up.', rejected: 'Down.', strength: 2 })}\n`);
    const first = await exportCanonical(await importFile(source), 'both-orderings');
    const rows = first.bytes.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { tie?: boolean; margin?: number });
    expect(rows.filter((r) => r.tie)).toHaveLength(2);
    const second = await exportCanonical(await importFile(first.file), 'both-orderings');
    expect(second.bytes.equals(first.bytes)).toBe(true);
  });
});
