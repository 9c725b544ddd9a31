// GET /api/v1/policies/:id/export → a zip of the policy as a Hugging Face checkpoint: config.json, model.safetensors, tokenizer.json (and the tokenizer files of its base checkpoint), streamed from the artifact store
import { getPolicy, POLICY_FILES, policyFileKeys, presentPolicyFiles } from '@/db/queries/policies';
import { artifactStore } from '@/lib/artifacts';
import { AppError } from '@/lib/errors';
import { artifactZipResponse } from '../../../_lib/artifact-response';
import { apiRoute } from '../../../_lib/api-route';
import { idParamsSchema } from '../../../_lib/params';

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => {
  const record = await getPolicy(actor, idParamsSchema.parse(params).id);
  const keys = policyFileKeys(record);
  // Checked before the zip starts: once it streams, a missing file can only break the download off.
  for (const name of POLICY_FILES) if (!(await artifactStore().exists(keys[name]))) throw new AppError('not-found', `policy ${record.id} has no files`);
  return artifactZipResponse((await presentPolicyFiles(record)).map((name) => ({ name, key: keys[name] })), `policy-${record.id}`);
});
