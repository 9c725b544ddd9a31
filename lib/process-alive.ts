/**
 * Whether a process with this pid exists: `process.kill(pid, 0)` sends nothing, it only asks (EPERM: it
 * exists, as another user). Used to tell a dead process's leftover files (import uploads, partial
 * downloads) from those of a living one.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
