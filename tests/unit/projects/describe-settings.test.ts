import { describe, expect, it } from 'vitest';
import { describeSettings } from '@/lib/projects/describe-settings';
import { projectSettingsSchema } from '@/lib/projects/settings';

describe('describeSettings', () => {
  it('reads a default pairwise project in words', () => {
    expect(Object.fromEntries(describeSettings(projectSettingsSchema.parse({})))).toEqual({
      Task: 'pairwise choice',
      'Annotations per item': '1',
      Strength: 'not asked',
      Justification: 'not asked',
      'Gold items served': 'none',
      'Repeats (self-consistency)': 'none',
      Sides: 'randomised',
      Order: 'least-annotated first',
      Lease: '30 min',
      'Active learning': 'off',
    });
  });

  it('names ranking size, attributes, rates and scales, and leaves out pairwise-only lines for a ranking project', () => {
    const lines = Object.fromEntries(describeSettings(projectSettingsSchema.parse({ tasks: ['ranking', 'rating'], rankingSize: 5, overlap: 3, attributes: ['helpfulness', 'verbosity'], goldRate: 0.1, repeatRate: 0.05, activeLearning: 'gpm-uncertainty' })));
    expect(lines.Task).toBe('ranking of 5 responses + ratings');
    expect(lines['Annotations per item']).toBe('3');
    expect(lines['Rated attributes (0–4)']).toBe('helpfulness, verbosity');
    expect(lines['Gold items served']).toBe('10%');
    expect(lines['Repeats (self-consistency)']).toBe('5%');
    expect(lines['Active learning']).toMatch(/GPM/);
    expect(lines.Strength).toBeUndefined();
    expect(Object.fromEntries(describeSettings(projectSettingsSchema.parse({ strengthScale: '7', justification: 'required' }))).Strength).toBe('−3 … +3 line (7-point)');
  });
});
