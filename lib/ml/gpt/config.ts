/**
 * GPT-2's config.json (transformers' GPT2Config) read into GptConfig, and written back for a model saved
 * here, so `transformers`' GPT2LMHeadModel loads it unchanged.
 */
/** A GPT-2 model's sizes. */
export type GptConfig = { vocabSize: number; nPositions: number; nEmbd: number; nLayer: number; nHead: number; layerNormEpsilon: number };

type HfGpt2Config = {
  model_type?: string;
  vocab_size?: number;
  n_positions?: number;
  n_embd?: number;
  n_layer?: number;
  n_head?: number;
  n_inner?: number | null;
  layer_norm_epsilon?: number;
  activation_function?: string;
  tie_word_embeddings?: boolean;
};

export function parseGptConfig(json: unknown): GptConfig {
  const c = json as HfGpt2Config;
  if (typeof c !== 'object' || c === null) throw new Error('config.json: not a JSON object');
  if (c.model_type !== undefined && c.model_type !== 'gpt2') throw new Error(`config.json: model_type ${JSON.stringify(c.model_type)} is not a GPT-2-family model ("gpt2")`);
  const need = (key: keyof HfGpt2Config) => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`config.json: ${key} must be a positive integer (got ${JSON.stringify(v)})`);
    return v;
  };
  const config: GptConfig = { vocabSize: need('vocab_size'), nPositions: need('n_positions'), nEmbd: need('n_embd'), nLayer: need('n_layer'), nHead: need('n_head'), layerNormEpsilon: c.layer_norm_epsilon ?? 1e-5 };
  if (c.n_inner != null && c.n_inner !== 4 * config.nEmbd) throw new Error(`config.json: n_inner ${c.n_inner} is not 4 × n_embd; only GPT-2's MLP width is supported`);
  if (c.activation_function && !['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'].includes(c.activation_function)) throw new Error(`config.json: activation_function ${c.activation_function} is not supported (GPT-2's tanh GELU, gelu_new, is)`);
  if (c.tie_word_embeddings === false) throw new Error('config.json: untied word embeddings are not supported');
  if (config.nEmbd % config.nHead !== 0) throw new Error(`config.json: n_embd ${config.nEmbd} is not a multiple of n_head ${config.nHead}`);
  return config;
}

export function gptConfigJson(c: GptConfig, extra: { eosId?: number } = {}): object {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: c.vocabSize,
    n_positions: c.nPositions,
    n_ctx: c.nPositions,
    n_embd: c.nEmbd,
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: c.layerNormEpsilon,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    tie_word_embeddings: true,
    ...(extra.eosId !== undefined ? { bos_token_id: extra.eosId, eos_token_id: extra.eosId } : {}),
  };
}
