import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTs } from '../../helpers/spawn';
import { BYTE_TO_CHAR } from '@/lib/ml/tokenizer/hf-tokenizer';

/** SmolLM2-135M's shapes (HuggingFaceTB/SmolLM2-135M config.json): 30 layers, d 576, 9 heads on 3 key/value heads, MLP 1536, vocabulary 49,152, tied. */
const SHAPES = { vocab: 49152, d: 576, layers: 30, heads: 9, kvHeads: 3, intermediate: 1536 };

/** Writes a random checkpoint of those shapes in two F32 shards, tensor by tensor (the test never holds it whole). */
function writeLargeCheckpoint(dir: string): number {
  const { vocab, d, layers, heads, kvHeads, intermediate } = SHAPES;
  const dh = d / heads;
  const tensors: [string, number[]][] = [['model.embed_tokens.weight', [vocab, d]]];
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}.`;
    tensors.push([`${p}input_layernorm.weight`, [d]], [`${p}self_attn.q_proj.weight`, [heads * dh, d]], [`${p}self_attn.k_proj.weight`, [kvHeads * dh, d]], [`${p}self_attn.v_proj.weight`, [kvHeads * dh, d]], [`${p}self_attn.o_proj.weight`, [d, heads * dh]]);
    tensors.push([`${p}post_attention_layernorm.weight`, [d]], [`${p}mlp.gate_proj.weight`, [intermediate, d]], [`${p}mlp.up_proj.weight`, [intermediate, d]], [`${p}mlp.down_proj.weight`, [d, intermediate]]);
  }
  tensors.push(['model.norm.weight', [d]]);
  fs.mkdirSync(dir, { recursive: true });
  const half = Math.ceil(tensors.length / 2);
  const weightMap: Record<string, string> = {};
  let total = 0;
  let seed = 1;
  [tensors.slice(0, half), tensors.slice(half)].forEach((shard, s) => {
    const file = `model-0000${s + 1}-of-00002.safetensors`;
    const header: Record<string, unknown> = {};
    let offset = 0;
    for (const [name, shape] of shard) {
      const bytes = 4 * shape.reduce((a, b) => a * b, 1);
      header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
      weightMap[name] = file;
    }
    const json = Buffer.from(JSON.stringify(header));
    const fd = fs.openSync(path.join(dir, file), 'w');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    fs.writeSync(fd, length);
    fs.writeSync(fd, json);
    for (const [, shape] of shard) {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      // A cheap linear congruential stream: the values only need to be finite and varied.
      for (let i = 0; i < data.length; i++) data[i] = (((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5) * 0.04;
      fs.writeSync(fd, new Uint8Array(data.buffer));
      total += data.byteLength;
    }
    fs.closeSync(fd);
  });
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: vocab, hidden_size: d, intermediate_size: intermediate, num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads, max_position_embeddings: 8192, rms_norm_eps: 1e-5, rope_theta: 100000, tie_word_embeddings: true }));
  // A byte-level tokenizer with no merges is enough to load.
  const vocabMap = Object.fromEntries(BYTE_TO_CHAR.map((c, b) => [c, b]));
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify({ added_tokens: [{ id: 256, content: '<|endoftext|>', special: true }], normalizer: null, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true }, post_processor: null, decoder: { type: 'ByteLevel' }, model: { type: 'BPE', vocab: vocabMap, merges: [] } }));
  return total;
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-large-checkpoint-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('loading a large checkpoint', () => {
  it('holds a 134.5M-parameter Llama (SmolLM2-135M shapes, two shards) in under 1.5× its weights in resident memory', async () => {
    const dir = path.join(root, 'smollm2-135m-shapes');
    const weightBytes = writeLargeCheckpoint(dir);
    const out = await runTs('tests/helpers/procs/load-checkpoint.ts', [dir]);
    expect(out.code, out.stderr).toBe(0);
    const r = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { parameters: number; rssBefore: number; rssAfter: number; maxRss: number; seconds: number };
    const MiB = 2 ** 20;
    console.log(`${(r.parameters / 1e6).toFixed(1)}M parameters, ${(weightBytes / MiB).toFixed(0)} MiB of F32 weights: RSS ${(r.rssBefore / MiB).toFixed(0)} MiB before loading, ${(r.rssAfter / MiB).toFixed(0)} MiB after, peak ${(r.maxRss / MiB).toFixed(0)} MiB (${(r.maxRss / weightBytes).toFixed(2)}× the weights), loaded in ${r.seconds.toFixed(1)} s`);
    expect(r.parameters * 4).toBe(weightBytes);
    expect(r.parameters).toBeGreaterThan(100e6);
    // The whole process, Node and TensorFlow.js included, at its peak.
    expect(r.maxRss).toBeLessThan(1.5 * weightBytes);
  }, 300_000);
});
