/**
 * The TensorFlow.js backend, chosen once per process: tfjs-node-gpu (optional dependency, used where it
 * loads and sees a GPU) → tfjs-node (optional) → WebAssembly → the pure-JS CPU backend.
 * ARBITER_ML_BACKEND=auto|tensorflow-gpu|tensorflow|wasm|cpu forces one. On wasm the stock BatchMatMul
 * falls into a scalar loop for every transposed or batched product (every gradient): it is re-registered
 * to run those on XNNPACK (pinned to tfjs-backend-wasm 4.22.0), UnsortedSegmentSum (the gradient of
 * gather) gets an O(N) kernel on wasm and cpu, and Identity shares memory instead of copying (the gradient
 * tape clones every saved tensor). Why and how much: docs/performance.md#kernel-fixes-on-wasm.
 */
import { recordBackendInUse } from './backend-in-use';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const ML_BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type MlBackend = (typeof ML_BACKENDS)[number];
export type BackendInfo = { backend: MlBackend; tfBackend: string; tried: { backend: MlBackend; error: string }[] };

/**
 * How to choose: `preference` is ARBITER_ML_BACKEND; `appRoot` is where the optional native packages are
 * resolved from (works from tsx, a bundled worker thread, and the Next server alike). Callers pass
 * lib/env.ts's mlBackendOptions(): lib/ml reads no environment itself.
 */
export type BackendOptions = { preference: 'auto' | MlBackend; appRoot: string };

let chosen: Promise<BackendInfo> | null = null;
let require_: NodeJS.Require;

/** The backend of this process (chosen on the first call; later calls return the same). */
export function initBackend(options: BackendOptions): Promise<BackendInfo> {
  require_ ??= createRequire(path.join(options.appRoot, 'package.json'));
  chosen ??= choose(options.preference).then((info) => {
    recordBackendInUse(info.backend);
    return info;
  });
  return chosen;
}

export { tf };

async function choose(preference: string): Promise<BackendInfo> {
  if (preference !== 'auto' && !(ML_BACKENDS as readonly string[]).includes(preference)) throw new Error(`ARBITER_ML_BACKEND must be auto or one of ${ML_BACKENDS.join(', ')} (got "${preference}")`);
  tf.enableProdMode();
  const order: MlBackend[] = preference === 'auto' ? [...ML_BACKENDS] : [preference as MlBackend];
  const tried: BackendInfo['tried'] = [];
  for (const backend of order) {
    try {
      const tfBackend = await activate(backend);
      return { backend, tfBackend, tried };
    } catch (error) {
      // A native package that is present but broken (install script skipped) throws something other than MODULE_NOT_FOUND: any error falls back.
      tried.push({ backend, error: error instanceof Error ? error.message.split('\n')[0]! : String(error) });
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${tried.map((t) => `${t.backend}: ${t.error}`).join('; ')}`);
}

async function activate(backend: MlBackend): Promise<string> {
  if (backend === 'tensorflow-gpu' || backend === 'tensorflow') {
    // Loading the package registers the 'tensorflow' backend on the shared tfjs engine.
    require_(backend === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
    if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not start');
    if (backend === 'tensorflow-gpu') {
      const devices = (tf.backend() as unknown as { binding?: { TF_Version?: string }; isUsingGpuDevice?: boolean }).isUsingGpuDevice;
      if (devices === false) throw new Error('tfjs-node-gpu loaded but sees no GPU');
    }
    return 'tensorflow';
  }
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The .wasm files sit beside the package's entry point (dist/). Not resolved by name: a bundler would try to compile them.
    wasm.setWasmPaths(`${path.dirname(require_.resolve('@tensorflow/tfjs-backend-wasm'))}${path.sep}`);
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
    await tf.ready();
    patchWasmBatchMatMul();
    registerFastUnsortedSegmentSum('wasm');
    patchWasmGather();
    patchWasmIdentity();
    return 'wasm';
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not start');
  registerFastUnsortedSegmentSum('cpu');
  return 'cpu';
}

/* eslint-disable @typescript-eslint/no-explicit-any -- kernel registration works on the backends' untyped internals */
type TI = tf.TensorInfo;

/** Rows from which a 2-D product repacks its right operand each time instead of keeping a packed copy (below). */
const REPACK_MIN_ROWS = 32;

/**
 * Re-registers the wasm BatchMatMul kernel: transposes are materialised (memory-bound, cheap), batched
 * products against one matrix become one 2-D product, and equal-batch products, and 2-D products of many
 * rows, run on XNNPACK through views of the operands, which keeps no packed copy of a weight. Same results
 * as the stock kernel (tests/unit/ml/backend.test.ts).
 */
export function patchWasmBatchMatMul(): void {
  const orig = tf.getKernel('BatchMatMul', 'wasm');
  if (!orig) throw new Error('the wasm backend is not registered');
  if ((orig as any).__patched) return;
  const transposeK = tf.getKernel('Transpose', 'wasm')!;
  const reshapeK = tf.getKernel('Reshape', 'wasm')!;
  let bmm: any = null;
  const kernelFunc = (args: any): TI => {
    const backend = args.backend;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    let a: TI = args.inputs.a;
    let b: TI = args.inputs.b;
    const temps: TI[] = [];
    const T = (x: TI): TI => {
      const r = x.shape.length;
      const perm = [...Array(r).keys()];
      perm[r - 1] = r - 2;
      perm[r - 2] = r - 1;
      const y = transposeK.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TI;
      temps.push(y);
      return y;
    };
    const R = (x: TI, shape: number[]): TI => {
      const y = reshapeK.kernelFunc({ inputs: { x }, backend, attrs: { shape } }) as TI;
      temps.push(y);
      return y;
    };
    const mm = (x: TI, y: TI): TI => orig.kernelFunc({ inputs: { a: x, b: y }, backend, attrs: { transposeA: false, transposeB: false } }) as TI;
    /** `batches` products [m, k]·[k, n] of consecutive slices of x and y, each on views, into one output of `shape`. */
    const viewProducts = (x: TI, y: TI, batches: number, m: number, k: number, n: number, shape: number[]): TI => {
      const out = backend.makeOutput(shape, 'float32') as TI;
      const w = backend.wasm;
      bmm ??= w.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
      const xOff = backend.dataIdMap.get(x.dataId).memoryOffset as number;
      const yOff = backend.dataIdMap.get(y.dataId).memoryOffset as number;
      const oOff = backend.dataIdMap.get(out.dataId).memoryOffset as number;
      const xShape = new Uint8Array(new Int32Array([1, m, k]).buffer);
      const yShape = new Uint8Array(new Int32Array([1, k, n]).buffer);
      for (let i = 0; i < batches; i++) {
        const idx = backend.dataIdNextNumber++;
        const idy = backend.dataIdNextNumber++;
        const ido = backend.dataIdNextNumber++;
        w.tfjs.registerTensor(idx, m * k, xOff + 4 * i * m * k);
        w.tfjs.registerTensor(idy, k * n, yOff + 4 * i * k * n);
        w.tfjs.registerTensor(ido, m * n, oOff + 4 * i * m * n);
        bmm(idx, xShape, 3, idy, yShape, 3, false, false, ido);
        w.tfjs.disposeData(idx);
        w.tfjs.disposeData(idy);
        w.tfjs.disposeData(ido);
      }
      return out;
    };
    try {
      if (transposeA) a = T(a);
      if (transposeB) b = T(b);
      const ar = a.shape.length;
      const br = b.shape.length;
      const m = a.shape[ar - 2]!;
      const k = a.shape[ar - 1]!;
      const n = b.shape[br - 1]!;
      const outerA = a.shape.slice(0, -2);
      const outerB = b.shape.slice(0, -2);
      const batchA = outerA.reduce((p, q) => p * q, 1);
      const batchB = outerB.reduce((p, q) => p * q, 1);
      const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
      // Products run on XNNPACK through views of the operands (fresh ids on the same memory). The stock
      // kernel caches, for every `b` it sees, an XNNPACK operator holding a packed copy of it for as long as
      // `b` lives: for a model's weights that is a second copy of every weight matrix, which put a 135M
      // Llama past the 2 GiB the wasm heap serves. A view's operator goes when the view does, so nothing is
      // kept; repacking costs a pass over `b`, small beside a product of many rows. Products of a few rows
      // (generation's one new token a step) keep the cache: there repacking would cost as much as the product.
      // Batched products against one matrix are one 2-D product of all their rows.
      if (batchB === 1 && batchA * m >= REPACK_MIN_ROWS) return viewProducts(a, b, 1, batchA * m, k, n, [...outer, m, n]);
      if (batchB === 1 && batchA > 1) {
        const out = mm(R(a, [batchA * m, k]), R(b, [k, n]));
        const res = reshapeK.kernelFunc({ inputs: { x: out }, backend, attrs: { shape: [...outer, m, n] } }) as TI;
        backend.disposeData(out.dataId);
        return res;
      }
      if (batchA > 1 && batchA === batchB) return viewProducts(a, b, batchA, m, k, n, [...outer, m, n]);
      return mm(a, b);
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...orig, kernelFunc, __patched: true } as any);
}

/** An O(N) scatter-add for UnsortedSegmentSum (missing on wasm; O(segments × N) on cpu). */
export function registerFastUnsortedSegmentSum(backendName: 'wasm' | 'cpu'): void {
  const existing = tf.getKernel('UnsortedSegmentSum', backendName) as any;
  if (existing?.__fast) return;
  if (existing) tf.unregisterKernel('UnsortedSegmentSum', backendName);
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName,
    __fast: true,
    kernelFunc: ({ inputs, backend, attrs }: any) => {
      const { x, segmentIds } = inputs;
      const numSegments = attrs.numSegments as number;
      const n = segmentIds.shape.reduce((p: number, q: number) => p * q, 1);
      const innerShape = x.shape.slice(segmentIds.shape.length);
      const inner = innerShape.reduce((p: number, q: number) => p * q, 1);
      const outShape = [numSegments, ...innerShape];
      // On wasm: the output first (allocating may grow the heap, which detaches earlier views), then views
      // on the heap (readSync would copy). On cpu, readSync returns the stored arrays.
      const onWasm = backendName === 'wasm';
      let out: any;
      let ov: Float32Array;
      if (onWasm) {
        out = backend.makeOutput(outShape, 'float32');
        ov = backend.typedArrayFromHeap(out) as Float32Array;
        ov.fill(0);
      } else {
        ov = new Float32Array(numSegments * inner);
        out = backend.makeTensorInfo(outShape, 'float32', ov);
      }
      const xv = (onWasm ? backend.typedArrayFromHeap(x) : backend.readSync(x.dataId)) as Float32Array;
      const ids = (onWasm && segmentIds.dtype === 'int32' ? backend.typedArrayFromHeap(segmentIds) : Int32Array.from(backend.readSync(segmentIds.dataId) as ArrayLike<number>)) as Int32Array;
      for (let i = 0; i < n; i++) {
        const s = ids[i]!;
        if (s < 0 || s >= numSegments) continue;
        const o = s * inner;
        const xo = i * inner;
        for (let j = 0; j < inner; j++) ov[o + j]! += xv[xo + j]!;
      }
      return out;
    },
  } as any);
}
/**
 * Row gather (axis 0, no batch dims, float32) as a plain copy loop: the stock wasm GatherV2 took ~5 ms to
 * pick 180k rows of width 1 (a sparse reward head's whole step). Other cases go to the stock kernel.
 */
export function patchWasmGather(): void {
  const orig = tf.getKernel('GatherV2', 'wasm') as any;
  if (!orig || orig.__patched) return;
  const kernelFunc = (args: any) => {
    const { x, indices } = args.inputs;
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const backend = args.backend;
    if ((axis !== 0 && axis !== -x.shape.length) || batchDims || x.dtype !== 'float32' || indices.shape.length !== 1) return orig.kernelFunc(args);
    const width = x.shape.slice(1).reduce((p: number, q: number) => p * q, 1);
    const rows = x.shape[0] as number;
    // Views on the wasm heap (readSync would copy the whole input out first: 90 ms for 8M logits).
    const out = backend.makeOutput([indices.shape[0], ...x.shape.slice(1)], 'float32');
    const xv = backend.typedArrayFromHeap(x) as Float32Array;
    const ids = indices.dtype === 'int32' ? (backend.typedArrayFromHeap(indices) as Int32Array) : Int32Array.from(backend.readSync(indices.dataId) as ArrayLike<number>);
    const ov = backend.typedArrayFromHeap(out) as Float32Array;
    if (width === 1) {
      for (let i = 0; i < ids.length; i++) {
        const r = ids[i]!;
        ov[i] = r >= 0 && r < rows ? xv[r]! : 0;
      }
    } else {
      for (let i = 0; i < ids.length; i++) {
        const r = ids[i]!;
        if (r >= 0 && r < rows) ov.set(xv.subarray(r * width, r * width + width), i * width);
        else ov.fill(0, i * width, i * width + width);
      }
    }
    return out;
  };
  tf.unregisterKernel('GatherV2', 'wasm');
  tf.registerKernel({ ...orig, kernelFunc, __patched: true });
}

/**
 * Identity (tf.clone) sharing the input's memory, as the cpu and webgl backends' Identity does. The stock
 * wasm kernel copies, and the gradient tape clones every tensor a backward pass needs
 * (tfjs-core engine.ts, saveTensorsForBackwardMode): on wasm a forward under the tape held each saved
 * activation twice, 2.3× the heap of the same forward without it, and SmolLM2-135M's DPO step passed the
 * 2 GiB the wasm heap serves. Tensors are immutable and variables take new memory on assign, so sharing is safe.
 */
export function patchWasmIdentity(): void {
  const orig = tf.getKernel('Identity', 'wasm') as any;
  if (!orig || orig.__patched) return;
  const kernelFunc = ({ inputs, backend }: any): TI => {
    const { x } = inputs;
    if (x.dtype === 'string') return orig.kernelFunc({ inputs, backend });
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ ...orig, kernelFunc, __patched: true });
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** log σ(x) as −softplus(−x): tf.logSigmoid's gradient is broken in tfjs 4.22. */
export const logSigmoid = (x: tf.Tensor): tf.Tensor => tf.neg(tf.softplus(tf.neg(x)));
