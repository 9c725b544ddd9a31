/**
 * A local Hugging Face checkpoint as a directory, as `save_pretrained` writes it:
 * - `config.json`, whose `model_type` chooses the family: `gpt2` (lib/ml/gpt), or `llama`, `qwen2`,
 *   `mistral` (lib/ml/llama); anything else is refused by name;
 * - weights in `model.safetensors`, or sharded as `model.safetensors.index.json` and the shards it names,
 *   in F32, F16 or BF16, read tensor by tensor (a shard is never read whole into memory);
 * - `tokenizer.json`, with `tokenizer_config.json` (special tokens, the chat template, also read from
 *   `chat_template.jinja`) and `generation_config.json` (more end-of-sequence ids) when present.
 * Every problem names its file, and a weight that is missing or the wrong shape names the tensor.
 * Which directories may be read is decided outside lib/ml (lib/checkpoints.ts): users pick a checkpoint
 * by name, never by path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tf } from '../backend';
import { parseGptConfig } from '../gpt/config';
import { Gpt } from '../gpt/model';
import { isLlamaFamily, LLAMA_MODEL_TYPES, parseLlamaConfig } from '../llama/config';
import { AdapterReference } from './adapter-reference';
import { Llama, randomWeights } from '../llama/model';
import { chatTemplateOf, plainChatFormat, templateChatFormat, type ChatFormat } from '../tokenizer/chat-format';
import { HfTokenizer } from '../tokenizer/hf-tokenizer';
import type { CausalLm, LmSpec, WeightSource } from './causal-lm';
import { adapterConfigJson, parseAdapterConfig } from './lora';
import { openSafetensors, writeSafetensorsFile, type NamedTensor, type SafetensorsFile } from './safetensors';

const SUPPORTED = ['gpt2', ...LLAMA_MODEL_TYPES];

/** Tokenizer files copied from a base checkpoint to one trained from it. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'chat_template.jinja'] as const;

function readJson(dir: string, name: string): unknown {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new Error(`checkpoint ${dir}: ${name} is missing`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`checkpoint ${dir}: ${name} is not valid JSON (${(error as Error).message})`);
  }
}

const readOptionalJson = (dir: string, name: string): Record<string, unknown> => (fs.existsSync(path.join(dir, name)) ? (readJson(dir, name) as Record<string, unknown>) : {});

/** The family and sizes config.json describes. */
export function specFromConfig(json: unknown, where = 'config.json'): LmSpec {
  try {
    const c = json as Record<string, unknown> | null;
    if (typeof c !== 'object' || c === null) throw new Error('config.json: not a JSON object');
    if (isLlamaFamily(c)) return { family: 'llama', config: parseLlamaConfig(c) };
    if (c.model_type === 'gpt2' || (c.model_type === undefined && 'n_embd' in c)) return { family: 'gpt2', config: parseGptConfig(c) };
    throw new Error(`config.json: model_type ${JSON.stringify(c.model_type)} is not supported; Arbiter runs ${SUPPORTED.join(', ')} checkpoints`);
  } catch (error) {
    throw where === 'config.json' ? error : new Error(`${where}: ${(error as Error).message}`);
  }
}

export function readCheckpointSpec(dir: string): LmSpec {
  return specFromConfig(readJson(dir, 'config.json'), `checkpoint ${dir}`);
}

/** A fresh model (random weights) of a spec, or one with the given weights. */
export function createLm(spec: LmSpec, { seed = 0, trainable = true, weights }: { seed?: number; trainable?: boolean; weights?: WeightSource } = {}): CausalLm {
  if (spec.family === 'llama') return new Llama(spec.config, weights ?? randomWeights(seed), trainable);
  const model = new Gpt(spec.config, seed, trainable);
  if (weights) {
    try {
      model.loadWeights(weights);
    } catch (error) {
      model.dispose();
      throw error;
    }
  }
  return model;
}

function checkedTensor(t: NamedTensor, shape: number[], what: string): tf.Tensor {
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) throw new Error(`${what}: tensor ${t.name} has shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)} from config.json`);
  return tf.tensor(t.data, shape);
}

/** The weight files of a checkpoint: the index and its shards, or the single file. */
export function weightFiles(dir: string): string[] {
  const index = path.join(dir, 'model.safetensors.index.json');
  if (fs.existsSync(index)) {
    const map = (readJson(dir, 'model.safetensors.index.json') as { weight_map?: Record<string, string> }).weight_map;
    if (typeof map !== 'object' || map === null) throw new Error(`checkpoint ${dir}: model.safetensors.index.json has no weight_map`);
    return ['model.safetensors.index.json', ...[...new Set(Object.values(map))].sort()];
  }
  if (fs.existsSync(path.join(dir, 'model.safetensors'))) return ['model.safetensors'];
  throw new Error(`checkpoint ${dir}: no weights (model.safetensors or model.safetensors.index.json)`);
}

/** Every file that makes the checkpoint what it is, for its fingerprint. */
export function checkpointFiles(dir: string): string[] {
  return ['config.json', ...TOKENIZER_FILES.filter((f) => f === 'tokenizer.json' || fs.existsSync(path.join(dir, f))), ...weightFiles(dir)];
}

/**
 * The checkpoint's weights as a WeightSource: each tensor read from its shard when asked for, checked by
 * name and shape. `close` releases the open files.
 */
export function checkpointWeights(dir: string): { source: WeightSource; read(name: string): NamedTensor | undefined; close(): void } {
  const files = weightFiles(dir).filter((f) => f !== 'model.safetensors.index.json');
  const index = fs.existsSync(path.join(dir, 'model.safetensors.index.json')) ? (readJson(dir, 'model.safetensors.index.json') as { weight_map: Record<string, string> }).weight_map : null;
  const open = new Map<string, SafetensorsFile>();
  const shard = (file: string): SafetensorsFile => {
    let handle = open.get(file);
    if (!handle) {
      const full = path.join(dir, file);
      if (!fs.existsSync(full)) throw new Error(`checkpoint ${dir}: ${file} is missing${index ? ' (named in model.safetensors.index.json)' : ''}`);
      handle = openSafetensors(full);
      open.set(file, handle);
    }
    return handle;
  };
  const read = (name: string): NamedTensor | undefined => {
    const file = index ? index[name] : files[0]!;
    if (!file) return undefined;
    const handle = shard(file);
    return handle.entries.has(name) ? handle.read(name) : undefined;
  };
  const source: WeightSource = (name, shape) => {
    // GPT-2 checkpoints saved from GPT2LMHeadModel put `transformer.` before GPT2Model's names.
    const t = read(name) ?? read(`transformer.${name}`);
    if (!t) throw new Error(`checkpoint ${dir}: tensor ${name} is missing from ${index ? 'model.safetensors.index.json' : files[0]}`);
    return checkedTensor(t, shape, `checkpoint ${dir}`);
  };
  return { source, read, close: () => open.forEach((f) => f.close()) };
}

/**
 * A training stage's snapshot of what training changes: every weight, or the LoRA adapter alone (the base
 * never changes, so the adapter stays an adapter of the base checkpoint), as one safetensors file.
 */
export function saveSnapshot(model: CausalLm, file: string): void {
  writeSafetensorsFile(file, model instanceof Llama && model.lora ? model.adapterTensors() : model.toTensors());
}

/** Puts a snapshot written by saveSnapshot back into the model (read tensor by tensor). */
export function loadSnapshot(model: CausalLm, file: string): void {
  const handle = openSafetensors(file);
  try {
    if (model instanceof Llama && model.lora) model.loadAdapter(safetensorsSource(handle));
    else model.loadWeights(safetensorsSource(handle));
  } finally {
    handle.close();
  }
}

/**
 * A reference policy with a snapshot's weights, `model` left as it was: a frozen copy; under LoRA, the model
 * itself with the snapshot's adapter swapped in for each call (lm/adapter-reference.ts), no second copy.
 */
export function referenceFromSnapshot(model: CausalLm, file: string): CausalLm {
  if (!(model instanceof Llama && model.lora)) {
    const handle = openSafetensors(file);
    try {
      return createLm(model.spec, { trainable: false, weights: safetensorsSource(handle) });
    } finally {
      handle.close();
    }
  }
  const current = model.adapterValues();
  try {
    loadSnapshot(model, file);
    return new AdapterReference(model, model.adapterValues());
  } finally {
    model.setAdapterValues(current);
    current.forEach((t) => t.dispose());
  }
}

function safetensorsSource(handle: SafetensorsFile): WeightSource {
  return (name, shape) => {
    if (!handle.entries.has(name)) throw new Error(`${handle.file}: tensor ${name} is missing`);
    return checkedTensor(handle.read(name), shape, handle.file);
  };
}

/** The tokenizer, its chat format and its end-of-sequence ids, from the checkpoint's tokenizer files. */
export function loadTokenizer(dir: string, configJson: Record<string, unknown> = readOptionalJson(dir, 'config.json')): { tokenizer: HfTokenizer; chat: ChatFormat } {
  const tokenizerConfig = readOptionalJson(dir, 'tokenizer_config.json');
  const generation = readOptionalJson(dir, 'generation_config.json');
  const ids = (v: unknown): number[] => (typeof v === 'number' ? [v] : Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);
  const eosIds = [...ids(generation.eos_token_id), ...ids(configJson.eos_token_id)];
  let tokenizer: HfTokenizer;
  try {
    tokenizer = new HfTokenizer(readJson(dir, 'tokenizer.json'), tokenizerConfig, eosIds[0]);
  } catch (error) {
    throw new Error(`checkpoint ${dir}: ${(error as Error).message}`);
  }
  const jinjaFile = path.join(dir, 'chat_template.jinja');
  const template = chatTemplateOf(tokenizerConfig) ?? (fs.existsSync(jinjaFile) ? fs.readFileSync(jinjaFile, 'utf8') : undefined);
  let chat: ChatFormat;
  try {
    chat = template ? templateChatFormat(tokenizer, template, tokenizerConfig, eosIds) : plainChatFormat(tokenizer, tokenizer.prefixIds);
  } catch (error) {
    throw new Error(`checkpoint ${dir}: ${(error as Error).message}`);
  }
  return { tokenizer, chat };
}

export type LoadedCheckpoint = { spec: LmSpec; model: CausalLm; tokenizer: HfTokenizer; chat: ChatFormat };

/** Reads a checkpoint; `trainable` false gives frozen weights. */
export function loadCheckpoint(dir: string, { trainable = false } = {}): LoadedCheckpoint {
  const configJson = readJson(dir, 'config.json') as Record<string, unknown>;
  const spec = specFromConfig(configJson, `checkpoint ${dir}`);
  const { tokenizer, chat } = loadTokenizer(dir, configJson);
  const vocabSize = spec.config.vocabSize;
  if (tokenizer.vocabSize > vocabSize) throw new Error(`checkpoint ${dir}: tokenizer.json has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${vocabSize}`);
  const weights = checkpointWeights(dir);
  try {
    return { spec, model: createLm(spec, { trainable, weights: weights.source }), tokenizer, chat };
  } finally {
    weights.close();
  }
}

/**
 * Writes a checkpoint: config.json, the weights (F32, one file) and the tokenizer files given (copied
 * from the base checkpoint, or a tokenizer.json made here).
 */
export function saveCheckpoint(dir: string, model: CausalLm, tokenizerFiles: Partial<Record<(typeof TOKENIZER_FILES)[number], string>>, eosId?: number): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(model.configJson({ eosId }), null, 2)}\n`);
  for (const [name, text] of Object.entries(tokenizerFiles)) if (text !== undefined) fs.writeFileSync(path.join(dir, name), text);
  writeSafetensorsFile(path.join(dir, 'model.safetensors'), model.toTensors(), { format: 'pt' });
}

/** The tokenizer files of a checkpoint directory, as text, for saveCheckpoint. */
export function readTokenizerFiles(dir: string): Partial<Record<(typeof TOKENIZER_FILES)[number], string>> {
  return Object.fromEntries(TOKENIZER_FILES.filter((f) => fs.existsSync(path.join(dir, f))).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}

/**
 * Writes a LoRA policy's adapter as PEFT saves it: adapter_config.json (rank, alpha, targets, and the base
 * model's name) and adapter_model.safetensors. `PeftModel.from_pretrained(base, dir)` loads it.
 */
export function saveAdapter(dir: string, model: CausalLm, baseModel: string): void {
  if (!(model instanceof Llama) || !model.lora) throw new Error('this model has no LoRA adapter to save');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'adapter_config.json'), `${JSON.stringify(adapterConfigJson(model.lora, baseModel), null, 2)}\n`);
  writeSafetensorsFile(path.join(dir, 'adapter_model.safetensors'), model.adapterTensors(), { format: 'pt' });
}

/** A base checkpoint with a saved LoRA adapter attached (not merged: the adapter can train on). */
export function loadWithAdapter(baseDir: string, adapterDir: string, { trainable = false } = {}): LoadedCheckpoint {
  const loaded = loadCheckpoint(baseDir, { trainable });
  try {
    if (!(loaded.model instanceof Llama)) throw new Error(`checkpoint ${baseDir}: LoRA adapters apply to Llama-family models`);
    const config = parseAdapterConfig(readJson(adapterDir, 'adapter_config.json'));
    loaded.model.attachLora(config);
    const handle = openSafetensors(path.join(adapterDir, 'adapter_model.safetensors'));
    try {
      loaded.model.loadAdapter(safetensorsSource(handle));
    } finally {
      handle.close();
    }
    return loaded;
  } catch (error) {
    loaded.model.dispose();
    throw error;
  }
}
