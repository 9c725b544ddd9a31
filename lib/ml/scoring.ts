/**
 * Scoring records with a fitted model: labelled pairs (prompt / chosen / rejected in any importable
 * format) get P(chosen ≻ rejected) and the reward margin, and the file's accuracy and log-loss; single
 * responses ({prompt | messages, response}) and candidate lists ({…, responses: […]}) get rewards
 * (a GPM, which has no scalar reward, scores each response by its mean preference over the others).
 */
import { detectFormat, parseRecord, type ImportFormat } from '@/lib/data/import-formats';
import type { Message } from '@/lib/data/export';
import type { PreferenceScorer } from './model-evaluation';

export type ScoredRow =
  | { line: number; kind: 'pair'; p: number; margin: number | null; correct: boolean | null }
  | { line: number; kind: 'responses'; rewards: number[] }
  | { line: number; kind: 'error'; error: string };

export type ScoreReport = {
  rows: ScoredRow[];
  pairs: number;
  accuracy: number | null;
  logLoss: number | null;
};

/** A record's (prompt, response) as the model's input row. */
export type Featurize<R> = (prompt: string, response: string, messages: readonly { role: string; content: string }[]) => R;

const text = (messages: Message[]) => messages.map((m) => `${m.role}: ${m.content}`).join('\n');

type Parsed = { line: number; prompt: string; messages: Message[]; responses: string[]; pair: boolean; tie: boolean } | { line: number; error: string };

function parse(records: readonly { line: number; record: unknown }[]): Parsed[] {
  const objects = records.map((r) => r.record);
  const format: ImportFormat | null = detectFormat(objects.slice(0, 20));
  return records.map(({ line, record }) => {
    try {
      const r = record as Record<string, unknown>;
      if (r && typeof r === 'object' && typeof r.response === 'string') {
        const messages = Array.isArray(r.messages) ? (r.messages as Message[]) : [{ role: 'user' as const, content: String(r.prompt ?? '') }];
        return { line, prompt: text(messages), messages, responses: [r.response], pair: false, tie: false };
      }
      // This record's own format, else the file's (a file may mix single responses and lists).
      const own = detectFormat([record]) ?? format;
      if (!own) return { line, error: 'not a pair, a response or a list of responses' };
      const [row] = parseRecord(record, own);
      if (!row) return { line, error: 'nothing to score' };
      if (row.kind === 'comparison') return { line, prompt: text(row.messages), messages: row.messages, responses: [row.chosen.content, row.rejected.content], pair: true, tie: row.tie !== null };
      return { line, prompt: text(row.messages), messages: row.messages, responses: row.responses.map((x) => x.content), pair: false, tie: false };
    } catch (error) {
      return { line, error: error instanceof Error ? error.message : String(error) };
    }
  });
}

/**
 * `featurize` turns (prompt text, response, and the prompt's turns) into the model's input row: hashed
 * features of the text, or token ids of the turns as a chat template renders them.
 * Scores every record at once; scoreRecordsStepwise is the same work in steps, for callers that must yield.
 */
export function scoreRecords<R>(model: PreferenceScorer<R>, featurize: Featurize<R>, records: readonly { line: number; record: unknown }[]): ScoreReport {
  const steps = scoreRecordsStepwise(model, featurize, records, Infinity);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The one scoring loop: yields the number of records done after every `everyRecords` of them (a worker awaits
 * between steps for its heartbeat and cancellation, docs/architecture.md "Jobs") and returns the report.
 * The file's format is detected once from all records, so steps change nothing in the result.
 */
export function* scoreRecordsStepwise<R>(
  model: PreferenceScorer<R>,
  featurize: Featurize<R>,
  records: readonly { line: number; record: unknown }[],
  everyRecords: number,
): Generator<number, ScoreReport, void> {
  const parsed = parse(records);
  const rows: ScoredRow[] = [];
  let pairs = 0;
  let correct = 0;
  let logLoss = 0;
  for (const [k, x] of parsed.entries()) {
    if (k > 0 && k % everyRecords === 0) yield k;
    if ('error' in x) {
      rows.push({ line: x.line, kind: 'error', error: x.error });
      continue;
    }
    const feats = x.responses.map((r) => featurize(x.prompt, r, x.messages));
    if (x.pair) {
      const p = model.preferences([feats[0]!], [feats[1]!])[0]!;
      const margin = model.config.kind === 'gpm' ? null : (() => {
        const r = model.rewards(feats);
        return r[0]! - r[1]!;
      })();
      const decisive = !x.tie;
      if (decisive) {
        pairs++;
        if (p > 0.5) correct++;
        logLoss -= Math.log(Math.min(1 - 1e-7, Math.max(1e-7, p)));
      }
      rows.push({ line: x.line, kind: 'pair', p, margin, correct: decisive ? p > 0.5 : null });
    } else if (model.config.kind === 'gpm') {
      const n = feats.length;
      const rewards = feats.map((f, i) => {
        if (n === 1) return 0;
        const others = feats.filter((_, j) => j !== i);
        const s = model.gpmScores(others.map(() => f), others);
        return s.reduce((a, b) => a + b, 0) / others.length;
      });
      rows.push({ line: x.line, kind: 'responses', rewards });
    } else rows.push({ line: x.line, kind: 'responses', rewards: Array.from(model.rewards(feats)) });
  }
  return { rows, pairs, accuracy: pairs ? correct / pairs : null, logLoss: pairs ? logLoss / pairs : null };
}
