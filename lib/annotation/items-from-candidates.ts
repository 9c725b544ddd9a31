/**
 * Unlabelled candidates — a prompt (or message list) with several responses — and how they become
 * items for annotation under a project's task settings.
 */
import { z } from 'zod';
import type { ProjectSettings } from '@/lib/projects/settings';

const messageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant'], { message: 'role must be system, user or assistant' }),
  content: z.string().min(1, 'message content must not be empty'),
});

const responseSchema = z.union([
  z.string().min(1, 'a response must not be empty'),
  z.object({ content: z.string().min(1, 'a response must not be empty'), system: z.string().trim().min(1).max(200).optional() }),
]);

/** `{prompt | messages, responses: [string | {content, system?}]}`; messages end with a user turn. */
export const candidateSchema = z
  .object({
    prompt: z.string().min(1, 'prompt must not be empty').optional(),
    messages: z.array(messageSchema).min(1, 'messages must not be empty').optional(),
    responses: z.array(responseSchema).min(1, 'give at least one response').max(50, 'at most 50 responses per prompt'),
    tags: z.array(z.string().max(100)).max(50).optional(),
  })
  .refine((c) => (c.prompt === undefined) !== (c.messages === undefined), { message: 'give either prompt or messages, not both or neither', path: ['prompt'] })
  .refine((c) => !c.messages || c.messages[c.messages.length - 1]!.role === 'user', { message: 'messages must end with a user turn', path: ['messages'] });

export type CandidateInput = z.input<typeof candidateSchema>;

export type Candidate = { messages: { role: 'system' | 'user' | 'assistant'; content: string }[]; responses: { system: string; content: string }[]; tags: string[] };

export function normalizeCandidate(raw: unknown): Candidate {
  const c = candidateSchema.parse(raw);
  return {
    messages: c.messages ?? [{ role: 'user', content: c.prompt! }],
    responses: c.responses.map((r, i) => (typeof r === 'string' ? { system: `response-${i + 1}`, content: r } : { system: r.system ?? `response-${i + 1}`, content: r.content })),
    tags: c.tags ?? [],
  };
}

export type PlannedItem = { kind: 'pair' | 'ranking' | 'rating'; indexes: number[] };

/**
 * Which items to create for one prompt's n responses (indexes into them):
 * ranking projects get lists of at most `rankingSize` (3 or more each, split as evenly as possible);
 * pairwise projects get every pair; rating-only projects get one list of all responses.
 */
export function planItems(n: number, settings: Pick<ProjectSettings, 'tasks' | 'rankingSize'>): PlannedItem[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (settings.tasks.includes('ranking') && n >= 3) {
    // As even as possible, at most rankingSize each; where that would leave a list of fewer than 3,
    // one list fewer (slightly longer lists, never more than 6 responses).
    let groups = Math.ceil(n / settings.rankingSize);
    if (groups > 1 && Math.floor(n / groups) < 3) groups -= 1;
    const out: PlannedItem[] = [];
    let start = 0;
    for (let g = 0; g < groups; g++) {
      const size = Math.floor(n / groups) + (g < n % groups ? 1 : 0);
      out.push({ kind: 'ranking', indexes: all.slice(start, start + size) });
      start += size;
    }
    return out;
  }
  if (settings.tasks.includes('pairwise') && n >= 2) {
    const out: PlannedItem[] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push({ kind: 'pair', indexes: [i, j] });
    return out;
  }
  if (settings.tasks.includes('rating') && n >= 1) {
    const out: PlannedItem[] = [];
    for (let start = 0; start < n; start += 9) out.push({ kind: 'rating', indexes: all.slice(start, start + 9) });
    return out;
  }
  return [];
}
