// GET /api/v1/projects/:id/exports/:jobId/download → every file of a finished export as one zip (streamed)
// GET …/download?file=train.jsonl → one file (only names the export wrote; nothing else in the store is reachable)
// Both stream from the artifact store, wherever the worker that wrote the export ran.
import path from 'node:path';
import { z } from 'zod';
import { getExportFiles } from '@/db/queries/export';
import { AppError } from '@/lib/errors';
import { artifactResponse, artifactZipResponse } from '../../../../../_lib/artifact-response';
import { apiRoute } from '../../../../../_lib/api-route';
import { jobParamsSchema, queryObject } from '../../../../../_lib/params';

const CONTENT_TYPES: Record<string, string> = { '.jsonl': 'application/jsonl; charset=utf-8', '.json': 'application/json; charset=utf-8', '.md': 'text/markdown; charset=utf-8' };

export const GET = apiRoute<{ id: string; jobId: string }>(async ({ request, actor, params }) => {
  const { id, jobId } = jobParamsSchema.parse(params);
  const { file } = z.object({ file: z.string().optional() }).parse(queryObject(request));
  const files = await getExportFiles(actor, id, jobId);
  if (file !== undefined) {
    const found = files.find((f) => f.name === file);
    if (!found) throw new AppError('not-found', `export ${jobId} has no file ${JSON.stringify(file)}`);
    return artifactResponse(found.key, { size: found.size, contentType: CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', filename: file });
  }
  return artifactZipResponse(files, `project-${id}-export-${jobId}`);
});
