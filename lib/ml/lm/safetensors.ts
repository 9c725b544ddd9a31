/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
 * { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__? }, then the raw little-endian
 * bytes. Reads F32, F16 and BF16 (as Float32Array), from bytes in memory or tensor by tensor from a file
 * (a multi-GB shard is never read into one buffer); writes F32 with the header padded to 8 bytes.
 */
import fs from 'node:fs';

export type NamedTensor = { name: string; shape: number[]; data: Float32Array };

const MAX_HEADER = 100 * 1024 * 1024;

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

let halfTable: Float32Array | undefined;
/** Every F16 bit pattern's value, built on first use (256 KiB): a lookup per element instead of arithmetic. */
const halves = () => (halfTable ??= Float32Array.from({ length: 65536 }, (_, h) => halfToFloat(h)));

type HeaderEntry = { dtype: string; shape: number[]; data_offsets: [number, number] };
const WIDTH: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

/** The tensor's raw bytes (little-endian, `dtype`) as float32. */
function toFloat32(raw: Uint8Array, dtype: string, count: number): Float32Array {
  if (dtype === 'F32') {
    const out = new Float32Array(count);
    new Uint8Array(out.buffer).set(raw);
    return out;
  }
  // Little-endian 16-bit values; an aligned copy when the bytes are not 2-aligned.
  const aligned = raw.byteOffset % 2 === 0 ? raw : raw.slice();
  const words = new Uint16Array(aligned.buffer, aligned.byteOffset, count);
  if (dtype === 'BF16') {
    // bfloat16 is the top half of a float32.
    const bits = new Uint32Array(count);
    for (let i = 0; i < count; i++) bits[i] = words[i]! << 16;
    return new Float32Array(bits.buffer);
  }
  const table = halves();
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = table[words[i]!]!;
  return out;
}

function parseHeader(json: Uint8Array, what: string): Record<string, HeaderEntry> {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json)) as Record<string, HeaderEntry>;
  } catch (error) {
    throw new Error(`${what}: the header is not JSON (${(error as Error).message})`);
  }
}

/** Checks one header entry against the file's size; returns its element count. */
function checkEntry(name: string, t: HeaderEntry, dataBytes: number, what: string): number {
  const width = WIDTH[t.dtype];
  if (!width) throw new Error(`${what}: tensor ${name} has dtype ${t.dtype}; only F32, F16 and BF16 are read`);
  const count = t.shape.reduce((a, b) => a * b, 1);
  const [begin, end] = t.data_offsets;
  if (end - begin !== count * width || end > dataBytes || begin < 0) throw new Error(`${what}: tensor ${name} (${t.dtype} ${JSON.stringify(t.shape)}) has offsets ${begin}–${end} that do not match its size or the file`);
  return count;
}

export function readSafetensors(bytes: Uint8Array): Map<string, NamedTensor> {
  if (bytes.length < 8) throw new Error('safetensors: the file is shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER || 8 + headerLength > bytes.length) throw new Error(`safetensors: header length ${headerLength} does not fit in a ${bytes.length}-byte file`);
  const header = parseHeader(bytes.subarray(8, 8 + headerLength), 'safetensors');
  const base = 8 + headerLength;
  const out = new Map<string, NamedTensor>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const count = checkEntry(name, t, bytes.length - base, 'safetensors');
    out.set(name, { name, shape: t.shape, data: toFloat32(bytes.subarray(base + t.data_offsets[0], base + t.data_offsets[1]), t.dtype, count) });
  }
  return out;
}

/** A safetensors file opened for reading tensor by tensor: only the header is read up front. */
export type SafetensorsFile = {
  file: string;
  /** Tensor names with their dtype and shape, in the header's order. */
  entries: Map<string, { dtype: string; shape: number[] }>;
  /** Reads one tensor (only its bytes) as float32. */
  read(name: string): NamedTensor;
  close(): void;
};

export function openSafetensors(file: string): SafetensorsFile {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const what = `safetensors ${file}`;
    if (size < 8) throw new Error(`${what}: the file is shorter than its 8-byte header length`);
    const lengthBytes = Buffer.alloc(8);
    fs.readSync(fd, lengthBytes, 0, 8, 0);
    const headerLength = Number(lengthBytes.readBigUInt64LE(0));
    if (headerLength > MAX_HEADER || 8 + headerLength > size) throw new Error(`${what}: header length ${headerLength} does not fit in a ${size}-byte file`);
    const headerBytes = Buffer.alloc(headerLength);
    fs.readSync(fd, headerBytes, 0, headerLength, 8);
    const header = parseHeader(headerBytes, what);
    const base = 8 + headerLength;
    const counts = new Map<string, number>();
    for (const [name, t] of Object.entries(header)) if (name !== '__metadata__') counts.set(name, checkEntry(name, t, size - base, what));
    return {
      file,
      entries: new Map([...counts.keys()].map((name) => [name, { dtype: header[name]!.dtype, shape: header[name]!.shape }])),
      read(name) {
        const t = header[name];
        const count = counts.get(name);
        if (!t || count === undefined) throw new Error(`${what}: no tensor ${name}`);
        const [begin, end] = t.data_offsets;
        // F32 bytes are read straight into the array the tensor is made from: no second copy of a large tensor.
        const f32 = t.dtype === 'F32' ? new Float32Array(count) : null;
        const raw = f32 ? new Uint8Array(f32.buffer) : Buffer.alloc(end - begin);
        for (let done = 0; done < raw.length; ) {
          const n = fs.readSync(fd, raw, done, raw.length - done, base + begin + done);
          if (n === 0) throw new Error(`${what}: the file ended inside tensor ${name}`);
          done += n;
        }
        return { name, shape: t.shape, data: f32 ?? toFloat32(raw, t.dtype, count) };
      },
      close: () => fs.closeSync(fd),
    };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

function headerFor(tensors: readonly { name: string; shape: number[]; data: Float32Array }[], metadata: Record<string, string>): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json)]);
}

/** Writes tensors to `file` one by one (never the whole file in one buffer), through a temporary name. */
export function writeSafetensorsFile(file: string, tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): void {
  const partial = `${file}.partial`;
  const fd = fs.openSync(partial, 'w');
  try {
    fs.writeSync(fd, headerFor(tensors, metadata));
    for (const t of tensors) fs.writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(partial, file);
}

export function writeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Buffer {
  return Buffer.concat([headerFor(tensors, metadata), ...tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]);
}
