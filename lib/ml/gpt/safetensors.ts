/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
 * { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__? }, then the raw little-endian
 * bytes. Reads F32, F16 and BF16 (as Float32Array); writes F32 with the header padded to 8 bytes.
 */

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

export function readSafetensors(bytes: Uint8Array): Map<string, NamedTensor> {
  if (bytes.length < 8) throw new Error('safetensors: the file is shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER || 8 + headerLength > bytes.length) throw new Error(`safetensors: header length ${headerLength} does not fit in a ${bytes.length}-byte file`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new Error(`safetensors: the header is not JSON (${(error as Error).message})`);
  }
  const base = 8 + headerLength;
  const out = new Map<string, NamedTensor>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const count = t.shape.reduce((a, b) => a * b, 1);
    const [begin, end] = t.data_offsets;
    const width = { F32: 4, F16: 2, BF16: 2 }[t.dtype];
    if (!width) throw new Error(`safetensors: tensor ${name} has dtype ${t.dtype}; only F32, F16 and BF16 are read`);
    if (end - begin !== count * width || base + end > bytes.length || begin < 0) throw new Error(`safetensors: tensor ${name} (${t.dtype} ${JSON.stringify(t.shape)}) has offsets ${begin}–${end} that do not match its size or the file`);
    const data = new Float32Array(count);
    if (t.dtype === 'F32') new Uint8Array(data.buffer).set(bytes.subarray(base + begin, base + end));
    else
      for (let i = 0; i < count; i++) {
        const h = view.getUint16(base + begin + 2 * i, true);
        data[i] = t.dtype === 'F16' ? halfToFloat(h) : new Float32Array(new Uint32Array([h << 16]).buffer)[0]!;
      }
    out.set(name, { name, shape: t.shape, data });
  }
  return out;
}

export function writeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Buffer {
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
  return Buffer.concat([head, Buffer.from(json), ...tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]);
}
