/**
 * Built-in readers for real data sets whose shape no generic format covers (sources in docs/data-sources.md):
 * WMT human rankings (text-less), PandaLM's three-annotator test set, BIG-bench HHH wrapped in
 * Prometheus grading prompts, and SQuALITY's human evaluation (rankings per question and reviewer).
 */
import { AppError } from '@/lib/errors';
import { isObject, optionalString, text, type ImportedRow } from './import-rows';

/** WMT human rankings (`system1Id…system5Id`, `system1rank…`; 1 best, ties allowed): text-less, per source segment. */
export function parseWmtRanking(record: Record<string, unknown>): ImportedRow {
  const responses: { content: string; system: string }[] = [];
  const ranks: number[] = [];
  for (let k = 1; `system${k}Id` in record; k++) {
    const system = optionalString(record[`system${k}Id`]);
    const rank = Number(record[`system${k}rank`]);
    if (!system) continue;
    if (!Number.isFinite(rank) || rank < 1) throw new AppError('bad-row', `system${k}rank must be a rank from 1 (best)`);
    if (responses.some((r) => r.system === system)) throw new AppError('bad-row', `system ${system} appears twice in the ranking`);
    responses.push({ content: '', system });
    ranks.push(rank);
  }
  if (responses.length < 2) throw new AppError('bad-row', 'a ranking needs at least two systems');
  const segment = optionalString(record.srcIndex) ?? (typeof record.srcIndex === 'number' ? String(record.srcIndex) : null);
  if (!segment) throw new AppError('bad-row', 'srcIndex (the source segment) is missing');
  const pair = [optionalString(record.srclang), optionalString(record.trglang)].filter(Boolean).join('→');
  const distinct = [...new Set(ranks)].sort((x, y) => x - y);
  return {
    kind: 'ranking',
    messages: [{ role: 'user', content: `Translate segment ${segment}${pair ? ` (${pair})` : ''}` }],
    responses,
    groups: distinct.map((r) => ranks.flatMap((x, i) => (x === r ? [i] : []))),
    annotator: optionalString(record.judgeId),
  };
}

/** PandaLM's test set: one pair judged by three annotators (0 tie, 1 response1, 2 response2); systems from `cmp_key`. */
export function parsePandaLm(record: Record<string, unknown>): ImportedRow[] {
  const instruction = text(record.instruction, 'instruction');
  const input = typeof record.input === 'string' && record.input.trim() ? record.input : '';
  const prompt = input ? `${instruction}\n\n${input}` : instruction;
  const [systemA, systemB] = typeof record.cmp_key === 'string' && record.cmp_key.includes('_') ? [record.cmp_key.slice(0, record.cmp_key.indexOf('_')), record.cmp_key.slice(record.cmp_key.indexOf('_') + 1)] : ['response1', 'response2'];
  const a = { content: text(record.response1, 'response1'), system: systemA! };
  const b = { content: text(record.response2, 'response2'), system: systemB! };
  const rows: ImportedRow[] = [];
  for (let k = 1; `annotator${k}` in record; k++) {
    const vote = record[`annotator${k}`];
    if (vote !== 0 && vote !== 1 && vote !== 2) throw new AppError('bad-row', `annotator${k} must be 0 (tie), 1 (response1) or 2 (response2)`);
    rows.push({ kind: 'comparison', messages: [{ role: 'user', content: prompt }], chosen: vote === 2 ? b : a, rejected: vote === 2 ? a : b, tie: vote === 0 ? 'both_good' : null, strength: null, annotator: `pandalm-annotator${k}` });
  }
  if (rows.length === 0) throw new AppError('bad-row', 'no annotator1… votes');
  return rows;
}

/** Prometheus-wrapped pairs (BIG-bench HHH): the query and the response are cut out of each grading prompt. */
export function parsePrometheus(record: Record<string, unknown>): ImportedRow {
  const section = (value: unknown, field: string) => {
    const prompt = text(value, field);
    const query = /###The instruction to evaluate:\n([\s\S]*?)\n\n###Response to evaluate:\n/.exec(prompt);
    const response = /###Response to evaluate:\n([\s\S]*?)\n\n###Score Rubrics/.exec(prompt);
    if (!query || !response) throw new AppError('bad-row', `${field} is not a Prometheus grading prompt (###The instruction to evaluate / ###Response to evaluate / ###Score Rubrics)`);
    return { query: query[1]!.trim(), response: response[1]!.trim() };
  };
  const chosen = section(record.chosen_instruction, 'chosen_instruction');
  const rejected = section(record.rejected_instruction, 'rejected_instruction');
  if (chosen.query !== rejected.query) throw new AppError('bad-row', 'chosen_instruction and rejected_instruction evaluate different instructions');
  if (!chosen.response || !rejected.response) throw new AppError('bad-row', 'a response to evaluate is empty');
  if (chosen.response === rejected.response) throw new AppError('bad-row', 'chosen and rejected are the same text');
  return { kind: 'comparison', messages: [{ role: 'user', content: chosen.query }], chosen: { content: chosen.response, system: 'chosen' }, rejected: { content: rejected.response, system: 'rejected' }, tie: null, strength: null, annotator: optionalString(record.source) ? `hhh-${String(record.source)}` : null };
}

/** SQuALITY's human evaluation: per question, each reviewer's overall rank (1 best) of the three summaries is one ranking. */
export function parseSquality(record: Record<string, unknown>): ImportedRow[] {
  const passage = optionalString(record['passage-id']) ?? (typeof record['passage-id'] === 'number' ? String(record['passage-id']) : null);
  if (!passage) throw new AppError('bad-row', 'passage-id is missing');
  if (!isObject(record.questions)) throw new AppError('bad-row', 'questions must be an object keyed by question index');
  const rows: ImportedRow[] = [];
  for (const [index, systems] of Object.entries(record.questions)) {
    if (!isObject(systems)) throw new AppError('bad-row', `questions.${index} must map systems to responses`);
    const names = Object.keys(systems);
    const responses = names.map((name) => ({ content: text((systems[name] as Record<string, unknown> | undefined)?.response, `questions.${index}.${name}.response`), system: name }));
    const byWorker = new Map<string, number[]>();
    names.forEach((name, i) => {
      const reviews = (systems[name] as Record<string, unknown>).reviews;
      for (const review of Array.isArray(reviews) ? reviews : []) {
        if (!isObject(review)) continue;
        const worker = String(review.worker_id ?? '');
        const rank = Number(review['overall-rank']);
        if (!worker || !Number.isFinite(rank)) throw new AppError('bad-row', `questions.${index}.${name}: a review without worker_id or overall-rank`);
        const ranks = byWorker.get(worker) ?? names.map(() => Number.NaN);
        ranks[i] = rank;
        byWorker.set(worker, ranks);
      }
    });
    for (const [worker, ranks] of byWorker) {
      if (ranks.some((r) => !Number.isFinite(r))) throw new AppError('bad-row', `questions.${index}: reviewer ${worker} did not rank every summary`);
      const distinct = [...new Set(ranks)].sort((x, y) => x - y);
      rows.push({
        kind: 'ranking',
        messages: [{ role: 'user', content: `Summarise Gutenberg passage ${passage} for question ${index}` }],
        responses,
        groups: distinct.map((r) => ranks.flatMap((x, i) => (x === r ? [i] : []))),
        annotator: `squality-${worker}`,
      });
    }
  }
  if (rows.length === 0) throw new AppError('bad-row', 'no reviewed question');
  return rows;
}
