/** The pre-flight checks (docs/datasets.md#pre-flight-validation-every-export), run on every export row by row and shown to the user (pure). */
import type { ExportCounts, ExportRows, Message, Part } from './export';

/** Rough token estimate (≈ 4 characters per token for English text) for the length report. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

export type ValidationReport = {
  ok: boolean;
  /** The first 100 problems (errorCount counts them all). */
  errors: string[];
  errorCount: number;
  warnings: string[];
  lengths: { limit: number; trainer: string; over: number }[];
  duplicatePairs: number;
  promptsInBothSplits: number;
  kto: { desirable: number; undesirable: number; suggestion: string | null };
};

const MAX_ERRORS = 100;

/** cyrb53: a fast 53-bit string hash, so the duplicate checks hold numbers, not a million strings. */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let k = 0; k < text.length; k++) {
    const ch = text.charCodeAt(k);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * The pre-flight checks, fed one canonical row at a time (memory holds one number per row and per train
 * prompt), then summarised with the export's counts.
 */
export function createValidator() {
  const errors: string[] = [];
  let errorCount = 0;
  let rowCount = 0;
  const seen = new Set<number>();
  let duplicatePairs = 0;
  const trainPrompts = new Set<number>();
  const testPrompts = new Set<number>();
  const lengths = [
    { limit: 1024, trainer: 'TRL RewardConfig max_length (longer pairs are silently filtered)', over: 0 },
    { limit: 512, trainer: 'OpenRLHF --data.max_len default', over: 0 },
  ];
  const fail = (message: string) => {
    errorCount++;
    if (errors.length < MAX_ERRORS) errors.push(message);
  };
  return {
    /** `where` names the row for the user, e.g. "train.jsonl line 12". */
    add(row: Record<string, unknown>, part: Part, where: string) {
      rowCount++;
      const prompt = row.prompt as Message[] | undefined;
      const chosen = row.chosen as Message[] | undefined;
      const rejected = row.rejected as Message[] | undefined;
      if (!Array.isArray(prompt) || prompt.length === 0) fail(`${where}: prompt is missing or empty`);
      else if (prompt[prompt.length - 1]!.role !== 'user') fail(`${where}: prompt must end with a user turn`);
      for (const [name, side] of [['chosen', chosen], ['rejected', rejected]] as const) {
        if (!Array.isArray(side) || side.length !== 1 || side[0]!.role !== 'assistant') fail(`${where}: ${name} must be one assistant message`);
        else if (!side[0]!.content.trim()) fail(`${where}: ${name} is empty`);
      }
      for (const m of prompt ?? []) if (m.role !== 'system' && !m.content.trim()) fail(`${where}: an empty ${m.role} message in the prompt`);
      if (chosen?.[0] && rejected?.[0] && chosen[0].content === rejected[0].content) fail(`${where}: chosen and rejected are the same text`);
      if ('margin' in row && !(typeof row.margin === 'number' && row.margin >= 0 && Number.isFinite(row.margin))) fail(`${where}: margin must be a number ≥ 0`);
      const promptKey = hash53(JSON.stringify(prompt ?? null));
      const key = hash53(JSON.stringify([chosen, rejected]), promptKey);
      if (seen.has(key)) duplicatePairs++;
      seen.add(key);
      (part === 'train' ? trainPrompts : testPrompts).add(promptKey);
      const tokens = estimateTokens([...(prompt ?? []), ...(chosen ?? [])].map((m) => m.content).join(' ')) + Math.max(estimateTokens(chosen?.[0]?.content ?? ''), estimateTokens(rejected?.[0]?.content ?? ''));
      for (const l of lengths) if (tokens > l.limit) l.over++;
    },
    finish(counts: Pick<ExportCounts, 'desirable' | 'undesirable'>): ValidationReport {
      const warnings: string[] = [];
      if (errorCount > errors.length) errors.push(`… and ${errorCount - errors.length} more problems`);
      if (duplicatePairs) warnings.push(`${duplicatePairs} duplicate rows`);
      for (const l of lengths) if (l.over) warnings.push(`${l.over} pairs exceed ~${l.limit} tokens (${l.trainer})`);
      let promptsInBothSplits = 0;
      for (const p of testPrompts) if (trainPrompts.has(p)) promptsInBothSplits++;
      if (promptsInBothSplits) warnings.push(`${promptsInBothSplits} identical prompts appear in both train and test`);
      const { desirable, undesirable } = counts;
      let suggestion: string | null = null;
      if (desirable && undesirable) {
        const ratio = desirable / undesirable;
        if (ratio > 4 / 3 || ratio < 3 / 4) suggestion = ratio > 1 ? `undesirable_weight=${ratio.toFixed(2)}` : `desirable_weight=${(1 / ratio).toFixed(2)}`;
      }
      if (suggestion) warnings.push(`KTO classes are unbalanced (${desirable} desirable / ${undesirable} undesirable): set ${suggestion} in KTOConfig`);
      if (rowCount === 0) warnings.push('no preference pairs to write (no decisive judgments yet, or every pair was a dropped tie)');
      return { ok: errorCount === 0, errors, errorCount, warnings, lengths, duplicatePairs, promptsInBothSplits, kto: { desirable, undesirable, suggestion } };
    },
  };
}

/** The pre-flight checks over rows held in memory. */
export function validateExport(rows: ExportRows): ValidationReport {
  const validator = createValidator();
  for (const part of ['train', 'test'] as const) rows.canonical[part].forEach((row, k) => validator.add(row, part, `${part}.jsonl line ${k + 1}`));
  return validator.finish(rows.counts);
}
