/**
 * Tiny random Llama-family checkpoints written the way Hugging Face lays them out: nn.Linear weights
 * [out, in] under transformers' names, sharded by `model.safetensors.index.json` with each shard in its own
 * dtype (F32, F16, BF16). The safetensors bytes are written here, not by lib/ml, so the reader is tested
 * against an independent writer. Values are drawn so that each is exact in its shard's dtype: the test's
 * float64 reference uses the very numbers the model loads.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRng } from '@/lib/random';

export type Dtype = 'F32' | 'F16' | 'BF16';

export type TinyLlamaOptions = {
  modelType: 'llama' | 'qwen2' | 'mistral';
  vocab: number;
  d: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  positions: number;
  tied: boolean;
  ropeTheta?: number;
  ropeScaling?: Record<string, unknown> | null;
  /** One dtype per shard; tensors are dealt to shards in turn. */
  shards?: Dtype[];
  /** Spread of the weights (uniform ±scale). */
  scale?: number;
  seed?: number;
  tokenizerJson: object;
  tokenizerConfig?: object;
  extraConfig?: Record<string, unknown>;
};

export type ReferenceTensor = { shape: number[]; data: Float64Array };

/** float32 bits → IEEE half bits, for values exact in half precision (as drawn below). */
function halfBits(x: number): number {
  if (x === 0) return Object.is(x, -0) ? 0x8000 : 0;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  if (e < -14) return sign | Math.round(a / 2 ** -24); // subnormal
  let m = a / 2 ** e - 1;
  if (m >= 1) {
    e += 1;
    m = a / 2 ** e - 1;
  }
  return sign | ((e + 15) << 10) | Math.round(m * 1024);
}

/** A value exact in `dtype`, near x. */
function representable(x: number, dtype: Dtype): number {
  if (dtype === 'F16') return Math.round(x * 256) / 256; // 9 significant bits at most for |x| < 2
  const f = Math.fround(x);
  if (dtype === 'F32') return f;
  const bits = new Uint32Array(new Float32Array([f]).buffer)[0]! & 0xffff0000;
  return new Float32Array(new Uint32Array([bits]).buffer)[0]!;
}

function encode(data: Float64Array, dtype: Dtype): Buffer {
  if (dtype === 'F32') return Buffer.from(new Float32Array(data).buffer);
  const out = Buffer.alloc(2 * data.length);
  data.forEach((v, i) => out.writeUInt16LE(dtype === 'F16' ? halfBits(v) : new Uint32Array(new Float32Array([v]).buffer)[0]! >>> 16, 2 * i));
  return out;
}

function writeShard(file: string, tensors: { name: string; shape: number[]; bytes: Buffer; dtype: Dtype }[]): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([length, json, ...tensors.map((t) => t.bytes)]));
}

/** Writes the checkpoint; returns every tensor (Hugging Face name → values as loaded) for the reference. */
export function writeTinyLlama(dir: string, o: TinyLlamaOptions): Map<string, ReferenceTensor> {
  const rng = createRng(o.seed ?? 7);
  const scale = o.scale ?? 0.3;
  const shards = o.shards ?? ['F32'];
  // Qwen2 has biases on q, k and v; Llama (attention_bias false) and Mistral none.
  const qkvBias = o.modelType === 'qwen2';
  const dh = o.d / o.heads;
  const names: { name: string; shape: number[]; kind: 'weight' | 'norm' | 'bias' }[] = [];
  const add = (name: string, shape: number[], kind: 'weight' | 'norm' | 'bias' = 'weight') => names.push({ name, shape, kind });
  add('model.embed_tokens.weight', [o.vocab, o.d]);
  for (let l = 0; l < o.layers; l++) {
    const p = `model.layers.${l}.`;
    add(`${p}input_layernorm.weight`, [o.d], 'norm');
    add(`${p}self_attn.q_proj.weight`, [o.heads * dh, o.d]);
    if (qkvBias) add(`${p}self_attn.q_proj.bias`, [o.heads * dh], 'bias');
    add(`${p}self_attn.k_proj.weight`, [o.kvHeads * dh, o.d]);
    if (qkvBias) add(`${p}self_attn.k_proj.bias`, [o.kvHeads * dh], 'bias');
    add(`${p}self_attn.v_proj.weight`, [o.kvHeads * dh, o.d]);
    if (qkvBias) add(`${p}self_attn.v_proj.bias`, [o.kvHeads * dh], 'bias');
    add(`${p}self_attn.o_proj.weight`, [o.d, o.heads * dh]);
    add(`${p}post_attention_layernorm.weight`, [o.d], 'norm');
    add(`${p}mlp.gate_proj.weight`, [o.intermediate, o.d]);
    add(`${p}mlp.up_proj.weight`, [o.intermediate, o.d]);
    add(`${p}mlp.down_proj.weight`, [o.d, o.intermediate]);
  }
  add('model.norm.weight', [o.d], 'norm');
  if (!o.tied) add('lm_head.weight', [o.vocab, o.d]);
  const reference = new Map<string, ReferenceTensor>();
  const perShard: { name: string; shape: number[]; bytes: Buffer; dtype: Dtype }[][] = shards.map(() => []);
  names.forEach(({ name, shape, kind }, k) => {
    const shard = k % shards.length;
    const dtype = shards[shard]!;
    const count = shape.reduce((a, b) => a * b, 1);
    const data = Float64Array.from({ length: count }, () => {
      const u = rng.next() * 2 - 1;
      return representable(kind === 'norm' ? 1 + 0.2 * u : kind === 'bias' ? 0.1 * u : scale * u, dtype);
    });
    reference.set(name, { shape, data });
    perShard[shard]!.push({ name, shape, bytes: encode(data, dtype), dtype });
  });
  fs.mkdirSync(dir, { recursive: true });
  if (shards.length === 1) writeShard(path.join(dir, 'model.safetensors'), perShard[0]!);
  else {
    const weightMap: Record<string, string> = {};
    perShard.forEach((tensors, s) => {
      const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
      writeShard(path.join(dir, file), tensors);
      for (const t of tensors) weightMap[t.name] = file;
    });
    const total = perShard.flat().reduce((n, t) => n + t.bytes.length, 0);
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  }
  const architectures = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', mistral: 'MistralForCausalLM' }[o.modelType];
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      architectures: [architectures],
      model_type: o.modelType,
      vocab_size: o.vocab,
      hidden_size: o.d,
      intermediate_size: o.intermediate,
      num_hidden_layers: o.layers,
      num_attention_heads: o.heads,
      num_key_value_heads: o.kvHeads,
      hidden_act: 'silu',
      max_position_embeddings: o.positions,
      rms_norm_eps: 1e-6,
      rope_theta: o.ropeTheta ?? 10000,
      rope_scaling: o.ropeScaling ?? null,
      tie_word_embeddings: o.tied,
      ...(o.modelType === 'llama' ? { attention_bias: false } : {}),
      ...o.extraConfig,
    }),
  );
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(o.tokenizerJson));
  if (o.tokenizerConfig) fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(o.tokenizerConfig));
  return reference;
}
