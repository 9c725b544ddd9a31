import { describe, expect, it } from 'vitest';
import { detectFormat, ImportRowError, parseHhTranscript, parseRecord } from '@/lib/data/import-formats';

const error = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof ImportRowError ? e.message : `unexpected ${String(e)}`;
  }
  return 'no error';
};

describe('format detection', () => {
  it('recognises candidates, explicit and implicit pairs, HH transcripts and arena battles', () => {
    expect(detectFormat([{ prompt: 'x', responses: ['a', 'b'] }])).toBe('candidates');
    expect(detectFormat([{ prompt: 'x', chosen: 'a', rejected: 'b' }])).toBe('pairs');
    expect(detectFormat([{ chosen: [{ role: 'user', content: 'x' }], rejected: [] }])).toBe('pairs');
    expect(detectFormat([{ chosen: '\n\nHuman: hi\n\nAssistant: yo', rejected: '\n\nHuman: hi\n\nAssistant: no' }])).toBe('hh');
    expect(detectFormat([{ model_a: 'm1', model_b: 'm2', winner: 'tie' }])).toBe('battles');
    expect(detectFormat([{ text: 'nothing known' }])).toBeNull();
  });
});

describe('records', () => {
  it('reads TRL explicit conversational and standard pairs, with margin and annotator', () => {
    const conv = parseRecord({ prompt: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi' }], chosen: [{ role: 'assistant', content: 'Hello!' }], rejected: [{ role: 'assistant', content: 'Go away.' }], margin: 2, annotator: 'u7' }, 'pairs');
    expect(conv).toEqual({ kind: 'comparison', messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi' }], chosen: { content: 'Hello!', system: 'chosen' }, rejected: { content: 'Go away.', system: 'rejected' }, tie: null, strength: 2, annotator: 'u7' });
    const std = parseRecord({ prompt: 'Hi', chosen: 'Hello!', rejected: 'Go away.', chosen_model: 'm1', rejected_model: 'm2' }, 'pairs');
    expect(std).toMatchObject({ messages: [{ role: 'user', content: 'Hi' }], chosen: { system: 'm1' }, rejected: { system: 'm2' } });
  });

  it('splits implicit-prompt pairs at their shared conversation', () => {
    const turn = [{ role: 'user', content: 'Hi' }];
    const row = parseRecord({ chosen: [...turn, { role: 'assistant', content: 'Hello!' }], rejected: [...turn, { role: 'assistant', content: 'Bye.' }] }, 'pairs');
    expect(row).toMatchObject({ messages: turn, chosen: { content: 'Hello!' }, rejected: { content: 'Bye.' } });
    expect(error(() => parseRecord({ chosen: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'x' }], rejected: [{ role: 'user', content: 'b' }, { role: 'assistant', content: 'y' }] }, 'pairs'))).toBe(
      'chosen and rejected must share the same conversation before their last message',
    );
  });

  it('parses HH transcripts, multi-turn', () => {
    expect(parseHhTranscript('\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: How are you?\n\nAssistant: Fine.', 'chosen')).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'How are you?' },
      { role: 'assistant', content: 'Fine.' },
    ]);
    const row = parseRecord({ chosen: '\n\nHuman: Hi\n\nAssistant: Hello', rejected: '\n\nHuman: Hi\n\nAssistant: Whatever' }, 'hh');
    expect(row).toMatchObject({ messages: [{ role: 'user', content: 'Hi' }], chosen: { content: 'Hello' }, rejected: { content: 'Whatever' } });
    expect(error(() => parseRecord({ chosen: '\n\nHuman: Hi\n\nAssistant:', rejected: '\n\nHuman: Hi\n\nAssistant: x' }, 'hh'))).toBe('chosen reply must be a non-empty string');
  });

  it('reads arena battles with both-bad ties and the winner first', () => {
    const b = parseRecord({ model_a: 'm1', model_b: 'm2', winner: 'model_b', judge: 'j1', prompt: 'q', response_a: 'A', response_b: 'B' }, 'battles');
    expect(b).toMatchObject({ chosen: { content: 'B', system: 'm2' }, rejected: { content: 'A', system: 'm1' }, tie: null, annotator: 'j1' });
    expect(parseRecord({ model_a: 'm1', model_b: 'm2', winner: 'tie (bothbad)', prompt: 'q', response_a: 'A', response_b: 'B' }, 'battles')).toMatchObject({ tie: 'both_bad' });
    expect(error(() => parseRecord({ model_a: 'm1', model_b: 'm2', winner: 'left', prompt: 'q', response_a: 'A', response_b: 'B' }, 'battles'))).toBe('winner must be model_a, model_b, tie or tie (bothbad) (or acceptedIndex 0 / 1)');
  });

  it('names the field of every refusal', () => {
    expect(error(() => parseRecord({ prompt: '', chosen: 'a', rejected: 'b' }, 'pairs'))).toBe('prompt must be a non-empty string');
    expect(error(() => parseRecord({ prompt: 'q', chosen: 'a', rejected: 'b', margin: -1 }, 'pairs'))).toBe('margin / strength must be a number ≥ 0');
    expect(error(() => parseRecord({ prompt: 'q', responses: [] }, 'candidates'))).toBe('responses must be a non-empty list');
    expect(error(() => parseRecord([1, 2], 'pairs'))).toBe('each record must be a JSON object');
    expect(error(() => parseRecord({ messages: [{ role: 'robot', content: 'x' }], responses: ['a'] }, 'candidates'))).toBe('messages[0].role must be system, user or assistant');
  });
});
