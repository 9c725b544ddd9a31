import { describe, expect, it } from 'vitest';
import { canCreateProjects, canManageProject, canViewProject, type Actor } from '@/lib/auth/access';
import { generateSecretToken, hashSecretToken } from '@/lib/auth/secret-token';

const actor = (role: Actor['role']): Actor => ({ id: 'u', role, name: role, email: null, via: 'session' });

describe('access rules', () => {
  it('lets admins see and manage every project', () => {
    expect(canViewProject(actor('admin'), { memberRole: null })).toBe(true);
    expect(canManageProject(actor('admin'), { memberRole: null })).toBe(true);
  });
  it('shows annotators only their projects and never lets them manage', () => {
    expect(canViewProject(actor('annotator'), { memberRole: null })).toBe(false);
    expect(canViewProject(actor('annotator'), { memberRole: 'annotator' })).toBe(true);
    expect(canManageProject(actor('annotator'), { memberRole: 'researcher' })).toBe(false);
    expect(canCreateProjects(actor('annotator'))).toBe(false);
  });
  it('lets researchers manage only projects they research', () => {
    expect(canManageProject(actor('researcher'), { memberRole: 'researcher' })).toBe(true);
    expect(canManageProject(actor('researcher'), { memberRole: 'annotator' })).toBe(false);
    expect(canViewProject(actor('researcher'), { memberRole: null })).toBe(false);
  });
});

describe('secret tokens', () => {
  it('are unique, prefixed and hashed deterministically', () => {
    const a = generateSecretToken('arb');
    const b = generateSecretToken('arb');
    expect(a).toMatch(/^arb_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(hashSecretToken(a)).toBe(hashSecretToken(a));
    expect(hashSecretToken(a)).not.toBe(hashSecretToken(b));
  });
});
