// GET /api/v1/projects/:id/exports/:jobId/download → every file of a finished export as one zip (streamed)
// GET …/download?file=train.jsonl → one file (only names the export wrote; nothing else on disk is reachable)
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import yazl from 'yazl';
import { z } from 'zod';
import { getExportFiles } from '@/db/queries/export';
import { AppError } from '@/lib/errors';
import { apiRoute } from '../../../../../_lib/api-route';
import { jobParamsSchema, queryObject } from '../../../../../_lib/params';

const CONTENT_TYPES: Record<string, string> = { '.jsonl': 'application/jsonl; charset=utf-8', '.json': 'application/json; charset=utf-8', '.md': 'text/markdown; charset=utf-8' };

export const GET = apiRoute<{ id: string; jobId: string }>(async ({ request, actor, params }) => {
  const { id, jobId } = jobParamsSchema.parse(params);
  const { file } = z.object({ file: z.string().optional() }).parse(queryObject(request));
  const { dir, files } = await getExportFiles(actor, id, jobId);
  if (file !== undefined) {
    if (!files.includes(file)) throw new AppError('not-found', `export ${jobId} has no file ${JSON.stringify(file)}`);
    const full = path.join(dir, file);
    return new Response(Readable.toWeb(fs.createReadStream(full)) as ReadableStream, {
      headers: {
        'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': String(fs.statSync(full).size),
        'content-disposition': `attachment; filename="${file.replaceAll('/', '_')}"`,
      },
    });
  }
  const zip = new yazl.ZipFile();
  const folder = `project-${id}-export-${jobId}`;
  for (const name of files) zip.addFile(path.join(dir, name), `${folder}/${name}`);
  zip.end();
  return new Response(Readable.toWeb(zip.outputStream as Readable) as ReadableStream, {
    headers: { 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${folder}.zip"` },
  });
});
