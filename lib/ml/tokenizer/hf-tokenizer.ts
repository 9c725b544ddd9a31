/**
 * GPT-2-family byte-level BPE read from a Hugging Face `tokenizer.json` (model type BPE with a ByteLevel
 * pre-tokenizer), and the reverse: Arbiter's own BPE written as such a file, so a policy trained here
 * loads in `transformers` unchanged. Bytes are shown as GPT-2's printable characters (bytes_to_unicode),
 * merges act on those strings, and the vocabulary maps the merged strings to ids. Special tokens in user
 * text are ordinary text here, as in BpeTokenizer: content may contain `<|endoftext|>`.
 */
import type { BpeTokenizer } from './bpe';

const PIECES = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const utf8 = new TextEncoder();

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards. */
export const BYTE_TO_CHAR: string[] = (() => {
  const printable = new Set<number>();
  for (let b = 33; b <= 126; b++) printable.add(b);
  for (let b = 161; b <= 172; b++) printable.add(b);
  for (let b = 174; b <= 255; b++) printable.add(b);
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(printable.has(b) ? b : 256 + n++);
  return out;
})();
const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The common surface of both tokenizers, as the GPT code uses it. */
export type TextTokenizer = { vocabSize: number; eosId: number; encode(text: string): number[]; decode(ids: readonly number[]): string };

type TokenizerJson = {
  added_tokens?: { id: number; content: string; special?: boolean }[];
  pre_tokenizer?: { type?: string; pretokenizers?: { type?: string }[] } | null;
  model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[] };
};

export class HfBpeTokenizer implements TextTokenizer {
  private readonly vocab: Map<string, number>;
  private readonly inverse: string[] = [];
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();
  readonly vocabSize: number;
  readonly eosId: number;

  constructor(json: unknown) {
    const t = json as TokenizerJson;
    if (typeof t !== 'object' || t === null || t.model?.type !== 'BPE' || typeof t.model.vocab !== 'object' || !Array.isArray(t.model.merges))
      throw new Error('tokenizer.json: expected a BPE model with "vocab" and "merges"');
    const pre = t.pre_tokenizer;
    const byteLevel = pre?.type === 'ByteLevel' || (pre?.type === 'Sequence' && pre.pretokenizers?.some((p) => p.type === 'ByteLevel'));
    if (!byteLevel) throw new Error('tokenizer.json: only byte-level BPE (GPT-2 family) is supported');
    this.vocab = new Map(Object.entries(t.model.vocab!));
    for (const [s, id] of this.vocab) this.inverse[id] = s;
    for (const a of t.added_tokens ?? []) {
      this.vocab.set(a.content, a.id);
      this.inverse[a.id] = a.content;
    }
    for (const c of BYTE_TO_CHAR) if (!this.vocab.has(c)) throw new Error(`tokenizer.json: the vocabulary lacks the byte token ${JSON.stringify(c)}`);
    t.model.merges!.forEach((m, i) => {
      const [a, b] = typeof m === 'string' ? m.split(' ') : m;
      if (a === undefined || b === undefined) throw new Error(`tokenizer.json: merge ${i} is not a pair`);
      this.ranks.set(`${a} ${b}`, i);
    });
    this.vocabSize = Math.max(...this.vocab.values()) + 1;
    const eos = (t.added_tokens ?? []).find((a) => a.content === '<|endoftext|>') ?? (t.added_tokens ?? []).find((a) => a.special);
    this.eosId = eos?.id ?? this.vocab.get('<|endoftext|>') ?? this.vocabSize - 1;
  }

  private encodePiece(piece: string): number[] {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    let symbols = Array.from(utf8.encode(piece), (b) => BYTE_TO_CHAR[b]!);
    while (symbols.length > 1) {
      let best = -1;
      let at = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && (best < 0 || r < best)) [best, at] = [r, i];
      }
      if (best < 0) break;
      const a = symbols[at]!;
      const b = symbols[at + 1]!;
      const next: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(symbols[i]!);
      }
      symbols = next;
    }
    const ids = symbols.map((s) => {
      const id = this.vocab.get(s);
      if (id === undefined) throw new Error(`tokenizer.json: merged token ${JSON.stringify(s)} is not in the vocabulary`);
      return id;
    });
    if (this.cache.size < 200_000) this.cache.set(piece, ids);
    return ids;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const piece of text.match(PIECES) ?? []) out.push(...this.encodePiece(piece));
    return out;
  }

  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const s = this.inverse[id];
      if (s === undefined) continue;
      for (const ch of s) {
        const b = CHAR_TO_BYTE.get(ch);
        if (b === undefined) bytes.push(...utf8.encode(ch));
        else bytes.push(b);
      }
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  }
}

/** Arbiter's BPE as a GPT-2-style tokenizer.json: id k < 256 is byte k, merge m is id 256 + m, then specials. */
export function bpeToTokenizerJson(tok: BpeTokenizer): object {
  const strings: string[] = BYTE_TO_CHAR.slice();
  const merges: [string, string][] = [];
  for (const [a, b] of tok.model.merges) {
    merges.push([strings[a]!, strings[b]!]);
    strings.push(strings[a]! + strings[b]!);
  }
  const vocab: Record<string, number> = {};
  strings.forEach((s, id) => {
    if (!(s in vocab)) vocab[s] = id;
  });
  const added = tok.model.specials.map((content) => ({ id: tok.specialId(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  };
}

/** Arbiter's BPE behind the shared surface (its end-of-text special is the EOS). */
export function asTextTokenizer(tok: BpeTokenizer): TextTokenizer {
  return { vocabSize: tok.vocabSize, eosId: tok.specialId('<|endoftext|>'), encode: (t) => tok.encode(t), decode: (ids) => tok.decode(ids) };
}
