/**
 * Writes a generated preference dataset (lib/demo) into a new project in one transaction: simulated
 * annotators, prompts, responses, pairwise items, judgments and their derived comparisons.
 */
import { comparisonFromPairwise } from '@/lib/annotation/derive-comparisons';
import type { Actor } from '@/lib/auth/access';
import { contentHash } from '@/lib/data/content-hash';
import type { GeneratedDataset } from '@/lib/demo/generate-preferences';
import { projectSettingsSchema } from '@/lib/projects/settings';
import { comparisons, items, judgments, projectGuidelines, projectMembers, projects, prompts, responses, users } from '../schema';
import { getDb } from '../client';

export const DEMO_GUIDELINES = `# How to judge

Read the conversation, then both responses. Pick the response that is **more helpful, correct and clear**.

- **Tie** when both are good and you cannot separate them; **Both bad** when neither answers well.
- Length is not quality: a short correct answer beats a long vague one.
- Use the strength scale for how sure you are (−3 … +3).
`;

const BATCH = 500;

function insertBatched<T>(rows: T[], insert: (batch: T[]) => void): void {
  for (let i = 0; i < rows.length; i += BATCH) insert(rows.slice(i, i + BATCH));
}

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

    const promptIds: number[] = [];
    const responseIds: number[][] = [];
    for (const p of dataset.prompts) {
      const promptId = tx.insert(prompts).values({ projectId, messages: p.messages, contentHash: contentHash(p.messages), tags: p.tags }).returning({ id: prompts.id }).all()[0]!.id;
      promptIds.push(promptId);
      const rows = p.responses.map((r) => ({ projectId, promptId, system: r.system, content: r.content, contentHash: contentHash(r.content) }));
      responseIds.push(tx.insert(responses).values(rows).returning({ id: responses.id }).all().map((r) => r.id));
    }

    const judgedCount = new Map<number, number>();
    for (const j of dataset.judgments) judgedCount.set(j.pair, (judgedCount.get(j.pair) ?? 0) + 1);
    const itemIds: number[] = [];
    insertBatched(
      dataset.pairs.map((pair, index) => {
        const ids = responseIds[pair.prompt]!;
        const n = judgedCount.get(index) ?? 0;
        return { projectId, promptId: promptIds[pair.prompt]!, kind: 'pair' as const, responseIds: [ids[pair.a]!, ids[pair.b]!], requiredAnnotations: overlap, annotationCount: n, status: n >= overlap ? ('complete' as const) : ('open' as const) };
      }),
      (batch) => itemIds.push(...tx.insert(items).values(batch).returning({ id: items.id }).all().map((r) => r.id)),
    );

    const judgmentRows = dataset.judgments.map((j) => {
      const pair = dataset.pairs[j.pair]!;
      const ids = responseIds[pair.prompt]!;
      const canonical = [ids[pair.a]!, ids[pair.b]!];
      return {
        id: crypto.randomUUID(),
        projectId,
        itemId: itemIds[j.pair]!,
        promptId: promptIds[pair.prompt]!,
        canonical,
        userId: annotatorIds[j.annotator]!,
        winner: j.winner,
        strength: j.winner === 'a' || j.winner === 'b' ? j.strength : 0,
        shownOrder: j.flipped ? [canonical[1]!, canonical[0]!] : canonical,
        guidelinesVersion: 1,
        timeSpentMs: j.timeSpentMs,
        labelSource: 'synthetic' as const,
      };
    });
    insertBatched(judgmentRows, (batch) => {
      tx.insert(judgments).values(batch.map(({ promptId: _p, canonical: _c, ...row }) => row)).run();
      const derived = batch.map((j) => ({
        ...comparisonFromPairwise(j.canonical, j.winner, j.strength),
        projectId,
        promptId: j.promptId,
        judgmentId: j.id,
        annotatorId: j.userId,
        labelSource: 'synthetic' as const,
      }));
      tx.insert(comparisons).values(derived).run();
    });

    return {
      projectId,
      prompts: promptIds.length,
      responses: responseIds.reduce((s, r) => s + r.length, 0),
      items: itemIds.length,
      judgments: judgmentRows.length,
      comparisons: judgmentRows.length,
    };
  });
}
