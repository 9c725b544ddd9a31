/** What an import record becomes, and the small checks every format shares (pure). */
import type { Message } from './export';

export class ImportRowError extends Error {}

/** The file as a whole cannot be read (container, encoding, compression, size of a record, mapping): nothing is written. */
export class ImportFileError extends Error {}

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
  if (typeof value !== 'string' || !value.trim()) throw new ImportRowError(`${field} must be a non-empty string`);
  return value;
}


export const optionalString = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
