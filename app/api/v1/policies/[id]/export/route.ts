// GET /api/v1/policies/:id/export → a zip of the policy as a GPT-2 checkpoint: config.json, model.safetensors, tokenizer.json
import path from 'node:path';
import { Readable } from 'node:stream';
import yazl from 'yazl';
import { getPolicy, readyPolicyDir } from '@/db/queries/policies';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => {
  const record = await getPolicy(actor, idParamsSchema.parse(params).id);
  const dir = readyPolicyDir(record);
  const zip = new yazl.ZipFile();
  const folder = `policy-${record.id}`;
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) zip.addFile(path.join(dir, f), `${folder}/${f}`);
  zip.end();
  return new Response(Readable.toWeb(zip.outputStream as Readable) as ReadableStream, { headers: { 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${folder}.zip"` } });
});
