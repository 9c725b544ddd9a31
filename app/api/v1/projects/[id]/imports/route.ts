// POST /api/v1/projects/:id/imports?filename=data.jsonl&format=auto|…&map=target=source,…&validOnly=1&dryRun=1 — the request body is the file.
// Streamed to a temporary file of this process in <data dir>/uploads, then imported (researchers and admins).
// → { format, mapping, columns, imported, counts, errors: [{line, message}], preview }; 413 before reading when the body is too large,
// and when the file holds more than ARBITER_MAX_IMPORT_MB once decompressed; 400 { error, columns } when no format fits
// (map the file's fields, `map=target=source,…`, and try again). A client that disconnects cancels the import.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { z } from 'zod';
import { runImport } from '@/db/queries/imports';
import { assertCanManageProject } from '@/db/queries/projects';
import { IMPORT_FORMATS } from '@/lib/data/import-formats';
import { parseColumnMapping } from '@/lib/data/column-mapping';
import { uploadTempPath } from '@/lib/data/upload-files';
import { getEnv } from '@/lib/env';
import { AppError, isAppError } from '@/lib/errors';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema, queryObject } from '../../../_lib/params';

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');
const querySchema = z.object({
  filename: z
    .string()
    .min(1, 'filename is required (its extension tells the container)')
    .max(200)
    .regex(/\.(jsonl|ndjson|json|csv|parquet)(\.gz)?$/i, 'filename must end in .jsonl, .ndjson, .json, .csv or .parquet (optionally .gz)'),
  format: z.enum(['auto', ...IMPORT_FORMATS]).default('auto'),
  /** Column mapping, `target=source,…` (see lib/data/read-records.ts). */
  map: z.string().max(2000).default(''),
  validOnly: flag.default(false),
  dryRun: flag.default(false),
});

export const POST = apiRoute<{ id: string }>(async ({ request, actor, params }) => {
  const { id } = idParamsSchema.parse(params);
  await assertCanManageProject(actor, id);
  const q = querySchema.parse(queryObject(request));
  const mapping = parseColumnMapping(q.map);
  const limit = getEnv().ARBITER_MAX_UPLOAD_MB * 1024 * 1024;
  const tooLarge = `the file is larger than the ${getEnv().ARBITER_MAX_UPLOAD_MB} MiB upload limit (ARBITER_MAX_UPLOAD_MB); use the CLI (arbiter import) for large files`;
  const declared = Number(request.headers.get('content-length') ?? 'NaN');
  if (declared > limit) throw new AppError('too-large', tooLarge);
  if (!request.body) throw new AppError('invalid', 'send the file as the request body');
  // Only our own name (<pid>-<uuid>, which the start-up sweep recognises) and the checked extension reach
  // the file system, never the client's path.
  const file = uploadTempPath(/\.[a-z]+(\.gz)?$/i.exec(q.filename)![0].toLowerCase());
  let received = 0;
  const out = fs.createWriteStream(file);
  try {
    const counted = Readable.fromWeb(request.body as WebReadableStream).on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) counted.destroy(new AppError('too-large', tooLarge));
    });
    await pipeline(counted, out);
    // request.signal fires when the HTTP client disconnects (Next's route handlers abort it when the
    // response closes before it is finished): the import stops instead of running on for nobody.
    return await runImport(actor, id, file, { format: q.format, mapping, validOnly: q.validOnly, dryRun: q.dryRun, signal: request.signal });
  } catch (error) {
    // The client is gone (mid-upload or mid-import): whatever the error, nobody reads the answer, and
    // nothing was imported. 499 is nginx's "client closed request", kept out of the error log.
    if (request.signal.aborted) return Response.json({ error: 'the import was cancelled: the client disconnected; nothing was imported' }, { status: 499 });
    // The file's field names come back with "cannot tell the format", for the column-mapping editor.
    if (isAppError(error, 'bad-file') && error.details.columns) return Response.json({ error: error.message, columns: error.details.columns }, { status: error.status });
    throw error;
  } finally {
    // A refused upload rejects the pipeline while the file may still be opening: wait until the stream has
    // closed its file, or the removal below runs first and the file appears after it (a leftover).
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
    fs.rmSync(file, { force: true });
  }
}, { body: 'file' });
