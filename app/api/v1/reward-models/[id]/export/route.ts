// GET /api/v1/reward-models/:id/export → a zip of model.json (config, featurizer, tensor manifest, evaluation) and weights.bin
import path from 'node:path';
import { Readable } from 'node:stream';
import yazl from 'yazl';
import { getRewardModel, readRewardModelFiles } from '@/db/queries/reward-models';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => {
  const record = await getRewardModel(actor, idParamsSchema.parse(params).id);
  const { dir } = readRewardModelFiles(record);
  const zip = new yazl.ZipFile();
  const folder = `reward-model-${record.id}`;
  for (const f of ['model.json', 'weights.bin']) zip.addFile(path.join(dir, f), `${folder}/${f}`);
  zip.end();
  return new Response(Readable.toWeb(zip.outputStream as Readable) as ReadableStream, { headers: { 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${folder}.zip"` } });
});
