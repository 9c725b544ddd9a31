import fc from 'fast-check';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { CsvRecordMeter, CsvRecordTooLongError } from '@/lib/data/csv-record-meter';

/** Feeds `text` in pieces of the given sizes (cycled); returns the error thrown, if any, and where in `text` the meter cut. */
function measureCuts(text: string, delimiter: string, maxChars: number, sizes: number[] = [text.length || 1]): { error: CsvRecordTooLongError | null; cuts: number[] } {
  const meter = new CsvRecordMeter(delimiter, maxChars);
  const cuts: number[] = [];
  try {
    for (let at = 0, k = 0; at < text.length; k++) {
      const size = Math.max(1, sizes[k % sizes.length]!);
      const cut = meter.push(text.slice(at, at + size));
      if (cut >= 0) cuts.push(at + cut);
      at += size;
    }
  } catch (error) {
    if (error instanceof CsvRecordTooLongError) return { error, cuts };
    throw error;
  }
  return { error: null, cuts };
}
const measure = (text: string, delimiter: string, maxChars: number, sizes?: number[]) => measureCuts(text, delimiter, maxChars, sizes).error;

const quote = (cell: string, delimiter: string) => (/["\r\n]/.test(cell) || cell.includes(delimiter) || cell === '' ? `"${cell.replace(/"/g, '""')}"` : cell);

describe('CSV record meter', () => {
  it('measures each record as papaparse splits it (quoted cells with line breaks, delimiters and escaped quotes), however the text is cut', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '"', ',', ';', '\n', '\r\n', 'é', '\u{1F600}'), maxLength: 30 });
    fc.assert(
      fc.property(
        fc.constantFrom(',', ';', '\t'),
        fc.array(fc.array(cell, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom('\n', '\r\n'),
        (delimiter, rows, sizes, newline) => {
          const table = [['prompt', 'chosen', 'rejected'], ...rows];
          const lines = table.map((r) => r.map((c) => quote(c, delimiter)).join(delimiter));
          const text = lines.join(newline) + newline;
          // The generated text is CSV as papaparse reads it: the same rows come back.
          expect(Papa.parse<string[]>(text, { delimiter, skipEmptyLines: true }).data).toEqual(table);
          const longest = Math.max(...lines.map((l) => l.length));
          const { error: none, cuts } = measureCuts(text, delimiter, longest, sizes);
          expect(none).toBeNull();
          // Cuts fall only where a record ends (never inside a quoted cell or between CR and LF), the last at the end.
          const ends = new Set(lines.map((_, k) => lines.slice(0, k + 1).join(newline).length + newline.length));
          for (const cut of cuts) expect(ends.has(cut), `cut at ${cut}`).toBe(true);
          expect(cuts.at(-1)).toBe(text.length);
          const error = measure(text, delimiter, longest - 1, sizes);
          expect(error?.row).toBe(lines.findIndex((l) => l.length === longest) + 1);
        },
      ),
      { numRuns: 400, seed: 3 },
    );
  });

  it('a quote inside an unquoted cell is text, not the start of a quoted cell', () => {
    expect(measure('prompt,chosen\n5" screen,a\nb,c\n'.repeat(50), ',', 20, [7])).toBeNull();
  });

  it('an open quote makes one record of the rest of the file: stopped at the limit, naming its row', () => {
    const text = `prompt,chosen,rejected\nfine,a,b\n"never closed,${'line\n'.repeat(10_000)}`;
    const error = measure(text, ',', 1000, [64]);
    expect(error).toBeInstanceOf(CsvRecordTooLongError);
    expect(error!.row).toBe(3);
    expect(error!.chars).toBeLessThanOrEqual(1064);
    // Blank lines are not rows (papaparse skips them): the row number stays the one papaparse reports.
    expect(measure(`h\n\n\na\n"${'x'.repeat(2000)}`, ',', 1000)!.row).toBe(3);
  });
});
