import { describe, expect, it } from 'vitest';
import { getAuth } from '@/db/queries/auth';
import { createUserWithPassword } from '@/db/queries/users';

/**
 * A failed sign-in must take as long for an email without an account as for one with a wrong password,
 * or the time tells a guesser which accounts exist (OWASP Authentication Cheat Sheet, "Authentication
 * Responses"). better-auth hashes the submitted password when the email is unknown (better-auth
 * src/api/routes/sign-in.ts), with the same scrypt it verifies with; Arbiter's per-account limit adds the
 * same query and write for both. Measured in-process, interleaved (known, unknown, known, …) so that load
 * from other processes on the machine falls on both, and compared by medians.
 */
let n = 0;
function attempt(email: string): Promise<number> {
  const request = new Request('http://localhost:3000/api/auth/sign-in/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://localhost:3000', 'x-forwarded-for': `100.70.0.${++n}` },
    body: JSON.stringify({ email, password: 'not the password' }),
  });
  const started = performance.now();
  return getAuth()
    .handler(request)
    .then((response) => {
      expect(response.status).toBe(401);
      return performance.now() - started;
    });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('sign-in timing', () => {
  it('answers an unknown email as slowly as a known one with a wrong password (medians within 1.5×)', async () => {
    const known: string[] = [];
    for (let i = 0; i < 4; i++) known.push((await createUserWithPassword({ name: `T${i}`, email: `timing${i}@example.com`, password: 'plum orbit timing', role: 'annotator' })).email);
    await attempt(known[0]!); // warm-up: first queries, first scrypt
    await attempt('warm-up@example.com');
    const times = { known: [] as number[], unknown: [] as number[] };
    // 4 accounts × 3 wrong passwords stays under the per-account limit (10).
    for (let i = 0; i < 12; i++) {
      times.known.push(await attempt(known[i % 4]!));
      times.unknown.push(await attempt(`nobody-${i}@example.com`));
    }
    const [k, u] = [median(times.known), median(times.unknown)];
    console.log(`sign-in failure, median of 12: known email ${k.toFixed(1)} ms, unknown email ${u.toFixed(1)} ms`);
    expect(Math.max(k, u) / Math.min(k, u)).toBeLessThan(1.5);
  });
});
