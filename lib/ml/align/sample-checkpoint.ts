/**
 * Samples completions of one user prompt from a checkpoint directory (a policy trained here, or a local
 * Hugging Face checkpoint): the prompt formatted by the checkpoint's chat template (or the plain format),
 * generation stopped at its end of turn. Used by the policy generate route and `arbiter generate`.
 */
import { initBackend, type BackendOptions } from '../backend';
import { loadCheckpoint } from '../lm/checkpoint';
import { generate, type SamplingOptions } from './generate';

export type Sample = { text: string; /** the generated token ids, the stop token left out */ ids: number[] };

export async function sampleFromCheckpoint(dir: string, prompt: string, o: SamplingOptions & { n: number; backend: BackendOptions }): Promise<Sample[]> {
  await initBackend(o.backend);
  const { model, tokenizer, chat } = loadCheckpoint(dir);
  try {
    const maxNewTokens = Math.max(1, Math.min(o.maxNewTokens, model.contextLength - 8));
    const ids = chat.promptIds([{ role: 'user', content: prompt }]);
    return generate(model, ids, o.n, chat.stopIds, { ...o, maxNewTokens }).map((s) => ({ text: tokenizer.decode(s).trim(), ids: s }));
  } finally {
    model.dispose();
  }
}
