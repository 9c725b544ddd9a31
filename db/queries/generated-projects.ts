/**
 * Writes a generated preference dataset (lib/demo) into a new project in one transaction: simulated
 * annotators, prompts, responses, pairwise items, judgments and their derived comparisons.
 */
import { comparisonFromPairwise } from '@/lib/annotation/derive-comparisons';
import type { Actor } from '@/lib/auth/access';
import { contentHash } from '@/lib/data/content-hash';
import type { GeneratedDataset } from '@/lib/demo/generate-preferences';
import { projectSettingsSchema } from '@/lib/projects/settings';
import { projectGuidelines, projectMembers, projects, users } from '../schema';
import { getDb } from '../client';

export const DEMO_GUIDELINES = `# How to judge

Read the conversation, then both responses. Pick the response that is **more helpful, correct and clear**.

- **Tie** when both are good and you cannot separate them; **Both bad** when neither answers well.
- Length is not quality: a short correct answer beats a long vague one.
- Use the strength scale for how sure you are (−3 … +3).
`;

export type InsertedProject = { projectId: number; prompts: number; responses: number; items: number; judgments: number; comparisons: number };

export function insertGeneratedProject(actor: Actor, dataset: GeneratedDataset, meta: { name: string; description: string; isDemo?: boolean }): InsertedProject {
  const db = getDb();
  const overlap = Math.max(1, Math.min(dataset.config.overlap, dataset.annotators.length || 1));
  const settings = projectSettingsSchema.parse({ tasks: ['pairwise'], overlap, strengthScale: '7', justification: 'optional' });
  return db.transaction((tx) => {
    const projectId = tx
      .insert(projects)
      .values({ name: meta.name, description: meta.description, settings, guidelines: DEMO_GUIDELINES, isDemo: meta.isDemo ?? false, createdBy: actor.id })
      .returning({ id: projects.id })
      .all()[0]!.id;
    tx.insert(projectGuidelines).values({ projectId, version: 1, markdown: DEMO_GUIDELINES }).run();
    if (actor.id) tx.insert(projectMembers).values({ projectId, userId: actor.id, role: 'researcher' }).run();

    const annotatorIds = dataset.annotators.map((a, i) => {
      const id = crypto.randomUUID();
      tx.insert(users).values({ id, name: `${a.name} (simulated)`, email: `sim-${projectId}-${i + 1}@demo.invalid`, role: 'annotator', isSimulated: true }).run();
      tx.insert(projectMembers).values({ projectId, userId: id, role: 'annotator' }).run();
      return id;
    });

    // Bulk rows go through prepared statements: drizzle's query building costs ~10× the insert itself here.
    const client = db.$client;
    const insertPrompt = client.prepare('insert into prompts (project_id, messages, content_hash, tags) values (?, ?, ?, ?)');
    const insertResponse = client.prepare('insert into responses (project_id, prompt_id, system, content, content_hash) values (?, ?, ?, ?, ?)');
    const insertItem = client.prepare(
      "insert into items (project_id, prompt_id, kind, response_ids, required_annotations, annotation_count, status) values (?, ?, 'pair', ?, ?, ?, ?)",
    );
    const insertJudgment = client.prepare(
      "insert into judgments (id, project_id, item_id, user_id, winner, strength, shown_order, guidelines_version, time_spent_ms, label_source) values (?, ?, ?, ?, ?, ?, ?, 1, ?, 'synthetic')",
    );
    const insertComparison = client.prepare(
      "insert into comparisons (project_id, prompt_id, judgment_id, winner_response_id, loser_response_id, is_tie, tie_kind, strength, weight, annotator_id, label_source) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'synthetic')",
    );
    const rowId = (info: { lastInsertRowid: number | bigint }) => Number(info.lastInsertRowid);

    const promptIds: number[] = [];
    const responseIds: number[][] = [];
    for (const p of dataset.prompts) {
      const promptId = rowId(insertPrompt.run(projectId, JSON.stringify(p.messages), contentHash(p.messages), JSON.stringify(p.tags)));
      promptIds.push(promptId);
      responseIds.push(p.responses.map((r) => rowId(insertResponse.run(projectId, promptId, r.system, r.content, contentHash(r.content)))));
    }

    const judgedCount = new Map<number, number>();
    for (const j of dataset.judgments) judgedCount.set(j.pair, (judgedCount.get(j.pair) ?? 0) + 1);
    const itemIds = dataset.pairs.map((pair, index) => {
      const ids = responseIds[pair.prompt]!;
      const n = judgedCount.get(index) ?? 0;
      return rowId(insertItem.run(projectId, promptIds[pair.prompt]!, JSON.stringify([ids[pair.a]!, ids[pair.b]!]), overlap, n, n >= overlap ? 'complete' : 'open'));
    });

    for (const j of dataset.judgments) {
      const pair = dataset.pairs[j.pair]!;
      const ids = responseIds[pair.prompt]!;
      const canonical = [ids[pair.a]!, ids[pair.b]!];
      const id = crypto.randomUUID();
      const strength = j.winner === 'a' || j.winner === 'b' ? j.strength : 0;
      const userId = annotatorIds[j.annotator]!;
      insertJudgment.run(id, projectId, itemIds[j.pair]!, userId, j.winner, strength, JSON.stringify(j.flipped ? [canonical[1], canonical[0]] : canonical), j.timeSpentMs);
      const c = comparisonFromPairwise(canonical, j.winner, strength);
      insertComparison.run(projectId, promptIds[pair.prompt]!, id, c.winnerResponseId, c.loserResponseId, c.isTie ? 1 : 0, c.tieKind, c.strength, c.weight, userId);
    }

    return {
      projectId,
      prompts: promptIds.length,
      responses: responseIds.reduce((s, r) => s + r.length, 0),
      items: itemIds.length,
      judgments: dataset.judgments.length,
      comparisons: dataset.judgments.length,
    };
  });
}
