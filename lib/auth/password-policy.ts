/**
 * The one password check, run wherever a password is set (createUserSchema and acceptInviteSchema in
 * ./schemas.ts cover the admin form, POST /api/v1/users, the CLI's `user create`, ARBITER_ADMIN_PASSWORD
 * and invite/setup links; create-auth.ts applies it to better-auth's /change-password).
 *
 * What it refuses follows NIST SP 800-63B §5.1.1.2 (and OWASP ASVS V2.1.7): passwords from lists of
 * commonly used ones, "repetitive or sequential characters (e.g. 'aaaaaa', '1234abcd')", and
 * "context-specific words, such as the name of the service, the username". It does not demand
 * character classes (also per NIST: they push people to Password1!, which this refuses anyway).
 * Length (8–256) is checked by the zod schema before this runs.
 */
import { COMMON_PASSWORDS } from './common-passwords';

export type PasswordContext = { email?: string; name?: string };

/** Fewer different characters than this makes a password trivial ("aaaaaaaa", "abababab", "12121212"). */
export const MIN_DISTINCT_CHARACTERS = 4;

/**
 * Lines a keyboard walk or a sequence follows: alphabet and digits (sequences), the QWERTY rows and
 * columns (walks such as "qwerty", "asdf", "1qaz"). A piece of a password that reads along one of them,
 * either way, for 3 or more characters is part of a walk.
 */
const WALK_LINES = [
  'abcdefghijklmnopqrstuvwxyz',
  '01234567890',
  '`1234567890-=',
  'qwertyuiop[]\\',
  "asdfghjkl;'",
  'zxcvbnm,./',
  'qwertzuiop', // QWERTZ and AZERTY rows, for the walks those keyboards make
  'azertyuiop',
  'qsdfghjklm',
  'wxcvbn',
  '1qaz',
  '2wsx',
  '3edc',
  '4rfv',
  '5tgb',
  '6yhn',
  '7ujm',
  '8ik,',
  '9ol.',
  '0p;/',
  'qazwsxedcrfvtgbyhnujmikolp',
  'zaqxswcdevfrbgtnhymjukilop',
];
const WALKS = [...WALK_LINES, ...WALK_LINES.map((line) => [...line].reverse().join(''))];

/** Common substitutions (p@ssw0rd → password), so a listed password in disguise is still found. */
const LOOKALIKES: Record<string, string> = { '@': 'a', '4': 'a', '0': 'o', '1': 'i', '3': 'e', '$': 's', '5': 's', '7': 't' };

function undisguise(text: string): string {
  return [...text].map((c) => LOOKALIKES[c] ?? c).join('');
}

/** The letters between leading and trailing digits and symbols: "2024monkey!!" → "monkey". */
function stem(text: string): string {
  return text.replace(/^[^a-z]+|[^a-z]+$/g, '');
}

function isCommon(lower: string): boolean {
  const candidates = [lower, stem(lower), undisguise(lower), stem(undisguise(lower)), undisguise(stem(lower))];
  return candidates.some((c) => c.length > 0 && COMMON_PASSWORDS.has(c));
}

function isWalkPiece(piece: string): boolean {
  if (new Set(piece).size === 1) return true; // "111", "aaaa"
  return WALKS.some((line) => line.includes(piece));
}

/** Whether the whole password splits into pieces of 3+ characters that are each a walk, a sequence or a repeat. */
function isWalk(lower: string): boolean {
  const n = lower.length;
  const reachable = new Array<boolean>(n + 1).fill(false);
  reachable[0] = true;
  for (let end = 3; end <= n; end++) {
    for (let start = 0; start <= end - 3 && !reachable[end]; start++) {
      if (reachable[start] && isWalkPiece(lower.slice(start, end))) reachable[end] = true;
    }
  }
  return reachable[n]!;
}

/** Whether the password is one unit shorter than 8 characters written out again and again ("hellohello", "a1b2a1b2"). */
function isRepeatedUnit(lower: string): boolean {
  for (let size = 1; size < 8 && size <= lower.length / 2; size++) {
    if (lower.length % size === 0 && lower.slice(0, size).repeat(lower.length / size) === lower) return true;
  }
  return false;
}

/** Words of the context a guesser tries first: the email's name and its parts, the person's name, the service. */
function contextWords(context: PasswordContext): string[] {
  const words = new Set<string>(['arbiter']);
  const email = context.email?.trim().toLowerCase();
  if (email) {
    const [local = '', domain = ''] = email.split('@');
    words.add(email);
    if (domain.length >= 3) words.add(domain);
    if (local.length >= 2) words.add(local).add(local.replace(/[^a-z0-9]+/g, ''));
    for (const part of [...local.split(/[^a-z0-9]+/), domain.split('.')[0] ?? '']) if (part.length >= 3) words.add(part);
  }
  for (const part of context.name?.toLowerCase().split(/[^\p{L}\p{N}]+/u) ?? []) if (part.length >= 3) words.add(part);
  return [...words].filter((w) => w.length >= 2).sort((a, b) => b.length - a.length);
}

/** Fewer other characters than this beside the email, name or service word makes a password a guess away. */
const MIN_OTHER_CHARACTERS = 5;

function isBasedOnContext(lower: string, context: PasswordContext): boolean {
  const words = contextWords(context);
  let rest = lower;
  for (const word of words) rest = rest.split(word).join('');
  if (rest === lower) return false;
  return rest.length < MIN_OTHER_CHARACTERS || new Set(rest).size < MIN_DISTINCT_CHARACTERS;
}

/**
 * Why this password is refused, as a sentence to show ("password …"), or null when it is acceptable.
 * The checks run in order: too few different characters, built from the email/name/service, a common
 * password (also with digits or symbols around it, or letters swapped for look-alikes), a keyboard walk
 * or sequence, a short unit repeated.
 */
export function passwordProblem(password: string, context: PasswordContext = {}): string | null {
  const lower = password.toLowerCase();
  if (new Set(lower).size < MIN_DISTINCT_CHARACTERS) {
    return `password must use at least ${MIN_DISTINCT_CHARACTERS} different characters`;
  }
  if (isBasedOnContext(lower, context)) {
    return 'password must not be built from your email address, your name or the word "arbiter"; add more of your own';
  }
  if (isCommon(lower)) {
    return 'password is one of the most common passwords (or one with a few characters added); choose another, e.g. a few unrelated words';
  }
  if (isWalk(lower)) {
    return 'password is a keyboard pattern or a sequence (like qwerty, asdf or 12345678); choose another';
  }
  if (isRepeatedUnit(lower)) {
    return 'password repeats one short pattern; choose another';
  }
  return null;
}
