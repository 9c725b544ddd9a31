/** export-dataset: streams the project's export into <data dir>/exports/<job id>/ for the download route. */
import fs from 'node:fs';
import { exportDirectory, writeProjectExport } from '@/db/queries/export';
import { toExportRequest } from '@/lib/data/export-settings';
import type { JobPayload } from '@/lib/jobs/registry';
import type { JobContext } from '../types';

export async function handleExportDataset(payload: JobPayload<'export-dataset'>, ctx: JobContext) {
  const dir = exportDirectory(ctx.job.id);
  // A retry starts over: files of a dead attempt are incomplete.
  fs.rmSync(dir, { recursive: true, force: true });
  await ctx.reportProgress(0, 'Reading comparisons');
  const { projectId, ...settings } = payload;
  let reported = 0;
  const summary = await writeProjectExport(projectId, dir, toExportRequest(settings), {
    signal: ctx.signal,
    progress: async (fraction, message) => {
      if (Date.now() - reported < 500) return;
      reported = Date.now();
      await ctx.reportProgress(0.95 * fraction, message);
    },
  });
  await ctx.reportProgress(1, `${summary.counts.pairs} pairs in ${summary.files.length} files`);
  return { files: summary.files, counts: summary.counts, validation: summary.validation };
}
