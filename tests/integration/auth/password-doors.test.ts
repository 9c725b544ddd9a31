/**
 * The password policy (lib/auth/password-policy.ts) at every door that sets a password: invite links,
 * the first-start setup link, the admin's create-user form, POST /api/v1/users, the CLI's `user create`,
 * ARBITER_ADMIN_PASSWORD, and better-auth's /change-password. Each refuses with the reason and writes
 * nothing. The admin form's session is the one thing replaced (as in server-actions-matrix.test.ts).
 */
import { describe, expect, it, vi } from 'vitest';
import { POST as createUserRoute } from '@/app/api/v1/users/route';
import { createUserAction } from '@/app/(app)/admin/actions';
import { acceptInviteAction } from '@/app/invite/[token]/actions';
import { createApiToken } from '@/db/queries/api-tokens';
import { getAuth } from '@/db/queries/auth';
import { acceptInvite, createInvite, getOpenInvite } from '@/db/queries/invites';
import { countUsers, getUserByEmail } from '@/db/queries/users';
import { bootstrap } from '@/db/seed/bootstrap';
import { getDb } from '@/db/client';
import { accounts } from '@/db/schema';
import type { Actor } from '@/lib/auth/access';
import { resetEnvCache } from '@/lib/env';
import { createActor } from '../../helpers/actors';
import { apiRequest, noParams } from '../../helpers/http';
import { runTs } from '../../helpers/spawn';
import { queryValue } from '../../helpers/sql';

let current: Actor | null = null;
vi.mock('@/app/_lib/session', () => ({ getActor: async () => current, requireActor: async () => current }));
vi.mock('next/cache', () => ({ revalidatePath: () => undefined }));

const COMMON = /password is one of the most common passwords/;

describe('weak passwords are refused at every door', () => {
  it('ARBITER_ADMIN_PASSWORD on first start, naming the variable; nothing is created', async () => {
    process.env.ARBITER_ADMIN_EMAIL = 'boss@example.com';
    process.env.ARBITER_ADMIN_PASSWORD = 'password123';
    resetEnvCache();
    try {
      await expect(bootstrap()).rejects.toThrow('ARBITER_ADMIN_PASSWORD: password is one of the most common passwords');
      expect(await countUsers()).toBe(0);
    } finally {
      delete process.env.ARBITER_ADMIN_EMAIL;
      delete process.env.ARBITER_ADMIN_PASSWORD;
      resetEnvCache();
    }
  });

  it("npm start's set-up says so in one line and exits 1 (no stack trace)", async () => {
    const run = await runTs('scripts/setup.ts', [], { ARBITER_ADMIN_EMAIL: 'boss@example.com', ARBITER_ADMIN_PASSWORD: 'password123' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^error: ARBITER_ADMIN_PASSWORD: password is one of the most common passwords[^\n]*$/);
    expect(await countUsers()).toBe(0);
  });

  it('the first-start setup link (an admin invite) and an ordinary invite link, directly and through the form action', async () => {
    const setup = await bootstrap();
    const setupToken = setup.setupUrl!.split('/').at(-1)!;
    await expect(acceptInvite({ token: setupToken, name: 'Boss', email: 'boss@example.com', password: 'boss@example.com' })).rejects.toThrow(/must not be built from your email address/);
    await expect(acceptInvite({ token: setupToken, name: 'Boss', email: 'boss@example.com', password: 'lkjhgfdsa' })).rejects.toThrow(/keyboard pattern or a sequence/);
    expect(await getOpenInvite(setupToken)).toBeDefined();
    const invite = (await createInvite(null, { role: 'annotator' })).token;
    expect(await acceptInviteAction({ token: invite, name: 'Ann', email: 'ann@example.com', password: 'aaaaaaaa' })).toEqual({
      ok: false,
      error: 'password: password must use at least 4 different characters',
      field: 'password',
    });
    expect(await getOpenInvite(invite)).toBeDefined();
    expect(await countUsers()).toBe(0);
    expect((await acceptInvite({ token: setupToken, name: 'Boss', email: 'boss@example.com', password: 'plum orbit kettle' })).role).toBe('admin');
  });

  it("the admin's create-user form and POST /api/v1/users", async () => {
    const admin = await createActor('admin');
    current = admin;
    const before = await countUsers();
    const form = await createUserAction({ name: 'Jo', email: 'jo@example.com', password: '12345678', role: 'annotator' });
    expect(form).toMatchObject({ ok: false, field: 'password', error: expect.stringMatching(COMMON) });
    const { token } = await createApiToken(admin.id, { name: 'script' });
    const response = await createUserRoute(apiRequest('/api/v1/users', { method: 'POST', token, body: { name: 'Jo', email: 'jo@example.com', password: 'iloveyou', role: 'annotator' } }), noParams);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: expect.stringMatching(/^password: password is one of the most common passwords/), field: 'password' });
    expect(await countUsers()).toBe(before);
    expect((await createUserAction({ name: 'Jo', email: 'jo@example.com', password: 'plum orbit kettle', role: 'annotator' })).ok).toBe(true);
    current = null;
  });

  it('the CLI (user create)', async () => {
    const weak = await runTs('cli/main.ts', ['user', 'create', '--email', 'cli@example.com', '--password', 'abcd1234']);
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/^error: password: password is (one of the most common passwords|a keyboard pattern or a sequence)/);
    expect(await getUserByEmail('cli@example.com')).toBeUndefined();
  });

  it("better-auth's /change-password, judged with the account's own email", async () => {
    const user = await createActor('annotator', 'Changer');
    const { headers } = await getAuth().api.signInEmail({ body: { email: user.email, password: user.password }, returnHeaders: true });
    const cookie = headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const hashBefore = (await getDb().select().from(accounts)).find((a) => a.userId === user.id)!.password;
    const change = (newPassword: string) =>
      getAuth().handler(
        new Request('http://localhost:3000/api/auth/change-password', {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: 'http://localhost:3000', cookie, 'x-forwarded-for': '100.80.0.1' },
          body: JSON.stringify({ currentPassword: user.password, newPassword }),
        }),
      );
    const refused = await change('changer2024');
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: 'WEAK_PASSWORD', message: expect.stringMatching(/must not be built from your email address, your name/) });
    expect((await getDb().select().from(accounts)).find((a) => a.userId === user.id)!.password).toBe(hashBefore);
    expect((await change('plum orbit kettle')).status).toBe(200);
  });
});

describe('accepting an invite with an email that already has an account', () => {
  it('says so without naming the account, counts the attempt, and locks the link after 3', async () => {
    await createActor('researcher', 'Taken');
    const { token, invite } = await createInvite(null, { role: 'annotator' });
    const attempt = () => acceptInvite({ token, name: 'Mallory', email: 'taken@example.com', password: 'plum orbit kettle' });
    await expect(attempt()).rejects.toThrow('no account can be created with this email address through this invite; use another address (2 attempts left before the link locks)');
    await expect(attempt()).rejects.toThrow('(1 attempt left before the link locks)');
    await expect(attempt()).rejects.toThrow('no account can be created with this email address through this invite, and the invite link is now locked; ask an admin for a new one');
    expect(await getOpenInvite(token)).toBeUndefined();
    await expect(acceptInvite({ token, name: 'Mallory', email: 'fresh@example.com', password: 'plum orbit kettle' })).rejects.toThrow('this invite link is invalid, expired, already used or locked');
    expect(await getUserByEmail('fresh@example.com')).toBeUndefined();
    expect(await queryValue('select failed_attempts from invites where id = ?', invite.id)).toBe(3);
  });

  it('does not count mistakes that reveal nothing (a weak password, the wrong email for an email-bound invite)', async () => {
    const { token } = await createInvite(null, { role: 'annotator', email: 'bound@example.com' });
    for (let i = 0; i < 4; i++) {
      await expect(acceptInvite({ token, name: 'B', email: 'bound@example.com', password: '12345678' })).rejects.toThrow(COMMON);
      await expect(acceptInvite({ token, name: 'B', email: 'other@example.com', password: 'plum orbit kettle' })).rejects.toThrow('this invite is for bound@example.com');
    }
    expect((await acceptInvite({ token, name: 'B', email: 'bound@example.com', password: 'plum orbit kettle' })).email).toBe('bound@example.com');
  });
});
