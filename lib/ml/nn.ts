/**
 * Building blocks shared by the transformer encoder and the decoders: layer norm, RMS norm, SiLU, GELU in its tanh form
 * written on the fast Sigmoid kernel, and a log-sum-exp on the fast Softmax kernel (tf.logSumExp's
 * max-gradient costs a slow broadcast Equal on wasm; docs/performance.md#fast-element-wise-substitutes).
 */
import { tf } from './backend';

export function layerNorm(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor, epsilon = 1e-5): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), g), b) as tf.Tensor2D;
}

/** RMSNorm (Zhang & Sennrich 2019), as Llama's: x / √(mean(x²) + ε) · g, over the last axis of [N, d]. */
export function rmsNorm(x: tf.Tensor2D, g: tf.Tensor, epsilon: number): tf.Tensor2D {
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), 1, true), epsilon))), g) as tf.Tensor2D;
}

/** SiLU (swish), x·σ(x): the gate of Llama's SwiGLU MLP (Shazeer 2020). */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x)) as T;
}

/** GELU (tanh form, GPT-2's gelu_new) as x·σ(2c(x + 0.044715·x³)): 0.5(1 + tanh u) = σ(2u), and wasm's Tanh is slow. */
export function gelu<T extends tf.Tensor>(x: T): T {
  const c = Math.sqrt(2 / Math.PI);
  return tf.mul(x, tf.sigmoid(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), 2 * c))) as T;
}

/** log Σ exp over the last axis of [N, V] as max(x) − log(max(softmax(x))), with gradient softmax(x). */
export const logSumExpRows = tf.customGrad(((x: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const sm = tf.softmax(x);
  save([sm]);
  return {
    value: tf.sub(tf.max(x, 1), tf.log(tf.max(sm, 1))),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(saved[0]!, tf.expandDims(dy, 1))],
  };
}) as never) as (x: tf.Tensor2D) => tf.Tensor1D;
