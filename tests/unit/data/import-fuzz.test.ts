/**
 * Fuzzing every importer's record parser: random JSON values and mutated valid records. The property is
 * that a record either parses into rows or is refused with an AppError 'bad-row' (a message for its line) —
 * never a TypeError or any other crash. Format detection never throws either.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectFormat, IMPORT_FORMATS, parseRecord, type ImportFormat } from '@/lib/data/import-formats';
import { isAppError } from '@/lib/errors';
import { mutate, SEEDS, type Mutation } from '../../helpers/import-fuzz';

const outcomes = { parsed: 0, refused: 0 };

/** Parses or refuses: anything other than rows or an AppError 'bad-row' fails the property. */
function parsesOrRefuses(record: unknown, format: ImportFormat): boolean {
  try {
    const rows = parseRecord(record, format);
    outcomes.parsed++;
    return Array.isArray(rows);
  } catch (error) {
    if (isAppError(error, 'bad-row')) {
      outcomes.refused++;
      return error.message.length > 0;
    }
    throw error;
  }
}

const mutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('delete', 'replace', 'wrap', 'empty', 'duplicate'),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, -1, 0, 1.5, 1e308, '', ' ', '\u0000', '<|endoftext|>', [], {}, true)),
}) as fc.Arbitrary<Mutation>;

describe('importer fuzzing (every format)', () => {
  it('the seeds are valid records of their formats', () => {
    for (const format of IMPORT_FORMATS) expect(parseRecord(SEEDS[format], format).length, format).toBeGreaterThan(0);
  });

  it('random JSON values are parsed or refused with a row message, in every format (3,000 cases)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(...IMPORT_FORMATS), (value, format) => parsesOrRefuses(value, format)),
      { numRuns: 3000, seed: 11 },
    );
  });

  it('mutated valid records are parsed or refused with a row message, and detection never throws (6,000 cases)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...IMPORT_FORMATS), fc.array(mutation, { minLength: 1, maxLength: 4 }), (format, mutations) => {
        const record = mutate(SEEDS[format], mutations);
        detectFormat([record]);
        return parsesOrRefuses(record, format);
      }),
      { numRuns: 6000, seed: 12 },
    );
    // Not vacuous: the mutations reach both outcomes many times.
    expect(outcomes.parsed).toBeGreaterThan(500);
    expect(outcomes.refused).toBeGreaterThan(500);
  });
});
