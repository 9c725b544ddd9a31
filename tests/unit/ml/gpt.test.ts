import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@/lib/ml/backend';
import { listCheckpoints, resolveCheckpoint } from '@/lib/checkpoints';
import { loadCheckpoint, saveCheckpoint } from '@/lib/ml/lm/checkpoint';
import { logitsOf, nextTokenLogProbs } from '@/lib/ml/lm/causal-lm';
import { Gpt } from '@/lib/ml/gpt/model';
import { readSafetensors, writeSafetensors, type NamedTensor } from '@/lib/ml/lm/safetensors';
import { writeTinyCheckpoint } from '../../helpers/tiny-gpt';
import { trainBpe } from '@/lib/ml/tokenizer/bpe';
import { BYTE_TO_CHAR, bpeToTokenizerJson, HfTokenizer } from '@/lib/ml/tokenizer/hf-tokenizer';
import { createRng } from '@/lib/random';
import { checkpointFeaturesConfig, openCheckpointFeaturizer } from '@/lib/ml/features/checkpoint-states';
import { fitStandardization, standardize } from '@/lib/ml/features/featurizer';
import { fitRewardModel } from '@/lib/ml/fit';
import { DEFAULT_CONFIG } from '@/lib/ml/reward-model';
import { cyclicPreferences, syntheticData } from '@/lib/ml/synthetic';

const corpus = ['The policy prefers the helpful answer.', 'Helpful answers explain; unhelpful ones refuse.', 'def reward(x):\n    return 2 * x\n', 'Zoë’s café — 美味しい 🍰'];

/** GPT-2's forward pass in plain float64 loops, from the formulas (not from the tfjs code): logits [T][V]. */
function referenceLogits(w: Map<string, NamedTensor>, cfg: { d: number; layers: number; heads: number; vocab: number }, ids: number[]): number[][] {
  const { d, heads, vocab } = cfg;
  const W = (n: string) => w.get(n)!.data;
  const T = ids.length;
  const ln = (x: number[], g: Float32Array, b: Float32Array) => {
    const m = x.reduce((a, v) => a + v, 0) / x.length;
    const v = x.reduce((a, u) => a + (u - m) ** 2, 0) / x.length;
    return x.map((u, i) => ((u - m) / Math.sqrt(v + 1e-5)) * g[i]! + b[i]!);
  };
  const lin = (x: number[], M: Float32Array, bias: Float32Array, out: number) => Array.from({ length: out }, (_, j) => x.reduce((a, u, i) => a + u * M[i * out + j]!, bias[j]!));
  const gelu = (u: number) => 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u ** 3)));
  let x = ids.map((id, t) => Array.from({ length: d }, (_, i) => W('wte.weight')[id * d + i]! + W('wpe.weight')[t * d + i]!));
  for (let l = 0; l < cfg.layers; l++) {
    const p = `h.${l}.`;
    const qkv = x.map((row) => lin(ln(row, W(`${p}ln_1.weight`), W(`${p}ln_1.bias`)), W(`${p}attn.c_attn.weight`), W(`${p}attn.c_attn.bias`), 3 * d));
    const dh = d / heads;
    const y = x.map(() => new Array<number>(d).fill(0));
    for (let h = 0; h < heads; h++)
      for (let t = 0; t < T; t++) {
        const scores = Array.from({ length: t + 1 }, (_, s) => {
          let dot = 0;
          for (let i = 0; i < dh; i++) dot += qkv[t]![h * dh + i]! * qkv[s]![d + h * dh + i]!;
          return dot / Math.sqrt(dh);
        });
        const mx = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - mx));
        const z = e.reduce((a, b) => a + b, 0);
        for (let s = 0; s <= t; s++) for (let i = 0; i < dh; i++) y[t]![h * dh + i]! += (e[s]! / z) * qkv[s]![2 * d + h * dh + i]!;
      }
    x = x.map((row, t) => {
      const attn = lin(y[t]!, W(`${p}attn.c_proj.weight`), W(`${p}attn.c_proj.bias`), d);
      const r = row.map((u, i) => u + attn[i]!);
      const hidden = lin(ln(r, W(`${p}ln_2.weight`), W(`${p}ln_2.bias`)), W(`${p}mlp.c_fc.weight`), W(`${p}mlp.c_fc.bias`), 4 * d).map(gelu);
      const mlp = lin(hidden, W(`${p}mlp.c_proj.weight`), W(`${p}mlp.c_proj.bias`), d);
      return r.map((u, i) => u + mlp[i]!);
    });
  }
  return x.map((row) => {
    const h = ln(row, W('ln_f.weight'), W('ln_f.bias'));
    return Array.from({ length: vocab }, (_, v) => h.reduce((a, u, i) => a + u * W('wte.weight')[v * d + i]!, 0));
  });
}

describe('GPT-2-family checkpoints: safetensors, tokenizer.json, the tfjs GPT', () => {
  let root: string;
  beforeAll(async () => {
    await initBackend({ preference: 'auto', appRoot: process.cwd() });
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-gpt-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('safetensors: round-trips F32, reads F16 and BF16, and rejects a file whose offsets lie', () => {
    const a = { name: 'a', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-3, -7]) };
    const back = readSafetensors(writeSafetensors([a, { name: 'b', shape: [1], data: Float32Array.from([42]) }]));
    expect([...back.get('a')!.data]).toEqual([...a.data]);
    expect(back.get('a')!.shape).toEqual([2, 3]);
    // Hand-built F16 and BF16 tensors: 1.0 = 0x3C00 (F16) and 0x3F80 (BF16); -2.5 = 0xC100 / 0xC020.
    const header = JSON.stringify({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, g: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] } });
    const buf = Buffer.alloc(8 + header.length + 8);
    buf.writeBigUInt64LE(BigInt(header.length));
    buf.write(header, 8);
    [0x3c00, 0xc100, 0x3f80, 0xc020].forEach((v, i) => buf.writeUInt16LE(v, 8 + header.length + 2 * i));
    const halves = readSafetensors(buf);
    expect([...halves.get('h')!.data]).toEqual([1, -2.5]);
    expect([...halves.get('g')!.data]).toEqual([1, -2.5]);
    const lying = Buffer.from(buf);
    lying.write(header.replace('[4, 8]', '[4, 9]').replace('[4,8]', '[4,9]'), 8);
    expect(() => readSafetensors(lying)).toThrow(/offsets 4–9/);
    expect(() => readSafetensors(Buffer.from([1, 2]))).toThrow(/shorter/);
  });

  it("tokenizer.json: GPT-2's byte alphabet, and Arbiter's BPE exported as tokenizer.json encodes to the same ids", () => {
    expect(BYTE_TO_CHAR[32]).toBe('Ġ');
    expect(BYTE_TO_CHAR[10]).toBe('Ċ');
    expect(BYTE_TO_CHAR[65]).toBe('A');
    const bpe = trainBpe(corpus, 150);
    const hf = new HfTokenizer(JSON.parse(JSON.stringify(bpeToTokenizerJson(bpe))));
    expect(hf.vocabSize).toBe(bpe.vocabSize);
    expect(hf.eosId).toBe(bpe.specialId('<|endoftext|>'));
    const rng = createRng(3);
    const alphabet = Array.from('the policy helpful answer reward ;:—é美🍰\n\t  ');
    const samples = [...corpus, ...Array.from({ length: 200 }, () => Array.from({ length: 1 + Math.floor(rng.next() * 60) }, () => alphabet[Math.floor(rng.next() * alphabet.length)]).join(''))];
    for (const text of samples) {
      expect(hf.encode(text)).toEqual(bpe.encode(text));
      expect(hf.decode(hf.encode(text))).toBe(text);
    }
    // Merges as strings ("a b") — the older tokenizer.json form — read the same.
    const json = bpeToTokenizerJson(bpe) as { model: { merges: [string, string][] } };
    const old = { ...json, model: { ...json.model, merges: json.model.merges.map((m) => m.join(' ')) } };
    expect(new HfTokenizer(old).encode(corpus[0]!)).toEqual(bpe.encode(corpus[0]!));
    expect(() => new HfTokenizer({ model: { type: 'Nonsense' } })).toThrow(/tokenizer\.json: model type "Nonsense" is not supported/);
  });

  it('loads a tiny checkpoint whose logits match an independent float64 forward pass, and log-probs are its log-softmax', () => {
    const bpe = trainBpe(corpus, 40);
    const cfg = { vocab: bpe.vocabSize + 3, d: 16, layers: 2, heads: 2, positions: 24 };
    const dir = path.join(root, 'tiny');
    const weights = writeTinyCheckpoint(dir, { ...cfg, tokenizerJson: bpeToTokenizerJson(bpe) });
    const { model, tokenizer, spec } = loadCheckpoint(dir);
    expect(spec.family).toBe('gpt2');
    expect(spec.config).toMatchObject({ vocabSize: cfg.vocab, nEmbd: 16, nLayer: 2, nHead: 2, nPositions: 24 });
    const ids = tokenizer.encode('The helpful answer.').slice(0, 10);
    expect(ids.length).toBeGreaterThan(4);
    const expected = referenceLogits(weights, cfg, ids);
    const got = tf.tidy(() => logitsOf(model, Int32Array.from(ids), 1, ids.length).arraySync());
    let worst = 0;
    expected.forEach((row, t) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - got[t]![j]!)))));
    expect(worst).toBeLessThan(2e-4);
    // Next-token log-probs are log-softmax(logits) at the next id (0 in the last column).
    const lp = tf.tidy(() => nextTokenLogProbs(model, Int32Array.from(ids), 1, ids.length).arraySync())[0]!;
    for (let t = 0; t + 1 < ids.length; t++) {
      const row = expected[t]!;
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0));
      expect(lp[t]).toBeCloseTo(row[ids[t + 1]!]! - lse, 3);
    }
    expect(Math.abs(lp[ids.length - 1]!)).toBe(0);
    // Batches: two right-padded rows give the first row's logits unchanged (causal attention).
    const batch = Int32Array.from([...ids, ...ids.slice(0, 3), ...new Array(ids.length - 3).fill(0)]);
    const both = tf.tidy(() => logitsOf(model, batch, 2, ids.length).arraySync());
    expect(Math.abs(both[0]![0]! - got[0]![0]!)).toBeLessThan(1e-5);
    expect(Math.abs(both[ids.length + 2]![5]! - got[2]![5]!)).toBeLessThan(1e-4);
    // Save → load gives the same logits; the saved files are the standard three.
    saveCheckpoint(path.join(root, 'saved'), model, { 'tokenizer.json': JSON.stringify(bpeToTokenizerJson(bpe)) }, bpe.specialId('<|endoftext|>'));
    expect(fs.readdirSync(path.join(root, 'saved')).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    const again = loadCheckpoint(path.join(root, 'saved'));
    const regot = tf.tidy(() => logitsOf(again.model, Int32Array.from(ids), 1, ids.length).arraySync());
    expect(Math.abs(regot[3]![7]! - got[3]![7]!)).toBeLessThan(1e-6);
    model.dispose();
    again.model.dispose();
  });

  it('says which checkpoint file is wrong, and resolves checkpoints by name only', () => {
    const bpe = trainBpe(corpus, 10);
    const dir = path.join(root, 'bad');
    writeTinyCheckpoint(dir, { vocab: bpe.vocabSize, d: 8, layers: 1, heads: 2, positions: 8, tokenizerJson: bpeToTokenizerJson(bpe) });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', vocab_size: bpe.vocabSize, n_positions: 8, n_embd: 8, n_layer: 2, n_head: 2 }));
    expect(() => loadCheckpoint(dir)).toThrow(/tensor h\.1\.[\w.]+ is missing/);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', vocab_size: bpe.vocabSize, n_positions: 8, n_embd: 16, n_layer: 1, n_head: 2 }));
    expect(() => loadCheckpoint(dir)).toThrow(/wte\.weight has shape .* expected/);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', vocab_size: 10 }));
    expect(() => loadCheckpoint(dir)).toThrow(/hidden_size must be a positive integer/);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', vocab_size: 10 }));
    expect(() => loadCheckpoint(dir)).toThrow(/model_type "bert" is not supported; Arbiter runs gpt2, llama, qwen2, mistral checkpoints/);
    fs.rmSync(path.join(dir, 'tokenizer.json'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'gpt2', vocab_size: bpe.vocabSize, n_positions: 8, n_embd: 8, n_layer: 1, n_head: 2 }));
    expect(() => loadCheckpoint(dir)).toThrow(/tokenizer\.json is missing/);
    expect(listCheckpoints(root).map((c) => c.name)).toContain('tiny');
    expect(resolveCheckpoint('tiny', root)).toBe(path.resolve(root, 'tiny'));
    expect(() => resolveCheckpoint('../tiny', root)).toThrow(/unknown checkpoint "..\/tiny"/);
    expect(() => resolveCheckpoint('tiny', '')).toThrow(/ARBITER_CHECKPOINTS_DIR/);
  });

  it('a fresh GPT trains: next-token loss on a repeated phrase falls', () => {
    const model = new Gpt({ vocabSize: 40, nPositions: 16, nEmbd: 16, nLayer: 1, nHead: 2, layerNormEpsilon: 1e-5 }, 1);
    const ids = Int32Array.from({ length: 2 * 12 }, (_, k) => (k * 7) % 11);
    const opt = tf.train.adam(1e-2);
    const loss = () => tf.neg(tf.mean(nextTokenLogProbs(model, ids, 2, 12))) as tf.Scalar;
    const before = tf.tidy(() => loss().dataSync()[0]!);
    for (let i = 0; i < 30; i++) opt.minimize(loss, false, model.variables());
    const after = tf.tidy(() => loss().dataSync()[0]!);
    expect(after).toBeLessThan(before / 3);
    model.dispose();
  });

  it('featurizer (c): pooled hidden states of the checkpoint; a BT head and a GPM learn from them', async () => {
    // A reward carried by a few words (polite ones +1, rude ones −1) among filler.
    const rng = createRng(11);
    const filler = ['the', 'answer', 'is', 'here', 'about', 'your', 'question', 'we', 'can', 'look', 'at', 'it'];
    const polite = ['please', 'thanks', 'gladly', 'kindly'];
    const rude = ['whatever', 'ugh', 'nope', 'meh'];
    const say = (marked: string[]) => rng.shuffle([...Array.from({ length: 6 }, () => rng.pick(filler)), rng.pick(marked)]).join(' ');
    const linear = Array.from({ length: 1000 }, (_, k) => ({ prompt: `Question ${k % 40}?`, chosen: say(polite), rejected: say(rude) }));
    const cyclic = cyclicPreferences(900, 5);
    const bpe = trainBpe([...linear, ...cyclic].slice(0, 800).flatMap((p) => [p.prompt, p.chosen, p.rejected]), 300);
    const dir = path.join(root, 'features');
    writeTinyCheckpoint(dir, { vocab: bpe.vocabSize, d: 48, layers: 1, heads: 4, positions: 64, tokenizerJson: bpeToTokenizerJson(bpe) });
    const config = checkpointFeaturesConfig('features', dir);
    expect(config).toMatchObject({ kind: 'checkpoint', nEmbd: 48, maxTokens: 64, promptTokens: 32 });
    const featurizer = openCheckpointFeaturizer(config, dir);
    expect(featurizer.dims).toBe(3 * 48 + 6);
    expect(featurizer.promptBlock).toEqual([96, 144]);
    // One row by hand: the mean of the response's hidden states equals the first block (after normalising).
    const { model, tokenizer } = loadCheckpoint(dir);
    const prompt = tokenizer.encode('Say hi.');
    const ids = [...prompt, ...tokenizer.encode('\n\nhello there')];
    const hidden = tf.tidy(() => model.hidden(Int32Array.from(ids), 1, ids.length).arraySync());
    const mean = Array.from({ length: 48 }, (_, i) => hidden.slice(prompt.length).reduce((a, h) => a + h[i]!, 0));
    const norm = Math.hypot(...mean);
    const [row] = featurizer.featurize([{ prompt: 'Say hi.', response: 'hello there' }]);
    for (let i = 0; i < 48; i++) expect(row!.value[i]).toBeCloseTo(mean[i]! / norm, 4);
    model.dispose();
    // Learning from the frozen (standardised) states: held-out accuracy on word-carried preferences (BT) and on cyclic ones (GPM).
    const split = <T,>(xs: T[]) => [xs.slice(0, Math.floor(xs.length * 0.8)), xs.slice(Math.floor(xs.length * 0.8))] as const;
    const heldOutAccuracy = async (pairs: typeof linear, kind: 'bt' | 'gpm') => {
      const [train, test] = split(pairs);
      const data = syntheticData(train, featurizer);
      const norm = fitStandardization(data.features, data.dims);
      data.features = data.features.map((v) => standardize(v, norm));
      const fitted = await fitRewardModel(data, { ...DEFAULT_CONFIG, kind, epochs: 30 });
      const t = syntheticData(test, featurizer);
      t.features = t.features.map((v) => standardize(v, norm));
      const p = fitted.preferences(t.pairs.map((x) => t.features[x.a]!), t.pairs.map((x) => t.features[x.b]!));
      fitted.dispose();
      return p.filter((x) => x > 0.5).length / p.length;
    };
    const bt = await heldOutAccuracy(linear, 'bt');
    const gpm = await heldOutAccuracy(cyclic, 'gpm');
    expect(bt).toBeGreaterThan(0.75);
    expect(gpm).toBeGreaterThan(0.7);
    featurizer.dispose();
  }, 120_000);
});
