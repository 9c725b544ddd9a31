/**
 * Hugging Face tokenizers read from `tokenizer.json` (and `tokenizer_config.json`) through
 * @huggingface/tokenizers, Hugging Face's own JavaScript port of the `tokenizers` library (the one
 * transformers.js uses): byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM), SentencePiece-style BPE with
 * Metaspace and byte fallback (Llama 2, Mistral, TinyLlama), normalizers, pre-tokenizers with Oniguruma
 * patterns translated to JavaScript, post-processors and decoders. What this file adds:
 * - Content is text. Special tokens written in user content (`<|im_end|>`, `</s>`) are encoded as the
 *   characters they are, never as control tokens; only a chat template's own text may produce them
 *   (`encodeSections`), so nobody can close a turn or forge one from inside a prompt or a response.
 * - Decoding never shows U+FFFD: bytes are joined across tokens before they are decoded (so a character
 *   split over two tokens comes out whole), and bytes that are no character at all — a cut-off tail, a
 *   sampled sequence that is not UTF-8 — are dropped rather than shown as "�".
 * And the reverse direction: Arbiter's own BPE written as a GPT-2-style tokenizer.json, so a policy
 * trained here loads in `transformers` unchanged.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import type { BpeTokenizer } from './bpe';

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

/** The common surface of Arbiter's BPE and Hugging Face tokenizers, as the models' code uses it. */
export type TextTokenizer = {
  vocabSize: number;
  /** The token that ends a sequence the model writes. */
  eosId: number;
  /** Text to ids, nothing added, special tokens in the text encoded as plain text. */
  encode(text: string): number[];
  /** Ids to text, special tokens left out. */
  decode(ids: readonly number[]): string;
};

/** A piece of text to encode: template text (may hold special tokens) or content (never does). */
export type TextSection = { text: string; content: boolean };

type TokenizerInternals = {
  normalizer: ((text: string) => string) | null;
  pre_tokenizer: ((text: string, options: { section_index: number }) => string[]) | null;
  model: ((pieces: string[]) => string[]) & { tokens_to_ids: Map<string, number>; unk_token_id?: number };
  get_added_tokens_decoder(): Map<number, { content: string; special: boolean; lstrip: boolean; rstrip: boolean; normalized: boolean }>;
  get_vocab(withAdded?: boolean): Map<string, number>;
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean }): string;
};

/** A token given in tokenizer_config.json: a string, or an AddedToken object with `content`. */
export function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

export class HfTokenizer implements TextTokenizer {
  private readonly inner: TokenizerInternals;
  /** Added tokens by content, longest first (so `<|im_end|>` is matched before a shorter prefix). */
  private readonly added: { content: string; id: number; lstrip: boolean; rstrip: boolean }[];
  readonly vocabSize: number;
  readonly eosId: number;
  /** The padding token tokenizer_config.json names, or null (TRL then pads with the end-of-sequence token). */
  readonly padId: number | null;
  /** Ids the tokenizer's post-processor puts before a text (Llama's BOS); empty where it adds none. */
  readonly prefixIds: number[];
  private readonly specialIds: Set<number>;

  constructor(json: unknown, config: Record<string, unknown> = {}, fallbackEosId?: number) {
    const t = json as { model?: { type?: string }; added_tokens?: unknown[] } | null;
    if (typeof t !== 'object' || t === null || typeof t.model !== 'object' || t.model === null) throw new Error('tokenizer.json: expected an object with a "model"');
    // Every family Arbiter runs (GPT-2, Llama, Qwen2, Mistral) tokenizes with BPE, byte-level or SentencePiece-style.
    if (t.model.type !== 'BPE') throw new Error(`tokenizer.json: model type ${JSON.stringify(t.model.type)} is not supported (BPE is)`);
    try {
      // clean_up_tokenization_spaces changes decoded text (" ." → "."); transformers now defaults it to false.
      this.inner = new Tokenizer({ added_tokens: [], ...t }, { clean_up_tokenization_spaces: false, ...config }) as unknown as TokenizerInternals;
    } catch (error) {
      throw new Error(`tokenizer.json: ${(error as Error).message}`);
    }
    const decoder = this.inner.get_added_tokens_decoder();
    this.added = [...decoder].map(([id, a]) => ({ content: a.content, id, lstrip: a.lstrip, rstrip: a.rstrip })).sort((a, b) => b.content.length - a.content.length);
    this.specialIds = new Set([...decoder].filter(([, a]) => a.special).map(([id]) => id));
    const vocab = this.inner.get_vocab(true);
    this.vocabSize = Math.max(...vocab.values()) + 1;
    const named = tokenContent(config.eos_token);
    const eos = (named !== undefined ? vocab.get(named) : undefined) ?? fallbackEosId ?? vocab.get('<|endoftext|>') ?? vocab.get('</s>') ?? [...this.specialIds].at(-1);
    if (eos === undefined) throw new Error('tokenizer: no end-of-sequence token (tokenizer_config.json names none and the vocabulary has no <|endoftext|> or </s>)');
    this.eosId = eos;
    const pad = tokenContent(config.pad_token);
    this.padId = (pad !== undefined ? vocab.get(pad) : undefined) ?? null;
    this.prefixIds = this.inner.encode('', { add_special_tokens: true }).ids;
  }

  /** The id of a token string, or undefined. */
  idOf(token: string): number | undefined {
    return this.inner.get_vocab(true).get(token);
  }

  encode(text: string): number[] {
    return this.encodeSections([{ text, content: true }]);
  }

  /**
   * Encodes sections as one text: special tokens are recognised in template sections only, and the text
   * between two special tokens is encoded as a whole, even when it runs across sections, as the
   * tokenizer would encode the joined string (so a template's "[INST] " and the content after it merge as
   * they do in training). An added token's lstrip/rstrip trims the whitespace beside it, as in tokenizers.
   */
  encodeSections(sections: readonly TextSection[]): number[] {
    type Piece = { special: number } | { text: string };
    const pieces: Piece[] = [];
    const pushText = (text: string) => {
      const last = pieces.at(-1);
      if (last && 'text' in last) last.text += text;
      else pieces.push({ text });
    };
    for (const section of sections) {
      if (section.content) {
        pushText(section.text);
        continue;
      }
      let rest = section.text;
      while (rest.length > 0) {
        let at = -1;
        let found: (typeof this.added)[number] | undefined;
        for (const a of this.added) {
          const k = rest.indexOf(a.content);
          if (k >= 0 && (at < 0 || k < at)) [at, found] = [k, a];
        }
        if (!found) {
          pushText(rest);
          break;
        }
        pushText(rest.slice(0, at));
        const before = pieces.at(-1);
        if (found.lstrip && before && 'text' in before) before.text = before.text.trimEnd();
        pieces.push({ special: found.id });
        rest = rest.slice(at + found.content.length);
        if (found.rstrip) rest = rest.trimStart();
      }
    }
    const ids: number[] = [];
    pieces.forEach((piece, index) => {
      if ('special' in piece) ids.push(piece.special);
      else ids.push(...this.encodeText(piece.text, index));
    });
    return ids;
  }

  /** One stretch of text with no special tokens in it: normalizer, pre-tokenizer, model (tokenizers' pipeline). */
  private encodeText(text: string, sectionIndex: number): number[] {
    if (text.length === 0) return [];
    const normalized = this.inner.normalizer ? this.inner.normalizer(text) : text;
    if (normalized.length === 0) return [];
    const words = this.inner.pre_tokenizer ? this.inner.pre_tokenizer(normalized, { section_index: sectionIndex }) : [normalized];
    const model = this.inner.model;
    return model(words).map((token) => {
      const id = model.tokens_to_ids.get(token) ?? model.unk_token_id;
      if (id === undefined) throw new Error(`tokenizer: token ${JSON.stringify(token)} is not in the vocabulary and there is no unknown token`);
      return id;
    });
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  decode(ids: readonly number[]): string {
    const kept = ids.filter((id) => !this.specialIds.has(id) && id >= 0 && id < this.vocabSize);
    if (kept.length === 0) return '';
    // The decoders join the tokens' bytes and decode them together; what is not UTF-8 comes back as U+FFFD.
    return this.inner.decode(kept, { skip_special_tokens: true }).replaceAll('\uFFFD', '');
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
