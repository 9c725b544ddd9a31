import { describe, expect, it } from 'vitest';
import { belowBaseline, kindLabel } from '@/app/(app)/projects/[id]/models/model-labels';

describe('how the Models pages name a model', () => {
  it('names the kind with what sets it apart: members, MLP tower, featurizer, base checkpoint and LoRA', () => {
    expect(kindLabel({ kind: 'bt', config: {} })).toBe('bt');
    expect(kindLabel({ kind: 'bt', config: { hidden: 64 } })).toBe('bt · MLP, hidden 64');
    expect(kindLabel({ kind: 'ensemble', config: { members: 3 } })).toBe('ensemble ×3');
    expect(kindLabel({ kind: 'bt', config: { featurizer: 'transformer' } })).toBe('bt · transformer encoder');
    expect(kindLabel({ kind: 'gpm', config: { featurizer: 'checkpoint', checkpoint: 'gpt2' } })).toBe("gpm · on gpt2's states");
    expect(kindLabel({ kind: 'bt', config: { featurizer: 'fine-tune', checkpoint: 'smollm2', loraRank: 16 } })).toBe('bt · fine-tuned smollm2, LoRA r 16');
    expect(kindLabel({ kind: 'bt', config: { featurizer: 'fine-tune', checkpoint: 'smollm2', loraRank: 0 } })).toBe('bt · fine-tuned smollm2');
  });

  it('flags a model below the longer-answer baseline, and nothing without both numbers', () => {
    expect(belowBaseline({ metrics: { evaluation: { accuracy: 0.55 }, baseline: { accuracy: 0.6 } } })).toBe(true);
    expect(belowBaseline({ metrics: { evaluation: { accuracy: 0.7 }, baseline: { accuracy: 0.6 } } })).toBe(false);
    expect(belowBaseline({ metrics: { evaluation: { accuracy: null }, baseline: { accuracy: 0.6 } } })).toBe(false);
    expect(belowBaseline({ metrics: null })).toBe(false);
  });
});
