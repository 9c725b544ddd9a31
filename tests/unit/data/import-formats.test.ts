import { describe, expect, it } from 'vitest';
import { detectFormat, parseHhTranscript, parseRecord, type ImportFormat } from '@/lib/data/import-formats';
import { isAppError } from '@/lib/errors';

const one = (record: unknown, format: ImportFormat) => {
  const rows = parseRecord(record, format);
  expect(rows).toHaveLength(1);
  return rows[0];
};

const error = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return isAppError(e, 'bad-row') ? e.message : `unexpected ${String(e)}`;
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
    const conv = one({ prompt: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi' }], chosen: [{ role: 'assistant', content: 'Hello!' }], rejected: [{ role: 'assistant', content: 'Go away.' }], margin: 2, annotator: 'u7' }, 'pairs');
    expect(conv).toEqual({ kind: 'comparison', messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi' }], chosen: { content: 'Hello!', system: 'chosen' }, rejected: { content: 'Go away.', system: 'rejected' }, tie: null, strength: 2, annotator: 'u7' });
    const std = one({ prompt: 'Hi', chosen: 'Hello!', rejected: 'Go away.', chosen_model: 'm1', rejected_model: 'm2' }, 'pairs');
    expect(std).toMatchObject({ messages: [{ role: 'user', content: 'Hi' }], chosen: { system: 'm1' }, rejected: { system: 'm2' } });
  });

  it('splits implicit-prompt pairs at their shared conversation', () => {
    const turn = [{ role: 'user', content: 'Hi' }];
    const row = one({ chosen: [...turn, { role: 'assistant', content: 'Hello!' }], rejected: [...turn, { role: 'assistant', content: 'Bye.' }] }, 'pairs');
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
    const row = one({ chosen: '\n\nHuman: Hi\n\nAssistant: Hello', rejected: '\n\nHuman: Hi\n\nAssistant: Whatever' }, 'hh');
    expect(row).toMatchObject({ messages: [{ role: 'user', content: 'Hi' }], chosen: { content: 'Hello' }, rejected: { content: 'Whatever' } });
    expect(error(() => parseRecord({ chosen: '\n\nHuman: Hi\n\nAssistant:', rejected: '\n\nHuman: Hi\n\nAssistant: x' }, 'hh'))).toBe('chosen reply must be a non-empty string');
  });

  it('reads arena battles with both-bad ties and the winner first', () => {
    const b = one({ model_a: 'm1', model_b: 'm2', winner: 'model_b', judge: 'j1', prompt: 'q', response_a: 'A', response_b: 'B' }, 'battles');
    expect(b).toMatchObject({ chosen: { content: 'B', system: 'm2' }, rejected: { content: 'A', system: 'm1' }, tie: null, annotator: 'j1' });
    expect(one({ model_a: 'm1', model_b: 'm2', winner: 'tie (bothbad)', prompt: 'q', response_a: 'A', response_b: 'B' }, 'battles')).toMatchObject({ tie: 'both_bad' });
    expect(one({ model_a: 'm1', model_b: 'm2', winner: 'left', prompt: 'q', response_a: 'A', response_b: 'B' }, 'battles')).toMatchObject({ chosen: { system: 'm1' }, tie: null });
    expect(error(() => parseRecord({ model_a: 'm1', model_b: 'm2', winner: 'draw', prompt: 'q', response_a: 'A', response_b: 'B' }, 'battles'))).toBe(
      'winner must be model_a, model_b, tie or tie (bothbad) (also a / b, left / right, both_bad; or acceptedIndex 0 / 1); got "draw"',
    );
    expect(error(() => parseRecord({ model_a: 'm1', model_b: 'm1', winner: 'tie', question_id: 7 }, 'battles'))).toBe('model_a and model_b are the same system');
    // Without texts, a battle is kept for leaderboards (empty responses), grouped by its question.
    expect(one({ model_a: 'm1', model_b: 'm2', winner: 'model_b', question_id: 7, judge: 42 }, 'battles')).toMatchObject({ messages: [{ role: 'user', content: 'question 7' }], chosen: { content: '', system: 'm2' }, annotator: '42' });
  });

  it('names the field of every refusal', () => {
    expect(error(() => parseRecord({ prompt: '', chosen: 'a', rejected: 'b' }, 'pairs'))).toBe('prompt must be a non-empty string');
    expect(error(() => parseRecord({ prompt: 'q', chosen: 'a', rejected: 'b', margin: -1 }, 'pairs'))).toBe('margin / strength must be a number ≥ 0');
    expect(error(() => parseRecord({ prompt: 'q', responses: [] }, 'candidates'))).toBe('responses must be a non-empty list');
    expect(error(() => parseRecord([1, 2], 'pairs'))).toBe('each record must be a JSON object');
    expect(error(() => parseRecord({ messages: [{ role: 'robot', content: 'x' }], responses: ['a'] }, 'candidates'))).toBe('messages[0].role must be system, user or assistant (got "robot")');
  });
});

describe('rankings and OpenAssistant trees', () => {
  it('reads k-wise rankings with tie groups, by groups or by ranks', () => {
    const byGroups = one({ prompt: 'q', responses: ['a', 'b', 'c'], ranking: [[2], [0, 1]] }, 'rankings');
    expect(byGroups).toMatchObject({ kind: 'ranking', groups: [[2], [0, 1]] });
    const byRanks = one({ prompt: 'q', responses: ['a', 'b', 'c'], ranks: [2, 1, 2] }, 'rankings');
    expect(byRanks).toMatchObject({ groups: [[1], [0, 2]] });
    expect(detectFormat([{ prompt: 'q', responses: ['a', 'b'], ranks: [1, 2] }])).toBe('rankings');
    expect(error(() => parseRecord({ prompt: 'q', responses: ['a', 'b', 'c'], ranking: [[0], [1]] }, 'rankings'))).toBe('rank all 3 responses (got 2)');
    expect(error(() => parseRecord({ prompt: 'q', responses: [{ content: 'a', system: 'm' }, { content: 'a', system: 'm' }], ranks: [1, 2] }, 'rankings'))).toBe('two responses of the ranking are identical');
  });

  it('turns an OpenAssistant tree into one ranking per prompter turn, with the conversation so far', () => {
    const tree = {
      message_tree_id: 't1',
      prompt: {
        text: 'Hi?',
        role: 'prompter',
        replies: [
          { text: 'Hello!', role: 'assistant', rank: 0, replies: [{ text: 'More?', role: 'prompter', replies: [{ text: 'Yes.', role: 'assistant', rank: 1 }, { text: 'Sure!', role: 'assistant', rank: 0 }] }] },
          { text: 'Go away.', role: 'assistant', rank: 1, replies: [] },
          { text: 'Deleted.', role: 'assistant', rank: 2, deleted: true },
        ],
      },
    };
    expect(detectFormat([tree])).toBe('oasst');
    const rows = parseRecord(tree, 'oasst');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ kind: 'ranking', messages: [{ role: 'user', content: 'Hi?' }], groups: [[0], [1]] });
    expect(rows[1]).toMatchObject({ messages: [{ role: 'user', content: 'Hi?' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'More?' }], groups: [[1], [0]] });
  });
});
