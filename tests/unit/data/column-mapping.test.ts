import { describe, expect, it } from 'vitest';
import { applyMapping, formatColumnMapping, parseColumnMapping } from '@/lib/data/column-mapping';

describe('column mapping', () => {
  it('reads target=source lists and JSON objects, and renames fields (the source name is gone)', () => {
    const mapping = parseColumnMapping(' model_a = left, model_b=right ,judge=worker');
    expect(mapping).toEqual({ model_a: 'left', model_b: 'right', judge: 'worker' });
    expect(parseColumnMapping('{"prompt": "instruction"}')).toEqual({ prompt: 'instruction' });
    expect(parseColumnMapping('  ')).toEqual({});
    expect(applyMapping({ left: 'A', right: 'B', winner: 'left', worker: 7 }, mapping)).toEqual({ model_a: 'A', model_b: 'B', winner: 'left', judge: 7 });
    expect(applyMapping([1], mapping)).toEqual([1]);
    expect(formatColumnMapping(mapping)).toBe('model_a=left, model_b=right, judge=worker');
  });

  it('names what is wrong: a missing =, an unknown target, a target mapped twice, bad JSON', () => {
    expect(() => parseColumnMapping('model_a')).toThrow('column mapping "model_a": write target=source, e.g. model_a=left');
    expect(() => parseColumnMapping('modle_a=left')).toThrow(/"modle_a" is not a field the formats read \(prompt, messages/);
    expect(() => parseColumnMapping('judge=a, judge=b')).toThrow('column mapping: "judge" is mapped twice');
    expect(() => parseColumnMapping('judge=')).toThrow('column mapping: give the file\'s column for "judge"');
    expect(() => parseColumnMapping('{"judge": ')).toThrow(/not valid JSON/);
  });
});
