/**
 * A local GPT-2-family checkpoint as a directory: `config.json` (Hugging Face GPT2Config), `model.safetensors`
 * and `tokenizer.json`. Loading checks each file and says which one is wrong; saving writes the same three
 * files, which `transformers`' GPT2LMHeadModel and AutoTokenizer read unchanged.
 * Which directories may be read is decided outside lib/ml (lib/checkpoints.ts): users pick a checkpoint
 * by name, never by path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HfBpeTokenizer, type TextTokenizer } from '../tokenizer/hf-tokenizer';
import { Gpt, type GptConfig } from './model';
import { readSafetensors, writeSafetensors } from './safetensors';

type HfGpt2Config = {
  model_type?: string;
  vocab_size?: number;
  n_positions?: number;
  n_embd?: number;
  n_layer?: number;
  n_head?: number;
  n_inner?: number | null;
  layer_norm_epsilon?: number;
  activation_function?: string;
  tie_word_embeddings?: boolean;
};

export function parseGptConfig(json: unknown): GptConfig {
  const c = json as HfGpt2Config;
  if (typeof c !== 'object' || c === null) throw new Error('config.json: not a JSON object');
  if (c.model_type !== undefined && c.model_type !== 'gpt2') throw new Error(`config.json: model_type ${JSON.stringify(c.model_type)} is not a GPT-2-family model ("gpt2")`);
  const need = (key: keyof HfGpt2Config) => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`config.json: ${key} must be a positive integer (got ${JSON.stringify(v)})`);
    return v;
  };
  const config: GptConfig = { vocabSize: need('vocab_size'), nPositions: need('n_positions'), nEmbd: need('n_embd'), nLayer: need('n_layer'), nHead: need('n_head'), layerNormEpsilon: c.layer_norm_epsilon ?? 1e-5 };
  if (c.n_inner != null && c.n_inner !== 4 * config.nEmbd) throw new Error(`config.json: n_inner ${c.n_inner} is not 4 × n_embd; only GPT-2's MLP width is supported`);
  if (c.activation_function && !['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'].includes(c.activation_function)) throw new Error(`config.json: activation_function ${c.activation_function} is not supported (GPT-2's tanh GELU, gelu_new, is)`);
  if (c.tie_word_embeddings === false) throw new Error('config.json: untied word embeddings are not supported');
  if (config.nEmbd % config.nHead !== 0) throw new Error(`config.json: n_embd ${config.nEmbd} is not a multiple of n_head ${config.nHead}`);
  return config;
}

export function gptConfigJson(c: GptConfig, extra: { eosId?: number } = {}): object {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: c.vocabSize,
    n_positions: c.nPositions,
    n_ctx: c.nPositions,
    n_embd: c.nEmbd,
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: c.layerNormEpsilon,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    tie_word_embeddings: true,
    ...(extra.eosId !== undefined ? { bos_token_id: extra.eosId, eos_token_id: extra.eosId } : {}),
  };
}

function readJson(dir: string, name: string): unknown {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new Error(`checkpoint ${dir}: ${name} is missing`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`checkpoint ${dir}: ${name} is not valid JSON (${(error as Error).message})`);
  }
}

export type LoadedCheckpoint = { config: GptConfig; tokenizer: TextTokenizer; model: Gpt };

/** Reads config.json, tokenizer.json and model.safetensors; `trainable` false gives frozen weights. */
export function loadCheckpoint(dir: string, { trainable = false } = {}): LoadedCheckpoint {
  const config = parseGptConfig(readJson(dir, 'config.json'));
  const tokenizer = new HfBpeTokenizer(readJson(dir, 'tokenizer.json'));
  if (tokenizer.vocabSize > config.vocabSize) throw new Error(`checkpoint ${dir}: tokenizer.json has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}`);
  const weightsFile = path.join(dir, 'model.safetensors');
  if (!fs.existsSync(weightsFile)) throw new Error(`checkpoint ${dir}: model.safetensors is missing`);
  const tensors = readSafetensors(fs.readFileSync(weightsFile));
  const model = new Gpt(config, 0, trainable);
  try {
    model.loadTensors(tensors);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { config, tokenizer, model };
}

/** Writes the three files a GPT-2 checkpoint is made of. */
export function saveCheckpoint(dir: string, model: Gpt, tokenizerJson: object, eosId?: number): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(gptConfigJson(model.config, { eosId }), null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), writeSafetensors(model.toTensors(), { format: 'pt' }));
}
