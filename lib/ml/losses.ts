/**
 * Preference losses on tensors (docs/algorithms.md#reward-model-losses). log σ is always −softplus(−x).
 * Each returns per-example negative log-likelihoods; the caller weights and averages.
 */
import { logSigmoid, tf } from './backend';

/** Bradley–Terry with margin m and label smoothing α: −[(1−α) log σ(Δ−m) + α log σ(−(Δ−m))]. */
export function btLoss(delta: tf.Tensor1D, margin: tf.Tensor1D | null, smoothing: number): tf.Tensor1D {
  const z = margin ? tf.sub(delta, margin) : delta;
  const pos = logSigmoid(z);
  if (smoothing <= 0) return tf.neg(pos) as tf.Tensor1D;
  return tf.neg(tf.add(tf.mul(pos, 1 - smoothing), tf.mul(logSigmoid(tf.neg(z)), smoothing))) as tf.Tensor1D;
}

/**
 * Davidson (ties): with π = e^r, P(i≻j) = πi / (πi + πj + ν√(πiπj)), P(tie) = ν√(πiπj) / (…).
 * In logs with d = ri − rj and c = log ν: log P(i≻j) = −lse(0, −d, c − d/2), log P(tie) = c − d/2 − lse(0, −d, c − d/2).
 */
export function davidsonLoss(delta: tf.Tensor1D, isTie: tf.Tensor1D, logNu: tf.Tensor): tf.Tensor1D {
  const half = tf.mul(delta, -0.5);
  const terms = tf.stack([tf.zerosLike(delta), tf.neg(delta), tf.add(half, logNu)], 1);
  const lse = tf.logSumExp(terms, 1);
  const logWin = tf.neg(lse);
  const logTie = tf.sub(tf.add(half, logNu), lse);
  return tf.neg(tf.add(tf.mul(logTie, isTie), tf.mul(logWin, tf.sub(1, isTie)))) as tf.Tensor1D;
}

/**
 * The loss of a batch of labelled pairs, rewards `ra` of the preferred side (either side of a tie) and `rb`
 * of the other: decisive pairs by Bradley–Terry with the annotated strength as margin (`useMargin`) and
 * label smoothing; ties by the Davidson head when `logNu` is given (the margin then shifts decisive pairs
 * only), else as half a win each way; plus reward centring, c · mean((ra + rb)²) (Eisenstein et al. 2023,
 * TRL's center_rewards_coefficient). Every pairwise reward model fits this: the feature towers
 * (lib/ml/fit.ts) and the fine-tuned language models (lib/ml/lm/reward-model.ts).
 */
export function pairwiseRewardLoss(
  ra: tf.Tensor1D,
  rb: tf.Tensor1D,
  pairs: readonly { tie: boolean; margin: number }[],
  o: { useMargin: boolean; labelSmoothing: number; centering: number; logNu: tf.Tensor | null },
): tf.Scalar {
  const delta = tf.sub(ra, rb) as tf.Tensor1D;
  const isTie = tf.tensor1d(pairs.map((p) => (p.tie ? 1 : 0)));
  const margin = o.useMargin ? tf.tensor1d(pairs.map((p) => (p.tie ? 0 : p.margin))) : null;
  let loss: tf.Scalar;
  if (o.logNu) {
    loss = tf.mean(davidsonLoss(margin ? (tf.sub(delta, tf.mul(margin, tf.sub(1, isTie))) as tf.Tensor1D) : delta, isTie, o.logNu)) as tf.Scalar;
  } else {
    const decisive = tf.mul(btLoss(delta, margin, o.labelSmoothing), tf.sub(1, isTie));
    const half = tf.mul(tf.mul(tf.add(btLoss(delta, null, 0), btLoss(tf.neg(delta) as tf.Tensor1D, null, 0)), 0.5), isTie);
    loss = tf.mean(tf.add(decisive, half)) as tf.Scalar;
  }
  if (o.centering > 0) loss = tf.add(loss, tf.mul(tf.mean(tf.square(tf.add(ra, rb))), o.centering)) as tf.Scalar;
  return loss;
}

/**
 * GPM preference score s(i≻j) = ⟨R v_i, v_j⟩ with R = blockdiag(λ_l [[0, −1], [1, 0]]):
 * Σ_l λ_l (x_i,l y_j,l − y_i,l x_j,l). Skew-symmetric, so it can represent cycles.
 * Each vector is passed as its two halves [B, k]: the x-coordinates ("even") and the y-coordinates ("odd")
 * of the k blocks, the layout the GPM head outputs (x₁…x_k, then y₁…y_k).
 */
export function gpmScore(viEven: tf.Tensor2D, viOdd: tf.Tensor2D, vjEven: tf.Tensor2D, vjOdd: tf.Tensor2D, scales: tf.Tensor2D | null): tf.Tensor1D {
  const per = tf.sub(tf.mul(viEven, vjOdd), tf.mul(viOdd, vjEven));
  return tf.sum(scales ? tf.mul(per, scales) : per, 1) as tf.Tensor1D;
}

/**
 * Plackett–Luce over rankings with ties broken in the given order: for a list of K scores (best
 * first), −Σ_k [r_k − log Σ_{j≥k} e^{r_j}]. `scores` is [N, K] padded with −1e9 where a list is shorter.
 */
export function plackettLuceLoss(scores: tf.Tensor2D, lengths: number[]): tf.Tensor1D {
  const K = scores.shape[1];
  // Suffix log-sum-exp via a reversed cumulative sum of exponentials, stabilised by the row max.
  const max = tf.max(scores, 1, true);
  const e = tf.exp(tf.sub(scores, max));
  const suffix = tf.reverse(tf.cumsum(tf.reverse(e, 1), 1), 1);
  const lse = tf.add(tf.log(tf.maximum(suffix, 1e-30)), max);
  const mask = tf.tensor2d(
    lengths.flatMap((n) => Array.from({ length: K }, (_, k) => (k < n - 1 ? 1 : 0))),
    [lengths.length, K],
  );
  return tf.neg(tf.sum(tf.mul(tf.sub(scores, lse), mask), 1)) as tf.Tensor1D;
}
