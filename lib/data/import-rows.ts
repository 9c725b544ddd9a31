/** What an import record becomes, and the small checks every format shares (pure). */
import { AppError } from '@/lib/errors';
import type { Message } from './export';

// One record that cannot be parsed throws AppError 'bad-row' (the import reports its line and goes on); a file
// that cannot be read as a whole (container, encoding, compression, size of a record, mapping) throws
// AppError 'bad-file', and nothing is written.

export type ImportedComparison = {
  messages: Message[];
  chosen: { content: string; system: string };
  rejected: { content: string; system: string };
  tie: 'both_good' | 'both_bad' | null;
  strength: number | null;
  annotator: string | null;
};

export type ImportedRow =
  | { kind: 'candidates'; messages: Message[]; responses: { content: string; system: string }[] }
  | ({ kind: 'comparison' } & ImportedComparison)
  /** A k-wise ranking: `groups` are tie groups of indexes into `responses`, best first. */
  | { kind: 'ranking'; messages: Message[]; responses: { content: string; system: string }[]; groups: number[][]; annotator: string | null }
  /** Per-response attribute ratings (0–4), aligned with `responses`. */
  | { kind: 'ratings'; messages: Message[]; responses: { content: string; system: string }[]; ratings: Record<string, number>[] };

export const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
export const ROLES = new Set(['system', 'user', 'assistant']);


export function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || !value.trim()) throw new AppError('bad-row', `${field} must be a non-empty string`);
  return value;
}


export const optionalString = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
