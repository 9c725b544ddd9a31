/**
 * export-dataset: streams the project's export into a local work folder, then into the artifact store
 * under this attempt's prefix, exports/<job id>/a<attempt>/, which the job's result names for the download
 * route (the result is written by the job's completion, itself fenced by the lease: a worker that lost the
 * job publishes nothing).
 */
import path from 'node:path';
import { writeProjectExport } from '@/db/queries/export';
import { artifactStore } from '@/lib/artifacts';
import { exportAttemptPrefix, exportRoot } from '@/lib/artifacts/keys';
import { removeSupersededFiles } from '@/lib/artifacts/superseded';
import { openWorkDir } from '@/lib/artifacts/work-dir';
import { toExportRequest } from '@/lib/data/export-settings';
import type { JobPayload } from '@/lib/jobs/registry';
import type { JobContext } from '../types';

export async function handleExportDataset(payload: JobPayload<'export-dataset'>, ctx: JobContext) {
  const store = artifactStore();
  const prefix = exportAttemptPrefix(ctx.job.id, ctx.attempt);
  // A retry starts over: files of an earlier attempt (or of a run released on shutdown) are incomplete, and nothing names them.
  await removeSupersededFiles(store, exportRoot(ctx.job.id), { id: ctx.job.id, attempt: ctx.attempt }, []);
  await ctx.reportProgress(0, 'Reading comparisons');
  const { projectId, ...settings } = payload;
  let reported = 0;
  const work = await openWorkDir(`export-${ctx.job.id}`);
  try {
    const summary = await writeProjectExport(projectId, work.path, toExportRequest(settings), {
      signal: ctx.signal,
      progress: async (fraction, message) => {
        if (Date.now() - reported < 500) return;
        reported = Date.now();
        await ctx.reportProgress(0.9 * fraction, message);
      },
    });
    await ctx.reportProgress(0.9, `Storing ${summary.files.length} files`);
    for (const name of summary.files) {
      ctx.signal.throwIfAborted();
      await store.putFile(`${prefix}/${name}`, path.join(work.path, name));
    }
    await ctx.reportProgress(1, `${summary.counts.pairs} pairs in ${summary.files.length} files`);
    return { files: summary.files, counts: summary.counts, validation: summary.validation, artifactPath: prefix };
  } finally {
    await work.remove();
  }
}
