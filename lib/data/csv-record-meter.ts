/**
 * Measures CSV records as the text streams in, before the CSV parser buffers it: how many characters the
 * current record (one row, quoted multi-line cells included) holds since the last record boundary. A quote
 * opens a quoted cell only at the start of a cell, `""` inside one is an escaped quote, and a line break
 * (\n or \r) outside quotes ends the record — the rules papaparse parses by. A record above `maxChars`
 * throws CsvRecordTooLongError naming its row (the header is row 1, empty lines are not rows). `push`
 * also says where the last record of a piece ends, so the parser can be given whole records only.
 */

/** Internal: read-records.ts catches it and names the limit in an AppError 'bad-file'; it is never an answer on its own, so it is not an AppError. */
export class CsvRecordTooLongError extends Error {
  constructor(
    readonly row: number,
    readonly chars: number,
  ) {
    super(`row ${row} is longer than the limit (${chars} characters so far)`);
  }
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Where the meter is: at the start of a cell, inside an unquoted cell, inside a quoted one, or just after a quote inside one. */
type State = 'cell-start' | 'unquoted' | 'quoted' | 'quote-in-quoted';

export class CsvRecordMeter {
  private state: State = 'cell-start';
  /** Characters of the current record so far. */
  private chars = 0;
  /** Non-empty records completed (the header included). */
  private records = 0;
  private readonly delimiter: number;

  constructor(
    delimiter: string,
    private readonly maxChars: number,
  ) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  /** Measures the next piece of text; returns the offset just past its last record boundary (-1: the piece ends none). */
  push(chunk: string): number {
    const n = chunk.length;
    let i = 0;
    let cut = -1;
    while (i < n) {
      if (this.state === 'quoted') {
        // Inside quotes only a quote matters: jump to it.
        const q = chunk.indexOf('"', i);
        const stop = q < 0 ? n : q;
        this.chars += stop - i;
        i = stop;
        if (q < 0) break;
        this.state = 'quote-in-quoted';
        this.chars++;
        i++;
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (c === LF || c === CR) {
        // Outside quotes (the quoted state never gets here): the record ends.
        this.boundary();
        i++;
        // A CR ending the piece may be the first half of a CRLF: the cut waits for what follows, so that
        // the parser never gets the pair split.
        if (c === LF || (i < n && chunk.charCodeAt(i) !== LF)) cut = i;
        continue;
      }
      if (this.state === 'quote-in-quoted') this.state = c === QUOTE ? 'quoted' : c === this.delimiter ? 'cell-start' : 'unquoted';
      else if (c === this.delimiter) this.state = 'cell-start';
      else if (this.state === 'cell-start') this.state = c === QUOTE ? 'quoted' : 'unquoted';
      this.chars++;
      i++;
    }
    this.check();
    return cut;
  }

  private boundary() {
    this.check();
    if (this.chars > 0) this.records++;
    this.chars = 0;
    this.state = 'cell-start';
  }

  private check() {
    if (this.chars > this.maxChars) throw new CsvRecordTooLongError(this.records + 1, this.chars);
  }
}
