/**
 * A training state (weights, Adam's moments, steps done) as two files: `<name>.json` (tensor manifest and
 * whatever the caller adds) and `<name>.bin` (float32, back to back). Each is written to a temporary name
 * and renamed, so a crash leaves the previous state readable.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TrainState } from './train';

type Manifest = { step: number; tensors: { name: string; shape: number[]; offset: number; length: number }[]; info: Record<string, unknown> };

function replace(file: string, data: string | Buffer) {
  fs.writeFileSync(`${file}.tmp`, data);
  fs.renameSync(`${file}.tmp`, file);
}

export function writeTrainState(dir: string, name: string, state: TrainState, shapes: number[][], info: Record<string, unknown> = {}): void {
  const tensors: Manifest['tensors'] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  const add = (tensorName: string, data: Float32Array, shape: number[]) => {
    tensors.push({ name: tensorName, shape, offset, length: data.length });
    chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    offset += data.byteLength;
  };
  state.weights.forEach((w, i) => add(`w${i}`, w, shapes[i]!));
  state.optimizer.forEach((o) => add(`adam:${o.name}`, o.data, o.shape));
  fs.mkdirSync(dir, { recursive: true });
  replace(path.join(dir, `${name}.bin`), Buffer.concat(chunks));
  replace(path.join(dir, `${name}.json`), JSON.stringify({ step: state.step, tensors, info } satisfies Manifest));
}

export function readTrainState(dir: string, name: string): { state: TrainState; info: Record<string, unknown> } | null {
  const manifestFile = path.join(dir, `${name}.json`);
  const binFile = path.join(dir, `${name}.bin`);
  if (!fs.existsSync(manifestFile) || !fs.existsSync(binFile)) return null;
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  const bytes = fs.readFileSync(binFile);
  const read = (t: Manifest['tensors'][number]) => {
    if (t.offset + t.length * 4 > bytes.length) throw new Error(`${name}.bin is shorter than its manifest`);
    const copy = new Float32Array(t.length);
    new Uint8Array(copy.buffer).set(bytes.subarray(t.offset, t.offset + t.length * 4));
    return copy;
  };
  return {
    state: {
      step: manifest.step,
      weights: manifest.tensors.filter((t) => !t.name.startsWith('adam:')).map(read),
      optimizer: manifest.tensors.filter((t) => t.name.startsWith('adam:')).map((t) => ({ name: t.name.slice(5), data: read(t), shape: t.shape })),
    },
    info: manifest.info,
  };
}

export function removeTrainState(dir: string, name: string): void {
  fs.rmSync(path.join(dir, `${name}.json`), { force: true });
  fs.rmSync(path.join(dir, `${name}.bin`), { force: true });
}
