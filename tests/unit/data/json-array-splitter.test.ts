import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonArraySplitter, JsonSplitError } from '@/lib/data/json-array-splitter';

/** Feeds `text` in pieces of the given sizes (cycled) and returns the element texts, or the error. */
function split(text: string, sizes: number[] = [text.length || 1], maxChars = 1e9): { elements: string[]; isArray: boolean } {
  const splitter = new JsonArraySplitter(maxChars);
  const elements: string[] = [];
  let at = 0;
  for (let k = 0; at < text.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length]!);
    for (const e of splitter.push(text.slice(at, at + size))) {
      expect(e.element).toBe(elements.length + 1);
      elements.push(e.text);
    }
    at += size;
  }
  for (const e of splitter.end()) elements.push(e.text);
  return { elements, isArray: splitter.isArray };
}

const failure = (text: string, maxChars = 1e9, sizes?: number[]) => {
  try {
    split(text, sizes, maxChars);
  } catch (error) {
    if (error instanceof JsonSplitError) return { kind: error.kind, element: error.element, chars: error.chars, message: error.message };
    throw error;
  }
  throw new Error('expected a JsonSplitError');
};

describe('JSON array splitter', () => {
  it('gives back every element of any array, however the text is cut (strings with brackets, quotes, escapes, unicode)', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue()), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), fc.constantFrom(undefined, 2, '\t'), (values, sizes, indent) => {
        const text = JSON.stringify(values, null, indent);
        const { elements, isArray } = split(text, sizes);
        expect(isArray).toBe(true);
        expect(elements.map((e) => JSON.parse(e) as unknown)).toEqual(JSON.parse(text));
      }),
      { numRuns: 400, seed: 8 },
    );
    expect(split('[ "a]\\"}{[", {"b": ["]", "\\\\"]}, 1.5e3 ,null,true ,[] ]', [1]).elements).toEqual(['"a]\\"}{["', '{"b": ["]", "\\\\"]}', '1.5e3', 'null', 'true', '[]']);
  });

  it('a file that is not an array is one value, given back whole at the end', () => {
    expect(split('  {"prompt": "q", "chosen": ["a"]}\n', [3])).toEqual({ elements: ['{"prompt": "q", "chosen": ["a"]}\n'], isArray: false });
    expect(split('42')).toEqual({ elements: ['42'], isArray: false });
    expect(split('[]\n')).toEqual({ elements: [], isArray: true });
  });

  it('stops an element as soon as it passes the limit, before it ends, naming it', () => {
    const long = `[{"a": 1}, {"b": "${'x'.repeat(5000)}"}]`;
    expect(failure(long, 1000, [100])).toMatchObject({ kind: 'too-long', element: 2 });
    expect(failure(long, 1000, [100]).chars).toBeLessThanOrEqual(1100);
    // A whole element inside one piece, too; and a single value.
    expect(failure(long, 1000)).toMatchObject({ kind: 'too-long', element: 2 });
    expect(failure(`{"a": "${'x'.repeat(5000)}"}`, 1000, [64])).toMatchObject({ kind: 'too-long', element: 1 });
    expect(split(long, [100], 6000).elements).toHaveLength(2);
  });

  it('names what is wrong with a broken array, and the element it concerns', () => {
    expect(failure('[1, 2,]')).toMatchObject({ kind: 'syntax', element: 3, message: 'a comma before the closing ]' });
    expect(failure('[1,, 2]')).toMatchObject({ kind: 'syntax', element: 2, message: 'an empty element (two commas, or a comma after [)' });
    expect(failure('[{"a": 1} {"b": 2}]')).toMatchObject({ kind: 'syntax', element: 2, message: 'expected , or ] after element 1' });
    expect(failure('[{"a": [1}]')).toMatchObject({ kind: 'syntax', element: 1, message: 'a } closes a [' });
    expect(failure('[{"a": 1}, {"b": "cut')).toMatchObject({ kind: 'syntax', element: 2, message: 'it ends inside the top-level array' });
    expect(failure('[1] [2]')).toMatchObject({ kind: 'syntax', message: 'text after the closing ] of the array' });
    expect(failure(' \n ')).toMatchObject({ kind: 'syntax', element: 1, message: 'it is empty' });
  });
});
