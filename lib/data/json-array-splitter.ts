/**
 * Splits the decoded text of a `.json` import file into its records without holding the file: a top-level
 * array gives one text per element (element k is record k), anything else is one record. The splitter only
 * follows strings (quotes and escapes) and nesting (`{}` / `[]`) to find where each element ends; each text
 * is then parsed with JSON.parse by the caller. An element may not exceed `maxChars` characters.
 */

/**
 * Internal: read-records.ts catches it and turns it into what the person sees (AppError 'bad-file' for a
 * record above the limit, a bad line for a syntax error); it is never an answer on its own, so it is not an AppError.
 */
export class JsonSplitError extends Error {
  constructor(
    readonly kind: 'too-long' | 'syntax',
    /** The 1-based element (record) it concerns. */
    readonly element: number,
    /** For 'too-long': the characters of the element read so far. */
    readonly chars: number,
    message: string,
  ) {
    super(message);
  }
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

type Mode = 'start' | 'single' | 'before-element' | 'element' | 'after-element' | 'done';

export class JsonArraySplitter {
  private mode: Mode = 'start';
  /** Text of the element (or single value) being read, in pieces (joined once it is complete). */
  private pieces: string[] = [];
  private length = 0;
  /** The closing brackets the element still owes, innermost last. */
  private closers = '';
  private inString = false;
  private escaped = false;
  private afterComma = false;
  private count = 0;
  private readonly stringStop = /["\\]/g;

  constructor(private readonly maxChars: number) {}

  /** Whether the text is a top-level array (known from its first non-blank character). */
  get isArray(): boolean {
    return this.mode !== 'start' && this.mode !== 'single';
  }

  /** Feeds the next piece of text; yields each element completed by it. */
  *push(chunk: string): Generator<{ element: number; text: string }> {
    const n = chunk.length;
    let i = 0;
    let start = this.mode === 'element' ? 0 : -1;
    while (i < n) {
      const c = chunk.charCodeAt(i);
      switch (this.mode) {
        case 'start':
          if (isSpace(c)) i++;
          else if (c === OPEN_ARRAY) {
            this.mode = 'before-element';
            i++;
          } else this.mode = 'single';
          break;
        case 'single':
          // Not an array: the whole text is one record, bounded like any other.
          this.grow(chunk.slice(i), 1);
          return;
        case 'before-element':
          if (isSpace(c)) i++;
          else if (c === CLOSE_ARRAY) {
            if (this.afterComma) throw this.syntax('a comma before the closing ]');
            this.mode = 'done';
            i++;
          } else if (c === COMMA) throw this.syntax('an empty element (two commas, or a comma after [)');
          else {
            this.mode = 'element';
            this.closers = '';
            this.inString = false;
            this.escaped = false;
            start = i;
          }
          break;
        case 'element': {
          if (this.inString) {
            if (this.escaped) {
              this.escaped = false;
              i++;
              break;
            }
            this.stringStop.lastIndex = i;
            const stop = this.stringStop.exec(chunk);
            if (!stop) {
              i = n;
              break;
            }
            i = stop.index + 1;
            if (chunk.charCodeAt(stop.index) === BACKSLASH) this.escaped = true;
            else {
              this.inString = false;
              if (this.closers === '') yield this.complete(chunk, start, i);
            }
            break;
          }
          if (c === QUOTE) {
            this.inString = true;
            i++;
          } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
            this.closers += c === OPEN_OBJECT ? '}' : ']';
            i++;
          } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
            if (this.closers === '') {
              // The end of a bare value (number, true, false, null) at the array's closing bracket.
              yield this.complete(chunk, start, i);
              break;
            }
            if (this.closers.charCodeAt(this.closers.length - 1) !== c) throw this.syntax(`a ${String.fromCharCode(c)} closes a ${this.closers.endsWith('}') ? '{' : '['}`);
            this.closers = this.closers.slice(0, -1);
            i++;
            if (this.closers === '') yield this.complete(chunk, start, i);
          } else if (this.closers === '' && (c === COMMA || isSpace(c))) {
            yield this.complete(chunk, start, i);
          } else i++;
          break;
        }
        case 'after-element':
          if (isSpace(c)) i++;
          else if (c === COMMA) {
            this.mode = 'before-element';
            this.afterComma = true;
            i++;
          } else if (c === CLOSE_ARRAY) {
            this.mode = 'done';
            i++;
          } else throw this.syntax(`expected , or ] after element ${this.count}`);
          break;
        case 'done':
          if (isSpace(c)) i++;
          else throw this.syntax('text after the closing ] of the array');
          break;
      }
    }
    if (this.mode === 'element') this.grow(chunk.slice(start), this.count + 1);
  }

  /** The end of the text: yields the single value of a file that is not an array; throws when an array is left open. */
  *end(): Generator<{ element: number; text: string }> {
    if (this.mode === 'start') throw this.syntax('it is empty');
    if (this.mode === 'single') {
      const text = this.pieces.join('');
      this.pieces = [];
      yield { element: 1, text };
      return;
    }
    if (this.mode !== 'done') throw this.syntax('it ends inside the top-level array');
  }

  private grow(piece: string, element: number) {
    this.pieces.push(piece);
    this.length += piece.length;
    if (this.length > this.maxChars) throw new JsonSplitError('too-long', element, this.length, `element ${element} is longer than the limit`);
  }

  private complete(chunk: string, start: number, end: number): { element: number; text: string } {
    this.grow(chunk.slice(start, end), this.count + 1);
    const text = this.pieces.length === 1 ? this.pieces[0]! : this.pieces.join('');
    this.pieces = [];
    this.length = 0;
    this.mode = 'after-element';
    this.afterComma = false;
    return { element: ++this.count, text };
  }

  private syntax(detail: string) {
    return new JsonSplitError('syntax', this.count + 1, 0, detail);
  }
}
