import { describe, expect, it } from 'vitest';
import { getAuth } from '@/db/queries/auth';
import { acceptInvite, createInvite, getOpenInvite } from '@/db/queries/invites';
import { addProjectMember, createProject, getProjectForActor, listProjectsForActor } from '@/db/queries/projects';
import { countUsers, createUserWithPassword, getUserByEmail } from '@/db/queries/users';
import { getDb } from '@/db/client';
import { accounts } from '@/db/schema';
import { createActor } from '../../helpers/actors';

async function signIn(email: string, password: string) {
  return getAuth().api.signInEmail({ body: { email, password } });
}

function signInRequest(email: string, password: string, ip: string): Request {
  return new Request('http://localhost:3000/api/auth/sign-in/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://localhost:3000', 'x-forwarded-for': ip },
    body: JSON.stringify({ email, password }),
  });
}

describe('accounts', () => {
  it('creates a user whose password is hashed by better-auth and who can sign in', async () => {
    const user = await createUserWithPassword({ name: 'Rae', email: 'Rae@Example.com', password: 'correct horse', role: 'researcher' });
    expect(user).toMatchObject({ email: 'rae@example.com', role: 'researcher' });
    const stored = (await getDb().select().from(accounts)).find((a) => a.userId === user.id)!;
    expect(stored.password).not.toContain('correct horse');
    expect(stored.password!.length).toBeGreaterThan(40);
    const session = await signIn('rae@example.com', 'correct horse');
    expect(session.user.id).toBe(user.id);
    expect((session.user as { role?: string }).role).toBe('researcher');
    await expect(signIn('rae@example.com', 'wrong password')).rejects.toThrow(/Invalid email or password/);
  });

  it('refuses a duplicate email and bad input without writing anything', async () => {
    const before = await countUsers();
    await expect(createUserWithPassword({ name: 'Rae 2', email: 'rae@example.com', password: 'another one', role: 'annotator' })).rejects.toMatchObject({ code: 'conflict', message: 'a user with email rae@example.com already exists' });
    await expect(createUserWithPassword({ name: 'X', email: 'not-an-email', password: 'long enough' })).rejects.toThrow(/email must be a valid email address/);
    await expect(createUserWithPassword({ name: 'X', email: 'x@example.com', password: 'short' })).rejects.toThrow(/at least 8 characters/);
    expect(await countUsers()).toBe(before);
  });

  it('offers no public sign-up', async () => {
    await expect(getAuth().api.signUpEmail({ body: { name: 'Eve', email: 'eve@example.com', password: 'let me in please' } })).rejects.toThrow();
    expect(await getUserByEmail('eve@example.com')).toBeUndefined();
  });

  it('rate-limits sign-in attempts per address', async () => {
    const statuses: number[] = [];
    // Different emails, so the per-account limit (tests/integration/auth/account-limit.test.ts) stays out of it.
    for (let i = 0; i < 12; i++) statuses.push((await getAuth().handler(signInRequest(`guess${i}@example.com`, 'wrong', '203.0.113.9'))).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect((await getAuth().handler(signInRequest('rae@example.com', 'correct horse', '203.0.113.10'))).status).toBe(200);
  });
});

describe('invites', () => {
  it('turns a link into an account with the invited role and project membership, once', async () => {
    const admin = await createActor('admin');
    const project = await createProject(admin, { name: 'Invite target' });
    const { token, url } = await createInvite(admin.id, { role: 'annotator', projectId: project.id });
    expect(url).toMatch(/\/invite\/inv_/);
    expect(await getOpenInvite(token)).toMatchObject({ role: 'annotator', projectName: 'Invite target' });
    const user = await acceptInvite({ token, name: 'Ann', email: 'ann@example.com', password: 'annotates a lot' });
    expect(user.role).toBe('annotator');
    const ann = { id: user.id, role: user.role, name: user.name, email: user.email, via: 'session' as const };
    expect((await listProjectsForActor(ann)).map((p) => p.id)).toEqual([project.id]);
    expect((await getProjectForActor(ann, project.id)).memberRole).toBe('annotator');
    await expect(acceptInvite({ token, name: 'Ann 2', email: 'ann2@example.com', password: 'annotates a lot' })).rejects.toThrow(/invalid, expired, already used or locked/);
    expect(await getUserByEmail('ann2@example.com')).toBeUndefined();
  });

  it('holds an email-restricted invite to that email and rejects unknown or expired tokens', async () => {
    const { token } = await createInvite(null, { role: 'researcher', email: 'res@example.com' });
    await expect(acceptInvite({ token, name: 'R', email: 'other@example.com', password: 'long enough' })).rejects.toThrow(/for res@example.com/);
    expect(await getOpenInvite(token)).toBeDefined();
    await expect(acceptInvite({ token: 'inv_' + 'x'.repeat(40), name: 'R', email: 'res@example.com', password: 'long enough' })).rejects.toThrow(/invalid/);
    await expect(createInvite(null, { role: 'annotator', projectId: 424242 })).rejects.toThrow(/project 424242 does not exist/);
  });
});

describe('project visibility', () => {
  it('shows annotators only the projects they belong to; researchers manage only their own', async () => {
    const researcher = await createActor('researcher');
    const other = await createActor('researcher');
    const annotator = await createActor('annotator');
    const mine = await createProject(researcher, { name: 'Mine' });
    const theirs = await createProject(other, { name: 'Theirs' });
    await addProjectMember(mine.id, annotator.id, 'annotator');
    expect((await listProjectsForActor(annotator)).map((p) => p.name)).toEqual(['Mine']);
    await expect(getProjectForActor(annotator, theirs.id)).rejects.toThrow(expect.objectContaining({ code: 'not-found' }));
    expect((await getProjectForActor(annotator, mine.id)).canManage).toBe(false);
    expect((await getProjectForActor(researcher, mine.id)).canManage).toBe(true);
    await expect(getProjectForActor(researcher, theirs.id)).rejects.toThrow(expect.objectContaining({ code: 'not-found' }));
    await expect(createProject(annotator, { name: 'Nope' })).rejects.toThrow(expect.objectContaining({ code: 'forbidden' }));
  });
});
