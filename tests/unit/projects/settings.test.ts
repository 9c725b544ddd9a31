import { describe, expect, it } from 'vitest';
import { createProjectSchema, DEFAULT_PROJECT_SETTINGS, projectSettingsSchema } from '@/lib/projects/settings';

describe('project settings', () => {
  it('defaults to a pairwise project with overlap 1 and randomised sides', () => {
    expect(DEFAULT_PROJECT_SETTINGS).toMatchObject({ tasks: ['pairwise'], overlap: 1, randomizeSides: true, strengthScale: 'off', assignmentOrder: 'least-annotated' });
  });
  it('names the field in every error', () => {
    const bad = projectSettingsSchema.safeParse({ overlap: 0, attributes: ['Helpfulness'], tasks: ['pairwise', 'pairwise'] });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['overlap', 'attributes.0', 'tasks']));
  });
  it('trims the project name and refuses an empty one', () => {
    expect(createProjectSchema.parse({ name: '  Helpfulness  ' }).name).toBe('Helpfulness');
    expect(createProjectSchema.safeParse({ name: '   ' }).error?.issues[0]?.message).toBe('name must not be empty');
  });
});
