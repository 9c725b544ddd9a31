/**
 * The default featurizer, with no downloaded weights: hashed word unigrams and bigrams and character
 * 3–5-grams of the response (signed feature hashing into `dims` buckets, log-scaled counts, L2-normalised),
 * hashed words of the prompt in a separate block, and a few surface features (length, lines, code,
 * lists). Sparse output: a response has a few hundred non-zeros, which is what the cache stores.
 */
import { hash53 } from '@/lib/data/export-validation';

export type SparseVector = { index: Int32Array; value: Float32Array };

export type HashedNgramConfig = { kind: 'hashed-ngrams'; dims: number; promptDims: number; charNgrams: [number, number] };

export const DEFAULT_HASHED_NGRAMS: HashedNgramConfig = { kind: 'hashed-ngrams', dims: 4096, promptDims: 512, charNgrams: [3, 5] };

/** Surface features appended after the hashed blocks. */
export const SURFACE_FEATURES = ['log_chars', 'log_words', 'log_lines', 'code_blocks', 'list_items', 'question_marks'] as const;

export const featureDims = (c: HashedNgramConfig) => c.dims + c.promptDims + SURFACE_FEATURES.length;

const WORD = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;

function addHashed(counts: Map<number, number>, token: string, dims: number, offset: number, seed: number) {
  const h = hash53(token, seed);
  const bucket = h % dims;
  const sign = Math.floor(h / dims) % 2 === 0 ? 1 : -1;
  counts.set(offset + bucket, (counts.get(offset + bucket) ?? 0) + sign);
}

function normalise(counts: Map<number, number>): Map<number, number> {
  let norm = 0;
  const out = new Map<number, number>();
  for (const [k, c] of counts) {
    if (c === 0) continue;
    const v = Math.sign(c) * Math.log1p(Math.abs(c));
    out.set(k, v);
    norm += v * v;
  }
  norm = Math.sqrt(norm) || 1;
  for (const [k, v] of out) out.set(k, v / norm);
  return out;
}

/** Features of one response to one prompt (the prompt as the text of its turns). */
export function hashedNgramFeatures(prompt: string, response: string, c: HashedNgramConfig = DEFAULT_HASHED_NGRAMS): SparseVector {
  const text = response.toLowerCase();
  const words = text.match(WORD) ?? [];
  const own = new Map<number, number>();
  for (let k = 0; k < words.length; k++) {
    addHashed(own, words[k]!, c.dims, 0, 1);
    if (k + 1 < words.length) addHashed(own, `${words[k]} ${words[k + 1]}`, c.dims, 0, 2);
  }
  const squeezed = ` ${text.replace(/\s+/g, ' ')} `;
  for (let n = c.charNgrams[0]; n <= c.charNgrams[1]; n++) for (let k = 0; k + n <= squeezed.length; k++) addHashed(own, squeezed.slice(k, k + n), c.dims, 0, 10 + n);
  const promptCounts = new Map<number, number>();
  for (const w of prompt.toLowerCase().match(WORD) ?? []) addHashed(promptCounts, w, c.promptDims, c.dims, 3);
  const merged = new Map([...normalise(own), ...normalise(promptCounts)]);
  const base = c.dims + c.promptDims;
  surfaceFeatures(response, words.length).forEach((v, k) => v !== 0 && merged.set(base + k, v));
  const keys = [...merged.keys()].sort((a, b) => a - b);
  return { index: Int32Array.from(keys), value: Float32Array.from(keys.map((k) => merged.get(k)!)) };
}

/** SURFACE_FEATURES of a response, scaled to about [0, 1]. */
export function surfaceFeatures(response: string, wordCount = (response.toLowerCase().match(WORD) ?? []).length): number[] {
  return [
    Math.log1p(response.length) / 10,
    Math.log1p(wordCount) / 8,
    Math.log1p(response.split('\n').length) / 5,
    Math.min((response.match(/```/g) ?? []).length / 2, 5) / 5,
    Math.min((response.match(/^\s*([-*]|\d+\.)\s/gm) ?? []).length, 20) / 20,
    Math.min((response.match(/\?/g) ?? []).length, 10) / 10,
  ];
}

/** Packs a sparse vector into bytes for the per-response cache (count, indexes, values). */
export function packSparse(v: SparseVector): Buffer {
  const out = Buffer.alloc(4 + v.index.length * 8);
  out.writeUInt32LE(v.index.length, 0);
  Buffer.from(v.index.buffer, v.index.byteOffset, v.index.byteLength).copy(out, 4);
  Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).copy(out, 4 + v.index.length * 4);
  return out;
}

export function unpackSparse(bytes: Uint8Array): SparseVector {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = b.readUInt32LE(0);
  const index = new Int32Array(n);
  const value = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    index[k] = b.readInt32LE(4 + 4 * k);
    value[k] = b.readFloatLE(4 + 4 * n + 4 * k);
  }
  return { index, value };
}

/** Rows of sparse vectors → one dense row-major Float32Array [rows × dims] (a minibatch). */
export function densify(rows: readonly SparseVector[], dims: number, out = new Float32Array(rows.length * dims)): Float32Array {
  out.fill(0);
  rows.forEach((r, i) => {
    const base = i * dims;
    for (let k = 0; k < r.index.length; k++) out[base + r.index[k]!] = r.value[k]!;
  });
  return out;
}
