/**
 * Featurizer (c): frozen hidden states of a local checkpoint of any supported family (GPT-2, Llama, Qwen2,
 * Mistral: lib/ml/lm/checkpoint.ts). A row is the tokenizer's own prefix (Llama's BOS), the prompt's last
 * tokens, a blank line and the response, cut to maxTokens; its features are the final-layer-norm hidden
 * states averaged over the response's tokens, the hidden state of its last token, and the states averaged
 * over the prompt's tokens (the prompt block, which GPM's prompt-dependent scales read), each
 * L2-normalised, then the surface features of the hashed featurizer (length, lines, code, lists,
 * questions), which normalised states no longer carry: 3 × n_embd + 6 values. The checkpoint's weights never change, so features are cached per response under
 * the checkpoint's fingerprint.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tf } from '../backend';
import { loadCheckpoint, readCheckpointSpec, weightFiles } from '../lm/checkpoint';
import { SURFACE_FEATURES, surfaceFeatures, type SparseVector } from './hashed-ngrams';
import { checkpointFeatureDims, featurizerKey, type CheckpointFeaturesConfig, type Featurizer, type TextRow } from './featurizer';

const BATCH = 16;

/**
 * SHA-256 over what the features depend on: config.json, tokenizer.json and the weight files (read in
 * 4 MiB chunks). A GPT-2 checkpoint's fingerprint is what it was before sharded weights were read.
 */
export function checkpointFingerprint(dir: string): string {
  const hash = crypto.createHash('sha256');
  const buf = Buffer.alloc(4 << 20);
  for (const name of ['config.json', 'tokenizer.json', ...weightFiles(dir)]) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) throw new Error(`checkpoint ${dir}: ${name} is missing`);
    const fd = fs.openSync(file, 'r');
    try {
      for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
  }
  return hash.digest('hex');
}

/** The featurizer config of the checkpoint in `dir`, published as `name`. */
export function checkpointFeaturesConfig(name: string, dir: string, maxTokens = 256, promptTokens = 64): CheckpointFeaturesConfig {
  const spec = readCheckpointSpec(dir);
  const [hidden, context] = spec.family === 'gpt2' ? [spec.config.nEmbd, spec.config.nPositions] : [spec.config.hiddenSize, spec.config.contextLength];
  const cut = Math.min(maxTokens, context);
  return { kind: 'checkpoint', name, fingerprint: checkpointFingerprint(dir), nEmbd: hidden, maxTokens: cut, promptTokens: Math.min(promptTokens, Math.floor(cut / 2)) };
}

function normalised(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return v.map((x) => x / n);
}

/** Loads the checkpoint (frozen) and featurizes rows in batches; dispose() frees its weights. */
export function openCheckpointFeaturizer(config: CheckpointFeaturesConfig, dir: string): Featurizer {
  const fingerprint = checkpointFingerprint(dir);
  if (fingerprint !== config.fingerprint) throw new Error(`checkpoint ${config.name} has changed since these features were defined (fingerprint ${fingerprint.slice(0, 12)}…, expected ${config.fingerprint.slice(0, 12)}…)`);
  const { model, tokenizer } = loadCheckpoint(dir);
  const d = config.nEmbd;
  if (model.hiddenSize !== d) throw new Error(`checkpoint ${config.name}: hidden size ${model.hiddenSize}, expected ${d}`);
  const prefix = tokenizer.prefixIds;
  const encode = (r: TextRow) => {
    const prompt = [...prefix, ...tokenizer.encode(r.prompt).slice(-Math.max(0, config.promptTokens - prefix.length))];
    const response = tokenizer.encode(`\n\n${r.response}`);
    const ids = [...prompt, ...response].slice(0, config.maxTokens);
    return { ids, start: Math.min(prompt.length, ids.length - 1) };
  };
  const featurize = (rows: readonly TextRow[]): SparseVector[] => {
    const out: SparseVector[] = [];
    const width = 3 * d + SURFACE_FEATURES.length;
    const index = Int32Array.from({ length: width }, (_, k) => k);
    for (let k = 0; k < rows.length; k += BATCH) {
      const batch = rows.slice(k, k + BATCH);
      const enc = batch.map(encode);
      const T = Math.max(...enc.map((e) => e.ids.length));
      const ids = new Int32Array(enc.length * T).fill(tokenizer.eosId);
      enc.forEach((e, b) => ids.set(e.ids, b * T));
      const hidden = tf.tidy(() => model.hidden(ids, enc.length, T).dataSync() as Float32Array);
      enc.forEach((e, b) => {
        const mean = new Float32Array(d);
        const prompt = new Float32Array(d);
        for (let t = 0; t < e.ids.length; t++) {
          const into = t < e.start ? prompt : mean;
          for (let i = 0; i < d; i++) into[i]! += hidden[(b * T + t) * d + i]!;
        }
        const last = hidden.slice((b * T + e.ids.length - 1) * d, (b * T + e.ids.length) * d);
        const value = new Float32Array(width);
        value.set(normalised(mean), 0);
        value.set(normalised(last), d);
        value.set(normalised(prompt), 2 * d);
        value.set(surfaceFeatures(batch[b]!.response), 3 * d);
        out.push({ index, value });
      });
    }
    return out;
  };
  return { config, key: featurizerKey(config), dims: checkpointFeatureDims(config), promptBlock: [2 * d, 3 * d], featurize, dispose: () => model.dispose() };
}
