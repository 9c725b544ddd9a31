/** Seeds and record mutations shared by the importer fuzz tests (unit: parsers; integration: whole files). */
import type { ImportFormat } from '@/lib/data/import-formats';

const grading = (query: string, response: string) => `###Task Description: grade.\n\n###The instruction to evaluate:\n${query}\n\n###Response to evaluate:\n${response}\n\n###Score Rubrics:\n[Is it helpful?]`;

/** One valid record per format (checked below), the seeds of the mutations. */
export const SEEDS: Record<ImportFormat, Record<string, unknown>> = {
  candidates: { prompt: 'q', responses: ['a', { content: 'b', system: 'm2' }], tags: ['t'] },
  pairs: { prompt: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi' }], chosen: [{ role: 'assistant', content: 'Hello!' }], rejected: [{ role: 'assistant', content: 'Go away.' }], margin: 2, annotator: 'u7' },
  hh: { chosen: '\n\nHuman: Hi\n\nAssistant: Hello', rejected: '\n\nHuman: Hi\n\nAssistant: Whatever' },
  battles: { model_a: 'm1', model_b: 'm2', winner: 'model_b', judge: 'j1', prompt: 'q', response_a: 'A', response_b: 'B' },
  rankings: { prompt: 'q', responses: ['a', 'b', 'c'], ranking: [[2], [0, 1]] },
  oasst: {
    message_tree_id: 't1',
    prompt: { text: 'Hi?', role: 'prompter', replies: [{ text: 'Hello!', role: 'assistant', rank: 0, replies: [{ text: 'More?', role: 'prompter', replies: [{ text: 'Yes.', role: 'assistant', rank: 1 }, { text: 'Sure!', role: 'assistant', rank: 0 }] }] }, { text: 'Go away.', role: 'assistant', rank: 1, replies: [] }] },
  },
  ratings: { prompt: 'q', responses: ['a', 'b'], ratings: [{ helpfulness: 3 }, { helpfulness: 1, style: 2 }] },
  pandalm: { instruction: 'Sum 2 and 2.', input: '', response1: '4', response2: '5', cmp_key: 'llama_alpaca', annotator1: 1, annotator2: 0, annotator3: 2 },
  prometheus: { chosen_instruction: grading('Hi?', 'Hello, how can I help?'), rejected_instruction: grading('Hi?', 'No.'), source: 'helpful' },
  squality: {
    'passage-id': 42,
    questions: {
      '0': {
        human: { response: 'A summary.', reviews: [{ worker_id: 'w1', 'overall-rank': 1 }] },
        model: { response: 'Another one.', reviews: [{ worker_id: 'w1', 'overall-rank': 2 }] },
      },
    },
  },
};

export type Mutation = { at: number; kind: 'delete' | 'replace' | 'wrap' | 'empty' | 'duplicate'; value: unknown };

/** Applies mutations at positions among all (container, key) slots of the value, depth first. */
export function mutate(seed: unknown, mutations: readonly Mutation[]): unknown {
  const copy = structuredClone(seed) as unknown;
  for (const m of mutations) {
    const slots: [Record<string, unknown> | unknown[], string | number][] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach((x, i) => (slots.push([v, i]), walk(x)));
      else if (v && typeof v === 'object') Object.entries(v).forEach(([k, x]) => (slots.push([v as Record<string, unknown>, k]), walk(x)));
    };
    walk(copy);
    if (!slots.length) break;
    const [container, key] = slots[m.at % slots.length]!;
    const current = (container as Record<string | number, unknown>)[key];
    if (m.kind === 'delete') {
      if (Array.isArray(container)) container.splice(key as number, 1);
      else delete (container as Record<string, unknown>)[key];
    } else if (m.kind === 'replace') (container as Record<string | number, unknown>)[key] = m.value;
    else if (m.kind === 'wrap') (container as Record<string | number, unknown>)[key] = [current];
    else if (m.kind === 'empty') (container as Record<string | number, unknown>)[key] = typeof current === 'string' ? '' : Array.isArray(current) ? [] : {};
    else if (Array.isArray(container)) container.push(structuredClone(current));
  }
  return copy;
}

