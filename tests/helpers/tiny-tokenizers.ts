/**
 * Small tokenizer.json files in the two forms Llama-family checkpoints ship, written out by hand so that
 * a test can derive the ids of a text from the file's own rules:
 * - byte-level BPE as Llama 3 and Qwen2 have it: a Split pre-tokenizer with their regex, then ByteLevel
 *   without its own regex; `ignore_merges` (a whole word in the vocabulary is taken as is); a post-processor
 *   that puts BOS first; special tokens for a chat template;
 * - SentencePiece-style BPE as Llama 2, Mistral and TinyLlama have it: "▁" for spaces (by a normalizer, or
 *   by a Metaspace pre-tokenizer in newer files), byte fallback tokens <0x00>…<0xFF> for characters out of
 *   the vocabulary, BOS `<s>` first.
 */
import { BYTE_TO_CHAR } from '@/lib/ml/tokenizer/hf-tokenizer';

/** Llama 3's pre-tokenizer pattern (meta-llama/Meta-Llama-3-8B tokenizer.json): digits in runs of at most three. */
export const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const added = (id: number, content: string, special = true) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special });

/**
 * Byte-level: id b < 256 is byte b; then one id per merge (in merge order), then `extra` words, then the
 * specials <|begin_of_text|>, <|eot_id|>, <|start_header_id|>, <|end_header_id|>.
 */
export function byteLevelTokenizer(merges: [string, string][], extra: string[] = []) {
  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((c, b) => (vocab[c] = b));
  for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
  for (const w of extra) vocab[w] = Object.keys(vocab).length;
  const base = Object.keys(vocab).length;
  const specials = ['<|begin_of_text|>', '<|eot_id|>', '<|start_header_id|>', '<|end_header_id|>'];
  const ids = Object.fromEntries(specials.map((s, k) => [s, base + k])) as Record<string, number>;
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((s) => added(ids[s]!, s)),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: LLAMA3_SPLIT }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'Sequence',
      processors: [
        { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
        {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|begin_of_text|>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
          special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [ids['<|begin_of_text|>']], tokens: ['<|begin_of_text|>'] } },
        },
      ],
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab, merges },
  };
  return { json, ids, vocab };
}

/** Llama 3's chat template, as its tokenizer_config.json has it (the date and tool parts left out). */
export const LLAMA3_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] | trim }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}";

/**
 * SentencePiece-style: <unk>, <s>, </s>, the 256 byte tokens <0x00>…<0xFF> (ids 3…258), then `pieces`.
 * `style` 'normalizer' is the older file (Prepend and Replace normalizers, no pre-tokenizer, as Llama 2 and
 * TinyLlama), 'metaspace' the newer (a Metaspace pre-tokenizer that prepends "▁" to the first section).
 */
export function sentencePieceTokenizer(pieces: string[], merges: [string, string][], style: 'normalizer' | 'metaspace') {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  for (const p of pieces) vocab[p] = Object.keys(vocab).length;
  const metaspace = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false };
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [added(0, '<unk>'), added(1, '<s>'), added(2, '</s>')],
    normalizer:
      style === 'normalizer'
        ? { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] }
        : null,
    pre_tokenizer: style === 'metaspace' ? metaspace : null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    // Both forms decode alike: "▁" back to spaces, byte tokens joined into characters, the first space dropped.
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
  };
  return { json, vocab };
}
