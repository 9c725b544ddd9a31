import fs from 'node:fs';
import path from 'node:path';
import { writeSafetensors, type NamedTensor } from '@/lib/ml/lm/safetensors';
import { createRng } from '@/lib/random';

/** A tiny GPT-2 checkpoint, written the way Hugging Face lays it out (fused c_attn, Conv1D [in, out]). */
export function writeTinyCheckpoint(dir: string, opts: { vocab: number; d: number; layers: number; heads: number; positions: number; tokenizerJson: object }) {
  const rng = createRng(42);
  const tensors: NamedTensor[] = [];
  const t = (name: string, shape: number[], scale = 0.3, offset = 0) => tensors.push({ name, shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => offset + scale * (rng.next() * 2 - 1)) });
  const { vocab, d, layers, positions } = opts;
  t('transformer.wte.weight', [vocab, d]);
  t('transformer.wpe.weight', [positions, d]);
  for (let l = 0; l < layers; l++) {
    const p = `transformer.h.${l}.`;
    t(`${p}ln_1.weight`, [d], 0.2, 1);
    t(`${p}ln_1.bias`, [d], 0.1);
    t(`${p}attn.c_attn.weight`, [d, 3 * d]);
    t(`${p}attn.c_attn.bias`, [3 * d], 0.1);
    t(`${p}attn.c_proj.weight`, [d, d]);
    t(`${p}attn.c_proj.bias`, [d], 0.1);
    t(`${p}ln_2.weight`, [d], 0.2, 1);
    t(`${p}ln_2.bias`, [d], 0.1);
    t(`${p}mlp.c_fc.weight`, [d, 4 * d]);
    t(`${p}mlp.c_fc.bias`, [4 * d], 0.1);
    t(`${p}mlp.c_proj.weight`, [4 * d, d]);
    t(`${p}mlp.c_proj.bias`, [d], 0.1);
  }
  t('transformer.ln_f.weight', [d], 0.2, 1);
  t('transformer.ln_f.bias', [d], 0.1);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', vocab_size: vocab, n_positions: positions, n_embd: d, n_layer: layers, n_head: opts.heads, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new' }));
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(opts.tokenizerJson));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), writeSafetensors(tensors));
  return new Map(tensors.map((x) => [x.name.replace('transformer.', ''), x]));
}

