/**
 * Sparse minibatches for towers over hashed features: the non-zeros of every row, so a first layer is a
 * gather of weight rows and a segment sum (with a custom gradient), never a dense [rows × dims] matrix —
 * except for MLP towers, which get a dense copy as well (faster at ~15% density).
 */
import { tf } from './backend';
import { densify, type SparseVector } from './features/hashed-ngrams';

/**
 * A minibatch kept sparse: the non-zeros of every row (index, value, row), so the first layer is a
 * gather of weight rows and a segment sum — never a [rows × dims] dense matrix (a response has a few
 * hundred non-zeros among thousands of dimensions). Also the prompt block's non-zeros, for GPM scales.
 */
export type SparseBatch = { rows: number; idx: tf.Tensor1D; val: tf.Tensor2D; seg: tf.Tensor1D; promptIdx: tf.Tensor1D; promptVal: tf.Tensor2D; promptSeg: tf.Tensor1D; dense: tf.Tensor2D | null };

/**
 * `denseDims`: also a dense [rows × dims] copy, for MLP towers — at ~15% density a dense XNNPACK product
 * of a 64-wide layer beats gathering 64-wide rows (bench/reward-head.ts measured both).
 */
export function toBatch(vectors: readonly SparseVector[], promptBlock: [number, number], denseDims = 0): SparseBatch {
  let nnz = 0;
  let pnz = 0;
  for (const v of vectors) {
    nnz += v.index.length;
    for (const i of v.index) if (i >= promptBlock[0] && i < promptBlock[1]) pnz++;
  }
  const idx = new Int32Array(nnz);
  const val = new Float32Array(nnz);
  const seg = new Int32Array(nnz);
  const pIdx = new Int32Array(pnz);
  const pVal = new Float32Array(pnz);
  const pSeg = new Int32Array(pnz);
  let o = 0;
  let p = 0;
  vectors.forEach((v, r) => {
    idx.set(v.index, o);
    val.set(v.value, o);
    seg.fill(r, o, o + v.index.length);
    o += v.index.length;
    for (let k = 0; k < v.index.length; k++) {
      const i = v.index[k]!;
      if (i < promptBlock[0] || i >= promptBlock[1]) continue;
      pIdx[p] = i - promptBlock[0];
      pVal[p] = v.value[k]!;
      pSeg[p++] = r;
    }
  });
  return {
    rows: vectors.length,
    idx: tf.tensor1d(idx, 'int32'),
    val: tf.tensor2d(val, [nnz, 1]),
    seg: tf.tensor1d(seg, 'int32'),
    promptIdx: tf.tensor1d(pIdx, 'int32'),
    promptVal: tf.tensor2d(pVal, [pnz, 1]),
    promptSeg: tf.tensor1d(pSeg, 'int32'),
    dense: denseDims ? tf.tensor2d(densify(vectors, denseDims), [vectors.length, denseDims]) : null,
  };
}

/** Σ_k value_k · W[index_k] per row: a sparse × dense product as gather + segment sum (its gradient is the same pair reversed). */
export function sparseMatMul(idx: tf.Tensor1D, val: tf.Tensor2D, seg: tf.Tensor1D, rows: number, w: tf.Tensor2D): tf.Tensor2D {
  // A custom gradient: dW = segment-sum over the feature ids of dy[row]·value — tfjs's own chain
  // (gather's and segment-sum's gradients) adds masks for negative ids that cost more than the product.
  // The index tensors are inputs (saved), not closures: the gradient runs after the forward scope ends.
  const body = (weights: tf.Tensor, i: tf.Tensor, v: tf.Tensor, s: tf.Tensor, save: tf.GradSaveFunc) => {
    save([i, v, s]);
    return {
      value: tf.unsortedSegmentSum(tf.mul(tf.gather(weights, i), v), s as tf.Tensor1D, rows),
      gradFunc: (dy: tf.Tensor, [si, sv, ss]: tf.Tensor[]) => [tf.unsortedSegmentSum(tf.mul(tf.gather(dy, ss!), sv!), si as tf.Tensor1D, w.shape[0]), tf.zerosLike(si!), tf.zerosLike(sv!), tf.zerosLike(ss!)],
    };
  };
  // customGrad's typing has no room for a 4-input function with the save callback last.
  const op = tf.customGrad(body as never) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;
  return op(w, idx, val, seg) as tf.Tensor2D;
}
