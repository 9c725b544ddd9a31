/**
 * Cleanup of a job's files that nothing will read: after a job published its results, the files of its
 * earlier attempts (a run that died, one that was requeued while paused) and its own checkpoint files.
 */
import { attemptOfSegment } from './keys';
import { isUnder, type ArtifactStore } from './store';

/**
 * Removes this job's files under `root` (`models/<id>`, `exports/<job id>`, …) from attempts up to
 * `attempt` that `keep` (keys or prefixes: what the published row names) does not cover; returns how many.
 * Never a later attempt's: a worker that wakes after its job was requeued holds an older attempt than the
 * job's new owner, so even if it gets this far its cleanup cannot reach the owner's files. Files of a run
 * it cannot see yet (a paused run that writes after this) are left for a sweep; nothing names them.
 */
export async function removeSupersededFiles(store: ArtifactStore, root: string, job: { id: number; attempt: number }, keep: readonly string[]): Promise<number> {
  const byAttempt = new Map<string, { kept: boolean; keys: string[] }>();
  for (const { key } of await store.list(root)) {
    const segment = key.slice(root.length + 1).split('/')[0] ?? '';
    const attempt = attemptOfSegment(segment, job.id);
    if (attempt === null || attempt > job.attempt) continue;
    const prefix = `${root}/${segment}`;
    const group = byAttempt.get(prefix) ?? { kept: false, keys: [] };
    byAttempt.set(prefix, group);
    if (keep.some((k) => isUnder(key, k))) group.kept = true;
    else group.keys.push(key);
  }
  let removed = 0;
  for (const [prefix, group] of byAttempt) {
    if (!group.kept) removed += await store.delete(prefix);
    else for (const key of group.keys) removed += await store.delete(key);
  }
  return removed;
}
