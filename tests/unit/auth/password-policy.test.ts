import { describe, expect, it } from 'vitest';
import { COMMON_PASSWORDS } from '@/lib/auth/common-passwords';
import { passwordProblem } from '@/lib/auth/password-policy';
import { acceptInviteSchema, createUserSchema } from '@/lib/auth/schemas';

const why = (password: string, email?: string, name?: string) => passwordProblem(password, { email, name });

describe('passwordProblem', () => {
  it('keeps a list of several hundred common passwords, lower case, without blanks', () => {
    expect(COMMON_PASSWORDS.size).toBeGreaterThan(400);
    for (const p of COMMON_PASSWORDS) expect(p).toBe(p.trim().toLowerCase());
  });

  it('refuses trivial passwords with fewer than 4 different characters', () => {
    for (const p of ['aaaaaaaa', '12121212', 'abababab', 'zzzzzzzzzzzzzzzzz']) expect(why(p)).toBe('password must use at least 4 different characters');
  });

  it('refuses common passwords, also with digits or symbols around them or look-alike letters', () => {
    for (const p of ['password', 'Password', '12345678', 'iloveyou', 'sunshine', 'P@ssw0rd', 'password1', 'Password123!', 'monkey2024', '2024dragon!!', 'trustno1', 'baseball', 'Pa55word']) {
      expect(why(p), p).toMatch(/^password is one of the most common passwords/);
    }
  });

  it('refuses keyboard walks and sequences, alone or glued together', () => {
    for (const p of ['qwertyui', 'asdfghjkl', 'zxcvbnm,./', '1qaz2wsx3edc', 'abcdefgh', 'hgfedcba', '87654321', 'qwerty12345', 'asdf1234', 'poiuytrewq', 'mnbvcxz123', '111qwerty', 'azertyuiop']) {
      expect(why(p), p).toMatch(/(keyboard pattern or a sequence|most common)/);
    }
    expect(why('lkjhgfdsa')).toBe('password is a keyboard pattern or a sequence (like qwerty, asdf or 12345678); choose another');
  });

  it('refuses a short pattern repeated', () => {
    expect(why('a1b2a1b2')).toBe('password repeats one short pattern; choose another');
    expect(why('hello!hello!')).toBe('password repeats one short pattern; choose another');
  });

  it("refuses the email's own name, the person's name or the service name with little added", () => {
    const msg = 'password must not be built from your email address, your name or the word "arbiter"; add more of your own';
    expect(why('jane.doe@example.com', 'jane.doe@example.com')).toBe(msg);
    expect(why('janedoe2024', 'jane.doe@example.com')).toBe(msg);
    expect(why('Doe-jane!', 'jane.doe@example.com')).toBe(msg);
    expect(why('example2024', 'jane.doe@example.com')).toBe(msg);
    expect(why('Margarethe1', 'mk@example.com', 'Margarethe Keller')).toBe(msg);
    expect(why('arbiter2024')).toBe(msg);
    expect(why('arbiter-arbiter')).toBe(msg);
  });

  it('accepts passphrases and passwords that merely contain a name among enough of their own', () => {
    for (const [p, email] of [
      ['correct horse battery', 'rae@example.com'],
      ['annotates a lot', 'ann@example.com'],
      ['annie-password', 'annie@e2e.test'],
      ['e2e-admin-password', 'admin@e2e.test'],
      ['pw-researcher-1-secret', 'researcher-1@example.com'],
      ['long-enough-password', 'x@example.com'],
      ['Tr0ub4dor&3', 'x@example.com'],
      ['vR7#kq2!Lm', 'x@example.com'],
    ] as const) {
      expect(why(p, email), p).toBeNull();
    }
  });
});

describe('the schemas every door parses', () => {
  it('reject a weak password on the password field with the reason, and accept a good one', () => {
    const weak = createUserSchema.safeParse({ name: 'Jane', email: 'jane@example.com', password: 'qwertyuiop' });
    expect(weak.success).toBe(false);
    expect(weak.error?.issues[0]).toMatchObject({ path: ['password'], message: expect.stringMatching(/keyboard pattern|most common/) });
    const invite = acceptInviteSchema.safeParse({ token: 'inv_' + 'x'.repeat(40), name: 'Jane', email: 'jane@example.com', password: 'jane1234' });
    expect(invite.error?.issues[0]?.message).toMatch(/must not be built from your email address/);
    expect(createUserSchema.parse({ name: 'Jane', email: 'jane@example.com', password: 'plum orbit kettle' }).role).toBe('annotator');
  });
});
