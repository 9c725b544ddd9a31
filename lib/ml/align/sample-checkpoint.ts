/** Samples completions of one user prompt from a saved policy directory (the generate route and CLI). */
import { initBackend, type BackendOptions } from '../backend';
import { loadCheckpoint } from '../gpt/checkpoint';
import { renderPrompt } from './chat';
import { generate, type SamplingOptions } from './generate';

export async function sampleFromCheckpoint(dir: string, prompt: string, o: SamplingOptions & { n: number; backend: BackendOptions }): Promise<string[]> {
  await initBackend(o.backend);
  const { model, tokenizer } = loadCheckpoint(dir);
  try {
    const maxNewTokens = Math.min(o.maxNewTokens, model.config.nPositions - 8);
    const ids = tokenizer.encode(renderPrompt([{ role: 'user', content: prompt }])).slice(-(model.config.nPositions - maxNewTokens));
    return generate(model, ids, o.n, tokenizer.eosId, { ...o, maxNewTokens }).map((s) => tokenizer.decode(s).trim());
  } finally {
    model.dispose();
  }
}
