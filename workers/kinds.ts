/** Which job kinds a worker claims: `--kinds a,b` on its command line, else ARBITER_WORKER_KINDS, else all. */
import { AppError } from '@/lib/errors';
import { JOB_DEFINITIONS, isJobKind, type JobKind } from '@/lib/jobs/registry';

/** Parses a comma-separated list of kinds; an unknown kind is refused by name, with the known ones listed. */
export function parseJobKinds(text: string, source: string): JobKind[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) throw new AppError('invalid', `${source} names no job kind`);
  const unknown = names.filter((name) => !isJobKind(name));
  if (unknown.length > 0) throw new AppError('invalid', `${source}: unknown job kind ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${Object.keys(JOB_DEFINITIONS).join(', ')})`);
  return [...new Set(names as JobKind[])];
}

/** The kinds from argv (`--kinds x,y` or `--kinds=x,y`) or the environment; null means every kind. */
export function workerKinds(argv: readonly string[], envValue: string | undefined): JobKind[] | null {
  const at = argv.findIndex((arg) => arg === '--kinds' || arg.startsWith('--kinds='));
  if (at >= 0) {
    const value = argv[at]!.startsWith('--kinds=') ? argv[at]!.slice('--kinds='.length) : argv[at + 1];
    if (value === undefined || value.startsWith('--')) throw new AppError('invalid', '--kinds needs a comma-separated list of job kinds');
    return parseJobKinds(value, '--kinds');
  }
  return envValue?.trim() ? parseJobKinds(envValue, 'ARBITER_WORKER_KINDS') : null;
}
