import { describe, expect, it } from 'vitest';
import { initBackend, patchWasmBatchMatMul, tf } from '@/lib/ml/backend';

/** Runs f on the stock cpu backend and on the patched wasm backend; returns both results as arrays. */
async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<[number[][], number[][]]> {
  const run = () => tf.tidy(() => [f()].flat().map((t) => Array.from(t.dataSync())));
  await tf.setBackend('cpu');
  const cpu = run();
  await tf.setBackend('wasm');
  const wasm = run();
  return [cpu, wasm];
}

const close = (a: number[][], b: number[][]) => {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => x.forEach((v, j) => expect(Math.abs(v - b[i]![j]!)).toBeLessThan(1e-3 * (1 + Math.abs(v)))));
};

describe('TensorFlow.js backend', () => {
  it('falls back past the native packages that cannot load here, to wasm, and says why', async () => {
    const info = await initBackend({ preference: 'auto', appRoot: process.cwd() });
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.tried.map((t) => t.backend)).toEqual(['tensorflow-gpu', 'tensorflow']);
    expect(info.tried[0]!.error).toMatch(/tfjs-node-gpu/);
    // Idempotent: a second call returns the same choice.
    expect(await initBackend({ preference: 'cpu', appRoot: process.cwd() })).toBe(info);
  });

  it('makes transposed products as fast as plain ones on wasm (the stock kernel is 10–30× slower)', async () => {
    await initBackend({ preference: 'auto', appRoot: process.cwd() });
    await tf.setBackend('wasm');
    expect((tf.getKernel('BatchMatMul', 'wasm') as unknown as { __patched?: boolean }).__patched).toBe(true);
    const a = tf.randomNormal([384, 384]);
    const b = tf.randomNormal([384, 384]);
    const best = (f: () => tf.Tensor) => {
      let t = Infinity;
      for (let k = 0; k < 5; k++) {
        const s = performance.now();
        const r = f();
        r.dataSync();
        r.dispose();
        t = Math.min(t, performance.now() - s);
      }
      return t;
    };
    const plain = best(() => tf.matMul(a, b));
    const transposed = best(() => tf.matMul(a, b, true, false));
    expect(transposed / plain).toBeLessThan(5);
  });

  it('the re-registered wasm BatchMatMul equals the cpu backend on transposed, batched and broadcast products and their gradients', async () => {
    await initBackend({ preference: 'auto', appRoot: process.cwd() });
    patchWasmBatchMatMul(); // a second patch is a no-op
    const seed = (shape: number[], s: number) => tf.randomNormal(shape, 0, 1, 'float32', s);
    const cases: [number[], number[], boolean, boolean][] = [
      [[17, 23], [23, 9], false, false],
      [[23, 17], [23, 9], true, false],
      [[17, 23], [9, 23], false, true],
      [[23, 17], [9, 23], true, true],
      [[4, 17, 23], [4, 23, 9], false, false],
      [[4, 17, 23], [4, 9, 23], false, true],
      [[3, 5, 17, 23], [23, 9], false, false],
      // 32 rows and more: the product runs on views of the operands and keeps no packed copy of b.
      [[40, 23], [23, 9], false, false],
      [[40, 23], [9, 23], false, true],
    ];
    for (const [sa, sb, ta, tb] of cases) {
      const [cpu, wasm] = await onBoth(() => {
        const a = seed(sa, 1);
        const b = seed(sb, 2);
        const value = tf.matMul(a, b, ta, tb);
        // (tfjs-core cannot take the gradient of a broadcast batch product: reshape to 2-D first, as the models do.)
        const grads = sa.length === sb.length ? tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, ta, tb))))([a, b]) : [];
        return [value, ...grads];
      });
      close(cpu, wasm);
    }
  });

  it('the row-gather kernel equals the cpu backend for widths 1 and 3', async () => {
    await initBackend({ preference: 'auto', appRoot: process.cwd() });
    for (const shape of [[40, 1], [40, 3]]) {
      const [cpu, wasm] = await onBoth(() => tf.gather(tf.randomNormal(shape, 0, 1, 'float32', 5), tf.tensor1d([0, 39, 7, 7, 12], 'int32')));
      expect(wasm).toEqual(cpu);
    }
  });

  it('registers UnsortedSegmentSum, so embedding lookups train on wasm (and run in O(N) on cpu)', async () => {
    await initBackend({ preference: 'auto', appRoot: process.cwd() });
    const [cpu, wasm] = await onBoth(() => {
      const table = tf.randomNormal([50, 6], 0, 1, 'float32', 3);
      const ids = tf.tensor1d([3, 7, 7, 49, 0, 3], 'int32');
      return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), tf.range(0, 36).reshape([6, 6]))))(table);
    });
    close(cpu, wasm);
    expect(wasm[0]!.slice(3 * 6, 4 * 6)).toEqual([0, 1, 2, 3, 4, 5].map((j) => j + (j + 30)));
  });

  it('on wasm a clone shares its memory, so the gradient tape saves activations without copying them', async () => {
    await initBackend({ preference: 'auto', appRoot: process.cwd() });
    await tf.setBackend('wasm');
    const buffers = () => tf.memory().numDataBuffers;
    const x = tf.randomNormal([64, 64], 0, 1, 'float32', 1);
    const before = buffers();
    const y = tf.clone(x);
    expect(buffers()).toBe(before);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    x.dispose(); // the clone keeps the memory alive
    expect(y.dataSync()).toHaveLength(64 * 64);
    // A chain of ops under the tape holds one buffer per activation, as it does without the tape (the stock
    // wasm Identity copied every saved tensor: twice the buffers and the memory).
    const w = tf.variable(tf.randomNormal([64, 64], 0, 0.1, 'float32', 2));
    const chain = () => {
      let h: tf.Tensor = y;
      for (let i = 0; i < 8; i++) h = tf.sigmoid(tf.matMul(h, w));
      return tf.sum(h) as tf.Scalar;
    };
    let plain = 0;
    tf.tidy(() => {
      chain();
      plain = buffers();
    });
    let taped = 0;
    const { grads } = tf.variableGrads(() => {
      const loss = chain();
      taped = buffers();
      return loss;
    }, [w]);
    expect(taped).toBeLessThanOrEqual(plain + 2);
    expect(Number.isFinite(grads[w.name]!.dataSync()[0]!)).toBe(true);
    tf.dispose([y, w, grads[w.name]!]);
  });
});
