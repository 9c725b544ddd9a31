/**
 * Byte-level BPE (the GPT-2 scheme): text is split by GPT-2's pre-tokenisation pattern, each piece is
 * taken as UTF-8 bytes (ids 0–255, so any text encodes, nothing is unknown), and learned merges join
 * the most frequent adjacent pairs into new ids 256, 257, … Training counts pairs over the distinct
 * pieces weighted by frequency and updates only the pieces a merge touches. Pure and deterministic.
 */

/** GPT-2's pre-tokeniser: contractions, letters, digits, other symbols, whitespace. */
const PIECES = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type BpeModel = { format: 'arbiter-bpe/1'; merges: [number, number][]; specials: string[] };

export class BpeTokenizer {
  private readonly rank = new Map<string, number>();
  private readonly parts: [number, number][];
  private readonly cache = new Map<string, number[]>();

  constructor(readonly model: BpeModel) {
    model.merges.forEach(([a, b], i) => this.rank.set(`${a},${b}`, i));
    this.parts = model.merges;
  }

  /** Byte values 0–255, then one id per merge, then the special tokens. */
  get vocabSize() {
    return 256 + this.model.merges.length + this.model.specials.length;
  }

  specialId(token: string): number {
    const k = this.model.specials.indexOf(token);
    if (k < 0) throw new Error(`no special token ${token}`);
    return 256 + this.model.merges.length + k;
  }

  private encodePiece(piece: string): number[] {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    let ids = Array.from(encoder.encode(piece));
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        const r = this.rank.get(`${ids[i]},${ids[i + 1]}`);
        if (r !== undefined && (best < 0 || r < best)) best = r;
      }
      if (best < 0) break;
      const merged = 256 + best;
      const [a, b] = this.parts[best]!;
      const next: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
          next.push(merged);
          i++;
        } else next.push(ids[i]!);
      }
      ids = next;
    }
    if (this.cache.size < 200_000) this.cache.set(piece, ids);
    return ids;
  }

  /** Text → ids (special tokens in the text are ordinary text: user content may contain them). */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const piece of text.match(PIECES) ?? []) out.push(...this.encodePiece(piece));
    return out;
  }

  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    const expand = (id: number) => {
      if (id < 256) bytes.push(id);
      else if (id < 256 + this.parts.length) {
        const [a, b] = this.parts[id - 256]!;
        expand(a);
        expand(b);
      }
    };
    for (const id of ids) expand(id);
    // Bytes that form no character (a cut-off tail, a sampled sequence that is not UTF-8) are dropped, not shown as U+FFFD.
    return decoder.decode(new Uint8Array(bytes)).replaceAll('\uFFFD', '');
  }
}

/** Learns `merges` merges from texts (most frequent adjacent pair first; ties by smaller pair ids). */
export function trainBpe(texts: Iterable<string>, merges: number, specials: string[] = ['<|endoftext|>']): BpeTokenizer {
  const freq = new Map<string, number>();
  for (const t of texts) for (const piece of t.match(PIECES) ?? []) freq.set(piece, (freq.get(piece) ?? 0) + 1);
  const words = [...freq].map(([piece, n]) => ({ ids: Array.from(encoder.encode(piece)), n }));
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const key = (a: number, b: number) => a * 65536 + b;
  const add = (w: number, delta: number) => {
    const { ids, n } = words[w]!;
    for (let i = 0; i + 1 < ids.length; i++) {
      const k = key(ids[i]!, ids[i + 1]!);
      pairCount.set(k, (pairCount.get(k) ?? 0) + delta * n);
      if (delta > 0) {
        let set = where.get(k);
        if (!set) where.set(k, (set = new Set()));
        set.add(w);
      }
    }
  };
  words.forEach((_, w) => add(w, 1));
  const learned: [number, number][] = [];
  // The byte string of every id: a merge that would repeat an existing token's string is skipped, so
  // the vocabulary maps strings to ids one to one (as tokenizer.json needs).
  const spelled: string[] = Array.from({ length: 256 }, (_, b) => String.fromCharCode(b));
  const known = new Set(spelled);
  const banned = new Set<number>();
  for (let m = 0; m < merges; m++) {
    let bestKey = -1;
    let bestCount = 0;
    for (const [k, c] of pairCount) if (!banned.has(k) && (c > bestCount || (c === bestCount && c > 0 && k < bestKey))) [bestKey, bestCount] = [k, c];
    if (bestCount < 2) break;
    const a = Math.floor(bestKey / 65536);
    const b = bestKey % 65536;
    const spelling = spelled[a]! + spelled[b]!;
    if (known.has(spelling)) {
      banned.add(bestKey);
      m--;
      continue;
    }
    known.add(spelling);
    spelled.push(spelling);
    const id = 256 + learned.length;
    learned.push([a, b]);
    for (const w of where.get(bestKey) ?? []) {
      add(w, -1);
      const ids = words[w]!.ids;
      const next: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
          next.push(id);
          i++;
        } else next.push(ids[i]!);
      }
      words[w]!.ids = next;
      add(w, 1);
    }
    if (!pairCount.get(bestKey)) {
      pairCount.delete(bestKey);
      where.delete(bestKey);
    }
  }
  return new BpeTokenizer({ format: 'arbiter-bpe/1', merges: learned, specials });
}
