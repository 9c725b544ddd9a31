/**
 * Import formats: each record of a file becomes either candidates (a prompt and responses to annotate)
 * or preference comparisons (prompt, chosen, rejected, optional tie / margin / annotator / systems).
 * Pure: `detectFormat` looks at the first records, `parseRecord` turns one record into rows or throws
 * an AppError 'bad-row' naming what is wrong.
 */
import { AppError } from '@/lib/errors';
import type { Message } from './export';
import { parsePandaLm, parsePrometheus, parseSquality, parseWmtRanking } from './import-datasets';
import { isObject, optionalString, ROLES, text, type ImportedRow } from './import-rows';

export type { ImportedComparison, ImportedRow } from './import-rows';

export const IMPORT_FORMATS = ['candidates', 'pairs', 'hh', 'battles', 'rankings', 'oasst', 'ratings', 'pandalm', 'prometheus', 'squality'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

function messagesOf(value: unknown, field: string): Message[] {
  if (!Array.isArray(value) || value.length === 0) throw new AppError('bad-row', `${field} must be a non-empty list of messages`);
  return value.map((m, k) => {
    if (!isObject(m)) throw new AppError('bad-row', `${field}[${k}] must be an object with role and content`);
    const role = m.role === 'human' ? 'user' : m.role === 'gpt' || m.role === 'bot' ? 'assistant' : m.role;
    if (typeof role !== 'string' || !ROLES.has(role)) throw new AppError('bad-row', `${field}[${k}].role must be system, user or assistant (got ${JSON.stringify(m.role ?? null)})`);
    // An empty system prompt is a real (and common) conversation; empty user or assistant turns are not.
    if (typeof m.content !== 'string' || (role !== 'system' && !m.content.trim())) throw new AppError('bad-row', `${field}[${k}].content must be a non-empty string`);
    return { role: role as Message['role'], content: m.content };
  });
}

/** Anthropic HH transcript ("\n\nHuman: … \n\nAssistant: …") → messages. */
export function parseHhTranscript(transcript: string, field: string): Message[] {
  const parts = transcript.split(/\n\n(Human|Assistant): ?/);
  const messages: Message[] = [];
  for (let k = 1; k < parts.length; k += 2) messages.push({ role: parts[k] === 'Human' ? 'user' : 'assistant', content: (parts[k + 1] ?? '').trim() });
  if (messages.length === 0) throw new AppError('bad-row', `${field} is not an HH transcript ("\\n\\nHuman: … \\n\\nAssistant: …")`);
  return messages;
}

/** Splits two full conversations into the shared prompt and the two final assistant messages. */
function splitImplicit(chosen: Message[], rejected: Message[]): { messages: Message[]; chosen: string; rejected: string } {
  const lastC = chosen[chosen.length - 1]!;
  const lastR = rejected[rejected.length - 1]!;
  if (lastC.role !== 'assistant' || lastR.role !== 'assistant') throw new AppError('bad-row', 'chosen and rejected must each end with an assistant message');
  const prompt = chosen.slice(0, -1);
  if (JSON.stringify(prompt) !== JSON.stringify(rejected.slice(0, -1))) throw new AppError('bad-row', 'chosen and rejected must share the same conversation before their last message');
  return { messages: prompt, chosen: lastC.content, rejected: lastR.content };
}

function endsWithUser(messages: Message[], field: string): Message[] {
  if (messages.length === 0 || messages[messages.length - 1]!.role !== 'user') throw new AppError('bad-row', `${field} must end with a user turn`);
  return messages;
}

/** `strength` (Arbiter's own exports carry it beside a mapped margin), else `margin`. */
function strengthOf(record: Record<string, unknown>): number | null {
  const v = record.strength ?? record.margin;
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new AppError('bad-row', 'margin / strength must be a number ≥ 0');
  return Math.abs(v);
}


/** `annotator`, `annotator_id`, or the one entry of `annotator_ids` (Arbiter's exports). */
const annotatorOf = (record: Record<string, unknown>) =>
  optionalString(record.annotator ?? record.annotator_id) ?? (Array.isArray(record.annotator_ids) && record.annotator_ids.length === 1 ? optionalString(record.annotator_ids[0]) : null);

const JSON_FIELDS = new Set(['prompt', 'chosen', 'rejected', 'messages', 'responses', 'conversation_a', 'conversation_b']);
const NUMBER_FIELDS = new Set(['margin', 'strength', 'acceptedIndex']);

/**
 * Table rows (CSV, Parquet) carry only scalars: JSON in a cell (a message list) is parsed, numeric
 * cells become numbers, `response_1…response_n` columns become `responses`, BigInts become numbers.
 */
export function normalizeTableRecord(record: unknown): unknown {
  if (!isObject(record)) return record;
  const out: Record<string, unknown> = {};
  const numbered: [number, unknown][] = [];
  for (const [key, raw] of Object.entries(record)) {
    let value = typeof raw === 'bigint' ? Number(raw) : raw;
    if (typeof value === 'string') {
      const trimmed = value.trim();
      if (JSON_FIELDS.has(key) && (trimmed.startsWith('[') || trimmed.startsWith('{'))) {
        try {
          value = JSON.parse(trimmed);
        } catch {
          // not JSON after all: keep the text
        }
      } else if (NUMBER_FIELDS.has(key) && trimmed !== '' && Number.isFinite(Number(trimmed))) value = Number(trimmed);
      else if (NUMBER_FIELDS.has(key) && trimmed === '') continue;
    }
    const m = /^response_?(\d+)$/.exec(key);
    if (m) numbered.push([Number(m[1]), value]);
    else out[key] = value;
  }
  if (numbered.length && out.responses === undefined) out.responses = numbered.sort((a, b) => a[0] - b[0]).map(([, v]) => v).filter((v) => typeof v === 'string' && v.trim());
  return out;
}

/** Which format the first records are in (null when none fits). */
export function detectFormat(records: readonly unknown[]): ImportFormat | null {
  const first = records.find(isObject);
  if (!first) return null;
  if ('cmp_key' in first && 'annotator1' in first) return 'pandalm';
  if ('chosen_instruction' in first && 'rejected_instruction' in first) return 'prometheus';
  if ('passage-id' in first && isObject(first.questions)) return 'squality';
  if ('system1Id' in first && 'system1rank' in first) return 'rankings';
  if ('message_tree_id' in first || (isObject(first.prompt) && Array.isArray((first.prompt as Record<string, unknown>).replies))) return 'oasst';
  if (Array.isArray(first.responses) && ('ranking' in first || 'ranks' in first)) return 'rankings';
  if (Array.isArray(first.responses) && Array.isArray(first.ratings)) return 'ratings';
  if ('model_a' in first && 'model_b' in first && ('winner' in first || 'acceptedIndex' in first)) return 'battles';
  if (Array.isArray(first.responses)) return 'candidates';
  if ('chosen' in first && 'rejected' in first) {
    const hh = typeof first.chosen === 'string' && /\n\nHuman:/.test(first.chosen) && !('prompt' in first);
    return hh ? 'hh' : 'pairs';
  }
  return null;
}

/** One record → the rows it holds (an OpenAssistant tree holds one ranking per prompter turn with ranked replies). */
export function parseRecord(record: unknown, format: ImportFormat): ImportedRow[] {
  if (!isObject(record)) throw new AppError('bad-row', 'each record must be a JSON object');
  if (format === 'oasst') return parseOasstTree(record);
  if (format === 'rankings') return [parseRanking(record)];
  if (format === 'ratings') return [parseRatings(record)];
  if (format === 'pandalm') return parsePandaLm(record);
  if (format === 'prometheus') return [parsePrometheus(record)];
  if (format === 'squality') return parseSquality(record);
  return [parseOne(record, format)];
}

function responsesOf(value: unknown): { content: string; system: string }[] {
  if (!Array.isArray(value) || value.length === 0) throw new AppError('bad-row', 'responses must be a non-empty list');
  return value.map((r, k) =>
    typeof r === 'string'
      ? { content: text(r, `responses[${k}]`), system: `response-${k + 1}` }
      : isObject(r)
        ? { content: text(r.content ?? r.response ?? r.text, `responses[${k}].content`), system: optionalString(r.system ?? r.model) ?? `response-${k + 1}` }
        : (() => {
            throw new AppError('bad-row', `responses[${k}] must be a string or {content, system}`);
          })(),
  );
}

function promptOf(record: Record<string, unknown>): Message[] {
  return record.messages !== undefined ? endsWithUser(messagesOf(record.messages, 'messages'), 'messages') : [{ role: 'user', content: text(record.prompt, 'prompt') }];
}

/** `{prompt | messages, responses, ranking: [[i, …], …]}` (tie groups of indexes, best first) or `ranks: [r₀, r₁, …]` (lower is better, equal ranks tie). */
function parseRanking(record: Record<string, unknown>): ImportedRow {
  if ('system1Id' in record) return parseWmtRanking(record);
  const messages = promptOf(record);
  const responses = responsesOf(record.responses);
  let groups: number[][];
  if (record.ranking !== undefined) {
    if (!Array.isArray(record.ranking) || record.ranking.length === 0) throw new AppError('bad-row', 'ranking must be a non-empty list of tie groups');
    groups = record.ranking.map((g, k) => {
      const group = Array.isArray(g) ? g : [g];
      if (group.length === 0 || !group.every((i) => Number.isInteger(i) && i >= 0 && i < responses.length)) throw new AppError('bad-row', `ranking[${k}] must hold response indexes 0..${responses.length - 1}`);
      return group as number[];
    });
  } else {
    const ranks = record.ranks;
    if (!Array.isArray(ranks) || ranks.length !== responses.length || !ranks.every((r) => typeof r === 'number' && Number.isFinite(r))) throw new AppError('bad-row', 'ranks must give one number per response');
    const distinct = [...new Set(ranks as number[])].sort((a, b) => a - b);
    groups = distinct.map((r) => (ranks as number[]).flatMap((x, i) => (x === r ? [i] : [])));
  }
  const seen = groups.flat();
  if (new Set(seen).size !== seen.length) throw new AppError('bad-row', 'a response appears twice in the ranking');
  if (seen.length !== responses.length) throw new AppError('bad-row', `rank all ${responses.length} responses (got ${seen.length})`);
  if (responses.length < 2) throw new AppError('bad-row', 'a ranking needs at least two responses');
  if (new Set(responses.map((r) => `${r.system}\u0000${r.content}`)).size !== responses.length) throw new AppError('bad-row', 'two responses of the ranking are identical');
  return { kind: 'ranking', messages, responses, groups, annotator: optionalString(record.annotator ?? record.annotator_id) };
}

const ATTRIBUTE = /^[a-z][a-z0-9_]{0,39}$/;

/** `{prompt | messages, responses, ratings: [{attribute: 0..4, …}, …]}`, one ratings object per response. */
function parseRatings(record: Record<string, unknown>): ImportedRow {
  const messages = promptOf(record);
  const responses = responsesOf(record.responses);
  if (!Array.isArray(record.ratings) || record.ratings.length !== responses.length) throw new AppError('bad-row', 'ratings must give one object of attribute ratings per response');
  const ratings = record.ratings.map((r, k) => {
    if (!isObject(r) || Object.keys(r).length === 0) throw new AppError('bad-row', `ratings[${k}] must be an object such as {"helpfulness": 3}`);
    const out: Record<string, number> = {};
    for (const [attribute, value] of Object.entries(r)) {
      if (!ATTRIBUTE.test(attribute)) throw new AppError('bad-row', `ratings[${k}]: attribute names are lower-case letters, digits and _ ("${attribute}")`);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 4) throw new AppError('bad-row', `ratings[${k}].${attribute} must be a whole number from 0 to 4`);
      out[attribute] = value;
    }
    return out;
  });
  return { kind: 'ratings', messages, responses, ratings };
}

type OasstNode = { text?: unknown; role?: unknown; rank?: unknown; deleted?: unknown; model_name?: unknown; replies?: unknown };

/** OpenAssistant message trees: at every prompter turn, its assistant replies ranked by `rank` (0 best). */
function parseOasstTree(record: Record<string, unknown>): ImportedRow[] {
  const root = (isObject(record.prompt) ? record.prompt : record) as OasstNode;
  const rows: ImportedRow[] = [];
  const visit = (node: OasstNode, context: Message[]) => {
    if (typeof node.text !== 'string' || node.deleted === true) return;
    const role: Message['role'] = node.role === 'prompter' ? 'user' : 'assistant';
    const path = [...context, { role, content: node.text }];
    const replies = (Array.isArray(node.replies) ? node.replies : []).filter(isObject) as OasstNode[];
    if (role === 'user') {
      const ranked = replies.filter((r) => r.role === 'assistant' && r.deleted !== true && typeof r.text === 'string' && r.text.trim() && typeof r.rank === 'number');
      const distinctTexts = new Set(ranked.map((r) => `${String(r.model_name)}\u0000${String(r.text)}`)).size === ranked.length;
      if (ranked.length >= 2 && distinctTexts) {
        const responses = ranked.map((r) => ({ content: r.text as string, system: optionalString(r.model_name) ?? 'human' }));
        const distinct = [...new Set(ranked.map((r) => r.rank as number))].sort((a, b) => a - b);
        rows.push({ kind: 'ranking', messages: path, responses, groups: distinct.map((d) => ranked.flatMap((r, i) => (r.rank === d ? [i] : []))), annotator: 'oasst' });
      }
    }
    for (const reply of replies) visit(reply, path);
  };
  visit(root, []);
  if (rows.length === 0) throw new AppError('bad-row', 'the tree has no prompter turn with two or more ranked replies');
  return rows;
}

function parseOne(record: Record<string, unknown>, format: Exclude<ImportFormat, 'oasst' | 'rankings' | 'ratings' | 'pandalm' | 'prometheus' | 'squality'>): ImportedRow {
  switch (format) {
    case 'candidates': {
      const messages = record.messages !== undefined ? endsWithUser(messagesOf(record.messages, 'messages'), 'messages') : [{ role: 'user' as const, content: text(record.prompt, 'prompt') }];
      if (!Array.isArray(record.responses) || record.responses.length === 0) throw new AppError('bad-row', 'responses must be a non-empty list');
      const responses = record.responses.map((r, k) =>
        typeof r === 'string' ? { content: text(r, `responses[${k}]`), system: `response-${k + 1}` } : isObject(r) ? { content: text(r.content ?? r.response ?? r.text, `responses[${k}].content`), system: optionalString(r.system ?? r.model) ?? `response-${k + 1}` } : (() => {
              throw new AppError('bad-row', `responses[${k}] must be a string or {content, system}`);
            })(),
      );
      return { kind: 'candidates', messages, responses };
    }
    case 'pairs': {
      let messages: Message[];
      let chosen: string;
      let rejected: string;
      if (record.prompt !== undefined) {
        messages = Array.isArray(record.prompt) ? endsWithUser(messagesOf(record.prompt, 'prompt'), 'prompt') : [{ role: 'user', content: text(record.prompt, 'prompt') }];
        chosen = Array.isArray(record.chosen) ? (messagesOf(record.chosen, 'chosen').at(-1)!.content) : text(record.chosen, 'chosen');
        rejected = Array.isArray(record.rejected) ? (messagesOf(record.rejected, 'rejected').at(-1)!.content) : text(record.rejected, 'rejected');
      } else {
        if (!Array.isArray(record.chosen) || !Array.isArray(record.rejected)) throw new AppError('bad-row', 'without a prompt, chosen and rejected must be full conversations (implicit prompt)');
        const split = splitImplicit(messagesOf(record.chosen, 'chosen'), messagesOf(record.rejected, 'rejected'));
        messages = endsWithUser(split.messages, 'the shared conversation');
        chosen = split.chosen;
        rejected = split.rejected;
      }
      const tie = record.tie === true;
      if (chosen === rejected) throw new AppError('bad-row', 'chosen and rejected are the same text');
      return {
        kind: 'comparison',
        messages,
        // The two sides of a tie are not "chosen" and "rejected": one name, so both orderings of a tie meet as one pair.
        chosen: { content: chosen, system: optionalString(record.chosen_model ?? record.chosen_system) ?? (tie ? 'response' : 'chosen') },
        rejected: { content: rejected, system: optionalString(record.rejected_model ?? record.rejected_system) ?? (tie ? 'response' : 'rejected') },
        // `tie: true` rows (Arbiter's both-orderings ties) are ties, not preferences.
        tie: tie ? 'both_good' : null,
        strength: tie ? null : strengthOf(record),
        annotator: annotatorOf(record),
      };
    }
    case 'hh': {
      const split = splitImplicit(parseHhTranscript(text(record.chosen, 'chosen'), 'chosen'), parseHhTranscript(text(record.rejected, 'rejected'), 'rejected'));
      return { kind: 'comparison', messages: endsWithUser(split.messages, 'the shared conversation'), chosen: { content: text(split.chosen, 'chosen reply'), system: 'chosen' }, rejected: { content: text(split.rejected, 'rejected reply'), system: 'rejected' }, tie: null, strength: null, annotator: null };
    }
    case 'battles': {
      const modelA = text(record.model_a, 'model_a');
      const modelB = text(record.model_b, 'model_b');
      // Copilot Arena's completion battles: acceptedIndex 0 / 1 picks completion_a / completion_b.
      const winner = WINNER_SYNONYMS[String(record.winner)] ?? record.winner ?? (record.acceptedIndex === 0 ? 'model_a' : record.acceptedIndex === 1 ? 'model_b' : undefined);
      if (winner !== 'model_a' && winner !== 'model_b' && winner !== 'tie' && winner !== 'tie (bothbad)') throw new AppError('bad-row', `winner must be model_a, model_b, tie or tie (bothbad) (also a / b, left / right, both_bad; or acceptedIndex 0 / 1); got ${JSON.stringify(record.winner ?? null)}`);
      let messages: Message[];
      let a: string;
      let b: string;
      if (record.conversation_a !== undefined) {
        const split = { ca: messagesOf(record.conversation_a, 'conversation_a'), cb: messagesOf(record.conversation_b, 'conversation_b') };
        const s = splitImplicit(split.ca, split.cb);
        messages = endsWithUser(s.messages, 'the shared conversation');
        a = s.chosen;
        b = s.rejected;
      } else if (record.prefix !== undefined) {
        const prefix = typeof record.prefix === 'string' ? record.prefix : '';
        const suffix = typeof record.suffix === 'string' ? record.suffix : '';
        if (!prefix.trim() && !suffix.trim()) throw new AppError('bad-row', 'prefix and suffix are both empty');
        messages = [{ role: 'user', content: `Complete the code at <CURSOR>.\n\n${prefix}<CURSOR>${suffix}` }];
        a = text(record.completion_a, 'completion_a');
        b = text(record.completion_b, 'completion_b');
      } else if (record.response_a === undefined && record.response_b === undefined) {
        // A battle without texts (Arena's clean battles, LLMFAO's crowd votes): it counts for leaderboards
        // and agreement; its responses are stored empty and exports leave it out.
        const question = record.question_id ?? record.prompt ?? record.question;
        if (question === undefined || question === null || String(question).trim() === '') throw new AppError('bad-row', 'a battle without response texts needs question_id (or prompt) to group its votes');
        messages = [{ role: 'user', content: typeof question === 'string' && !/^\d+$/.test(question.trim()) ? question : `question ${String(question).trim()}` }];
        a = '';
        b = '';
      } else {
        messages = [{ role: 'user', content: text(record.prompt ?? record.question, 'prompt') }];
        a = text(record.response_a, 'response_a');
        b = text(record.response_b, 'response_b');
      }
      if (modelA === modelB) throw new AppError('bad-row', 'model_a and model_b are the same system');
      const aWins = winner !== 'model_b';
      return {
        kind: 'comparison',
        messages,
        chosen: { content: aWins ? a : b, system: aWins ? modelA : modelB },
        rejected: { content: aWins ? b : a, system: aWins ? modelB : modelA },
        tie: winner === 'tie' ? 'both_good' : winner === 'tie (bothbad)' ? 'both_bad' : null,
        strength: null,
        annotator: optionalString(record.judge) ?? (typeof record.judge === 'number' ? String(record.judge) : null),
      };
    }
  }
}

const WINNER_SYNONYMS: Record<string, string> = { a: 'model_a', b: 'model_b', left: 'model_a', right: 'model_b', A: 'model_a', B: 'model_b', both_bad: 'tie (bothbad)', bothbad: 'tie (bothbad)' };
