import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@/lib/ml/backend';
import { createLm, loadCheckpoint, readTokenizerFiles } from '@/lib/ml/lm/checkpoint';
import type { Llama } from '@/lib/ml/llama/model';
import { fitLmRewardModel, lastNonPadIndex, LmRewardModel, type LmRewardSettings } from '@/lib/ml/lm/reward-model';
import { loadRewardAdapter, loadSequenceClassifier, saveRewardAdapter, saveSequenceClassifier } from '@/lib/ml/lm/sequence-classifier';
import { openSafetensors } from '@/lib/ml/lm/safetensors';
import { writeTinyLlama } from '../../helpers/tiny-llama';
import { byteLevelTokenizer } from '../../helpers/tiny-tokenizers';

let root: string;
beforeAll(async () => {
  await initBackend({ preference: 'wasm', appRoot: process.cwd() });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-lm-rm-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const byteLevel = byteLevelTokenizer([['H', 'e'], ['He', 'l']]);
const PAD = byteLevel.ids['<|eot_id|>']!;
const base = (name: string, tied = false) => {
  const dir = path.join(root, name);
  if (!fs.existsSync(dir)) {
    writeTinyLlama(dir, { modelType: tied ? 'qwen2' : 'llama', vocab: 272, d: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24, positions: 64, tied, scale: 0.5, tokenizerJson: byteLevel.json, tokenizerConfig: { eos_token: '<|eot_id|>', pad_token: '<|eot_id|>' } });
  }
  return dir;
};
const SETTINGS: LmRewardSettings = { epochs: 1, batchSize: 8, learningRate: 1e-2, useMargin: false, labelSmoothing: 0, centering: 0, ties: 'half', seed: 0 };
const rewardsOf = (m: LmRewardModel, rows: number[][]) => tf.tidy(() => Array.from(m.rewards(rows).dataSync()));
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

describe('a language model with a scalar head (reward model)', () => {
  it('reads each row at its last non-padding token, as transformers pools: padding a batch changes no reward', () => {
    expect(Array.from(lastNonPadIndex(Int32Array.from([5, 6, 7, 0, 0, 9, 0, 0, 0, 0, 0, 0]), 3, 4, 0))).toEqual([2, 1, 0]);
    // A row that ends with the padding id itself is read one token earlier (padding is often the end-of-sequence token).
    expect(Array.from(lastNonPadIndex(Int32Array.from([5, 6, 9, 9]), 1, 4, 9))).toEqual([1]);
    const { model: lm } = loadCheckpoint(base('llama'));
    const model = new LmRewardModel(lm, PAD, { seed: 4 });
    const rows = [[72, 101, 108, 108], [1, 2, 3, 4, 5, 6, 7], [9]];
    const batched = rewardsOf(model, rows);
    const alone = rows.map((r) => rewardsOf(model, [r])[0]!);
    expect(maxDiff(batched, alone)).toBeLessThan(1e-5);
    // The reward is score · (final-norm hidden state of the last token).
    const hidden = tf.tidy(() => Array.from(lm.hidden(Int32Array.from(rows[1]!), 1, 7).dataSync()).slice(6 * 16));
    const score = Array.from(model.score.dataSync());
    expect(batched[1]).toBeCloseTo(hidden.reduce((s, h, i) => s + h * score[i]!, 0), 5);
    model.dispose();
  });

  it('fits pairs with the Bradley–Terry loss: the loss falls and the preferred side wins; ties and drops are handled', async () => {
    const { model: lm } = loadCheckpoint(base('llama'), { trainable: true });
    const model = new LmRewardModel(lm, PAD);
    // The preferred response ends with token 42, the other with 43.
    const a = Array.from({ length: 16 }, (_, k) => [10 + k, 20, 42]);
    const b = Array.from({ length: 16 }, (_, k) => [10 + k, 20, 43]);
    const losses: number[] = [];
    await fitLmRewardModel(model, { a, b, tie: a.map(() => false), margin: a.map(() => 0) }, { ...SETTINGS, epochs: 6 }, { onEpoch: (r) => void losses.push(r.loss) });
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.5);
    const ra = rewardsOf(model, [[90, 20, 42]]);
    const rb = rewardsOf(model, [[90, 20, 43]]);
    expect(ra[0]!).toBeGreaterThan(rb[0]!);
    // Ties through a Davidson head: log ν joins the trained tensors.
    await fitLmRewardModel(model, { a: [...a, [1, 2]], b: [...b, [1, 3]], tie: [...a.map(() => false), true], margin: [...a.map(() => 0), 0] }, { ...SETTINGS, ties: 'davidson' });
    expect(model.logNu).not.toBeNull();
    await expect(fitLmRewardModel(model, { a: [[1]], b: [[2]], tie: [true], margin: [0] }, { ...SETTINGS, ties: 'drop' })).rejects.toThrow(/no decisive training pairs/);
    model.dispose();
  }, 60_000);

  it('with LoRA, trains only the adapters and the head; exported as a sequence classifier and as a PEFT adapter, both reload to the same rewards', async () => {
    const dir = base('llama');
    const { model: lm } = loadCheckpoint(dir);
    const before = new Map(lm.toTensors().map((t) => [t.name, t.data.slice()]));
    (lm as Llama).attachLora({ rank: 2, alpha: 4, targets: ['q_proj', 'v_proj'], seed: 1 });
    const model = new LmRewardModel(lm, PAD);
    const head = Array.from(model.score.dataSync());
    // q_proj 16→16 and v_proj 16→8 in 2 layers at rank 2: 2·(16+16 + 16+8)·2 = 224, and the head's 16.
    expect(model.trainableVariables().reduce((n, v) => n + v.size, 0)).toBe(224 + 16);
    const a = Array.from({ length: 8 }, (_, k) => [30 + k, 42]);
    const b = Array.from({ length: 8 }, (_, k) => [30 + k, 43]);
    await fitLmRewardModel(model, { a, b, tie: a.map(() => false), margin: a.map(() => 0) }, { ...SETTINGS, epochs: 3 });
    for (const v of lm.variables()) expect(v.trainable).toBe(false);
    const k0 = 'model.layers.0.self_attn.k_proj.weight';
    expect(Array.from(lm.toTensors().find((t) => t.name === k0)!.data)).toEqual(Array.from(before.get(k0)!));
    expect(maxDiff(Array.from(model.score.dataSync()), head)).toBeGreaterThan(0);
    const rows = [[30, 42], [5, 6, 7, 43], [72, 101]];
    const want = rewardsOf(model, rows);

    saveSequenceClassifier(path.join(root, 'hf'), model, readTokenizerFiles(dir));
    const config = JSON.parse(fs.readFileSync(path.join(root, 'hf', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ architectures: ['LlamaForSequenceClassification'], model_type: 'llama', num_labels: 1, pad_token_id: PAD, tie_word_embeddings: false });
    const file = openSafetensors(path.join(root, 'hf', 'model.safetensors'));
    expect(file.entries.get('score.weight')?.shape).toEqual([1, 16]);
    expect(file.entries.has('lm_head.weight')).toBe(false);
    expect(file.entries.has('model.embed_tokens.weight')).toBe(true);
    file.close();
    const classifier = loadSequenceClassifier(path.join(root, 'hf'));
    expect(maxDiff(rewardsOf(classifier.model, rows), want)).toBeLessThan(1e-4);

    saveRewardAdapter(path.join(root, 'peft'), model, 'llama');
    expect(JSON.parse(fs.readFileSync(path.join(root, 'peft', 'adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'LORA', task_type: 'SEQ_CLS', modules_to_save: ['score'], r: 2, lora_alpha: 4, target_modules: ['q_proj', 'v_proj'] });
    const adapterFile = openSafetensors(path.join(root, 'peft', 'adapter_model.safetensors'));
    expect([...adapterFile.entries.keys()].sort()).toEqual([
      'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', 'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
      'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight', 'base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight',
      'base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight', 'base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight',
      'base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight', 'base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight',
      'base_model.model.score.weight',
    ]);
    adapterFile.close();
    const adapted = loadRewardAdapter(dir, path.join(root, 'peft'), PAD);
    expect(maxDiff(rewardsOf(adapted.model, rows), want)).toBeLessThan(1e-4);
    [model, classifier.model, adapted.model].forEach((m) => m.dispose());
  }, 60_000);

  it("names each family's classifier as transformers does: Qwen2 (tied) and GPT-2 (under transformer.)", () => {
    const qwen = loadCheckpoint(base('qwen', true));
    const q = new LmRewardModel(qwen.model, PAD);
    saveSequenceClassifier(path.join(root, 'hf-qwen'), q, readTokenizerFiles(base('qwen', true)));
    expect(JSON.parse(fs.readFileSync(path.join(root, 'hf-qwen', 'config.json'), 'utf8'))).toMatchObject({ architectures: ['Qwen2ForSequenceClassification'], num_labels: 1 });
    const gpt = new LmRewardModel(createLm({ family: 'gpt2', config: { vocabSize: 272, nPositions: 32, nEmbd: 16, nLayer: 1, nHead: 2, layerNormEpsilon: 1e-5 } }), PAD);
    saveSequenceClassifier(path.join(root, 'hf-gpt2'), gpt, readTokenizerFiles(base('llama')));
    expect(JSON.parse(fs.readFileSync(path.join(root, 'hf-gpt2', 'config.json'), 'utf8'))).toMatchObject({ architectures: ['GPT2ForSequenceClassification'], model_type: 'gpt2', pad_token_id: PAD });
    const file = openSafetensors(path.join(root, 'hf-gpt2', 'model.safetensors'));
    expect(file.entries.has('transformer.wte.weight')).toBe(true);
    expect(file.entries.has('score.weight')).toBe(true);
    file.close();
    const rows = [[1, 2, 3], [4]];
    const reloaded = loadSequenceClassifier(path.join(root, 'hf-gpt2'));
    expect(maxDiff(rewardsOf(reloaded.model, rows), rewardsOf(gpt, rows))).toBeLessThan(1e-5);
    // A checkpoint without the head is refused by name.
    expect(() => loadSequenceClassifier(base('llama'))).toThrow(/tensor score\.weight is missing/);
    [q, gpt, reloaded.model].forEach((m) => m.dispose());
  });
});
