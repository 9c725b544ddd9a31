/**
 * The Llama family's config.json (transformers' LlamaConfig, Qwen2Config, MistralConfig) read into the one
 * shape lib/ml/llama/model.ts builds. The three differ only in details this file settles:
 * - Qwen2 puts biases on the q, k and v projections (never on o_proj); Llama has them on all four when
 *   `attention_bias` is set; Mistral has none.
 * - Mistral (and Qwen2 with `use_sliding_window`) attend within a sliding window. Over sequences no longer
 *   than the window that is full causal attention, so the context is cut to the window rather than refused.
 * - `rope_scaling`: Llama 3.1's "llama3" frequency rescaling and "linear" position interpolation are
 *   computed; any other kind (dynamic, yarn, longrope) is refused by name.
 * Anything but `llama`, `qwen2` and `mistral` is refused with the model type it named.
 */
export type RopeScaling =
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number }
  | { type: 'linear'; factor: number };

export type LlamaConfig = {
  modelType: 'llama' | 'qwen2' | 'mistral';
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** The longest sequence run through the model: max_position_embeddings, or the sliding window when shorter. */
  contextLength: number;
  maxPositionEmbeddings: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  /** Biases on q_proj, k_proj and v_proj. */
  qkvBias: boolean;
  /** A bias on o_proj. */
  oBias: boolean;
  /** Biases on gate_proj, up_proj and down_proj. */
  mlpBias: boolean;
  tieWordEmbeddings: boolean;
  bosTokenId: number | null;
  /** The ids that end a generation (config.json's eos_token_id may be one id or a list). */
  eosTokenIds: number[];
  /** The architectures entry written back on save (e.g. LlamaForCausalLM). */
  architecture: string;
};

export const LLAMA_MODEL_TYPES = ['llama', 'qwen2', 'mistral'] as const;

const ARCHITECTURE: Record<LlamaConfig['modelType'], string> = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', mistral: 'MistralForCausalLM' };

type Json = Record<string, unknown>;

function positiveInt(c: Json, key: string, fallback?: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`config.json: ${key} must be a positive integer (got ${JSON.stringify(c[key])})`);
  return v;
}

function positiveNumber(c: Json, key: string, fallback: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !(v > 0)) throw new Error(`config.json: ${key} must be a positive number (got ${JSON.stringify(c[key])})`);
  return v;
}

function tokenIds(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
  return [];
}

function parseRopeScaling(raw: unknown): RopeScaling | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'object') throw new Error(`config.json: rope_scaling must be an object or null (got ${JSON.stringify(raw)})`);
  const r = raw as Json;
  // transformers reads rope_type, and type from older configs.
  const kind = r.rope_type ?? r.type;
  if (kind === 'default') return null;
  if (kind === 'llama3') {
    return {
      type: 'llama3',
      factor: positiveNumber(r, 'factor', NaN),
      lowFreqFactor: positiveNumber(r, 'low_freq_factor', NaN),
      highFreqFactor: positiveNumber(r, 'high_freq_factor', NaN),
      originalMaxPositions: positiveInt(r, 'original_max_position_embeddings'),
    };
  }
  if (kind === 'linear') return { type: 'linear', factor: positiveNumber(r, 'factor', NaN) };
  throw new Error(`config.json: rope_scaling type ${JSON.stringify(kind)} is not supported (llama3 and linear are)`);
}

export function isLlamaFamily(json: unknown): boolean {
  const c = json as Json | null;
  return typeof c === 'object' && c !== null && (LLAMA_MODEL_TYPES as readonly unknown[]).includes(c.model_type);
}

export function parseLlamaConfig(json: unknown): LlamaConfig {
  if (typeof json !== 'object' || json === null) throw new Error('config.json: not a JSON object');
  const c = json as Json;
  const modelType = c.model_type;
  if (!(LLAMA_MODEL_TYPES as readonly unknown[]).includes(modelType)) throw new Error(`config.json: model_type ${JSON.stringify(modelType)} is not a Llama-family model (${LLAMA_MODEL_TYPES.join(', ')})`);
  const type = modelType as LlamaConfig['modelType'];
  const act = c.hidden_act ?? 'silu';
  if (act !== 'silu' && act !== 'swish') throw new Error(`config.json: hidden_act ${JSON.stringify(act)} is not supported (Llama's SwiGLU uses silu)`);
  const hiddenSize = positiveInt(c, 'hidden_size');
  const numHeads = positiveInt(c, 'num_attention_heads');
  const numKvHeads = positiveInt(c, 'num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) throw new Error(`config.json: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  const headDim = c.head_dim === null || c.head_dim === undefined ? hiddenSize / numHeads : positiveInt(c, 'head_dim');
  if (!Number.isInteger(headDim)) throw new Error(`config.json: hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads} (and no head_dim is given)`);
  if (headDim % 2 !== 0) throw new Error(`config.json: the head dimension ${headDim} is odd; rotary embeddings rotate pairs`);
  const maxPositionEmbeddings = positiveInt(c, 'max_position_embeddings');
  // Qwen2 lists a sliding_window but uses it only with use_sliding_window; Mistral uses it whenever it is set.
  const windowed = type === 'mistral' ? c.sliding_window !== null && c.sliding_window !== undefined : type === 'qwen2' && c.use_sliding_window === true;
  const window = windowed ? positiveInt(c, 'sliding_window') : Infinity;
  const attentionBias = c.attention_bias === true;
  return {
    modelType: type,
    vocabSize: positiveInt(c, 'vocab_size'),
    hiddenSize,
    intermediateSize: positiveInt(c, 'intermediate_size'),
    numLayers: positiveInt(c, 'num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    contextLength: Math.min(maxPositionEmbeddings, window),
    maxPositionEmbeddings,
    rmsNormEps: positiveNumber(c, 'rms_norm_eps', 1e-6),
    ropeTheta: positiveNumber(c, 'rope_theta', 10000),
    ropeScaling: parseRopeScaling(c.rope_scaling),
    qkvBias: type === 'qwen2' || (type === 'llama' && attentionBias),
    oBias: type === 'llama' && attentionBias,
    mlpBias: type === 'llama' && c.mlp_bias === true,
    // LlamaConfig and MistralConfig default to untied, Qwen2Config to tied: a config that says nothing gets its class's default.
    tieWordEmbeddings: typeof c.tie_word_embeddings === 'boolean' ? c.tie_word_embeddings : type === 'qwen2',
    bosTokenId: typeof c.bos_token_id === 'number' ? c.bos_token_id : null,
    eosTokenIds: tokenIds(c.eos_token_id),
    architecture: Array.isArray(c.architectures) && typeof c.architectures[0] === 'string' ? c.architectures[0] : ARCHITECTURE[type],
  };
}

/** config.json for a model saved here: the fields transformers reads, in its names. */
export function llamaConfigJson(c: LlamaConfig, architecture = c.architecture): Json {
  const rope =
    c.ropeScaling === null
      ? null
      : c.ropeScaling.type === 'llama3'
        ? { rope_type: 'llama3', factor: c.ropeScaling.factor, low_freq_factor: c.ropeScaling.lowFreqFactor, high_freq_factor: c.ropeScaling.highFreqFactor, original_max_position_embeddings: c.ropeScaling.originalMaxPositions }
        : { rope_type: 'linear', factor: c.ropeScaling.factor };
  return {
    architectures: [architecture],
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    max_position_embeddings: c.maxPositionEmbeddings,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: rope,
    ...(c.modelType === 'llama' ? { attention_bias: c.oBias, mlp_bias: c.mlpBias } : {}),
    ...(c.modelType === 'mistral' ? { sliding_window: c.contextLength < c.maxPositionEmbeddings ? c.contextLength : null } : {}),
    ...(c.modelType === 'qwen2' ? { use_sliding_window: false } : {}),
    tie_word_embeddings: c.tieWordEmbeddings,
    ...(c.bosTokenId !== null ? { bos_token_id: c.bosTokenId } : {}),
    ...(c.eosTokenIds.length > 0 ? { eos_token_id: c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds } : {}),
    torch_dtype: 'float32',
  };
}
