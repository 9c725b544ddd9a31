/**
 * The bad rows of an import, kept within bounds: the first MAX_LISTED_ERRORS by line, and a count of
 * every error by kind. A 14.6 KB .jsonl.gz of five million `{}` lines once produced a 314 MB answer
 * listing each of them; the report is now the same size whatever the file holds.
 */

/** Bad rows listed one by one (the rest are counted by kind). */
export const MAX_LISTED_ERRORS = 100;
/** Distinct kinds counted; the errors of any further kind are counted under OTHER_KIND. */
export const MAX_ERROR_KINDS = 50;
export const OTHER_KIND = 'other errors';

export type ImportErrorReport = {
  /** The first bad rows, by line. */
  errors: { line: number; message: string }[];
  /** Every bad row, listed or not. */
  errorCount: number;
  /** Every bad row counted by kind (its message with the row's own values blanked), most frequent first. */
  errorKinds: { kind: string; count: number; firstLine: number }[];
};

/** A message's kind: quoted values and numbers (which name the row's own data) replaced by placeholders. */
export function errorKind(message: string): string {
  return message
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\d+(?:\.\d+)?/g, 'N')
    .slice(0, 200);
}

export class ImportErrorLog {
  private readonly listed: ImportErrorReport['errors'] = [];
  private readonly kinds = new Map<string, { count: number; firstLine: number }>();
  count = 0;

  add(line: number, message: string): void {
    this.count++;
    if (this.listed.length < MAX_LISTED_ERRORS) this.listed.push({ line, message });
    let kind = errorKind(message);
    if (!this.kinds.has(kind) && this.kinds.size >= MAX_ERROR_KINDS) kind = OTHER_KIND;
    const entry = this.kinds.get(kind);
    if (entry) entry.count++;
    else this.kinds.set(kind, { count: 1, firstLine: line });
  }

  report(): ImportErrorReport {
    const errorKinds = [...this.kinds].map(([kind, v]) => ({ kind, ...v })).sort((a, b) => b.count - a.count || a.firstLine - b.firstLine);
    return { errors: this.listed, errorCount: this.count, errorKinds };
  }
}
