/**
 * A fine-tuned language-model reward model (lib/ml/lm/reward-model.ts) on disk, in the two layouts people
 * load reward models from:
 * - a transformers sequence-classification checkpoint: config.json naming `<Family>ForSequenceClassification`
 *   with num_labels 1 and the padding id the model pools by, model.safetensors with the backbone under the
 *   class's own names (Llama family: `model.…`; GPT-2: `transformer.…`) and `score.weight` [1, hidden], no LM
 *   head, and the tokenizer files. `AutoModelForSequenceClassification.from_pretrained(dir)` loads it.
 * - a PEFT adapter of the base checkpoint (LoRA runs): adapter_config.json with task_type SEQ_CLS and
 *   modules_to_save ["score"], adapter_model.safetensors with the LoRA tensors and the head under
 *   `base_model.model.score.weight` (peft/utils/save_and_load.py, get_peft_model_state_dict, names a
 *   modules_to_save module's weights so). `PeftModel.from_pretrained(AutoModelForSequenceClassification
 *   .from_pretrained(base, num_labels=1), dir)` loads it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tf } from '../backend';
import { Llama } from '../llama/model';
import type { LmSpec } from './causal-lm';
import { checkpointWeights, createLm, loadTokenizer, loadWithAdapter, specFromConfig, type TOKENIZER_FILES } from './checkpoint';
import { adapterConfigJson } from './lora';
import { LmRewardModel } from './reward-model';
import { openSafetensors, writeSafetensorsFile, type NamedTensor } from './safetensors';
import type { HfTokenizer } from '../tokenizer/hf-tokenizer';
import type { ChatFormat } from '../tokenizer/chat-format';

const SCORE = 'score.weight';
const PEFT_SCORE = 'base_model.model.score.weight';

/** The backbone's tensor names inside the sequence-classification class: GPT2ForSequenceClassification keeps GPT-2's under `transformer.`. */
const classifierName = (spec: LmSpec, name: string) => (spec.family === 'gpt2' ? `transformer.${name}` : name);

function classifierArchitecture(spec: LmSpec): string {
  if (spec.family === 'gpt2') return 'GPT2ForSequenceClassification';
  const causal = spec.config.architecture;
  const family = causal.endsWith('ForCausalLM') ? causal.slice(0, -'ForCausalLM'.length) : causal.replace(/For\w+$/, '');
  return `${family}ForSequenceClassification`;
}

/** config.json of the classifier: the backbone's, with the class, one label, and the padding id transformers pools by. */
export function classifierConfigJson(model: LmRewardModel): object {
  return {
    ...(model.lm.configJson() as Record<string, unknown>),
    architectures: [classifierArchitecture(model.lm.spec)],
    num_labels: 1,
    id2label: { 0: 'LABEL_0' },
    label2id: { LABEL_0: 0 },
    pad_token_id: model.padId,
  };
}

/** The classifier's tensors: the backbone's (LoRA merged), without its LM head, and score.weight. */
export function classifierTensors(model: LmRewardModel): NamedTensor[] {
  const spec = model.lm.spec;
  const backbone = model.lm.toTensors().filter((t) => t.name !== 'lm_head.weight');
  return [...backbone.map((t) => ({ ...t, name: classifierName(spec, t.name) })), { name: SCORE, shape: [1, model.lm.hiddenSize], data: model.score.dataSync() as Float32Array }];
}

/**
 * Writes the sequence-classification checkpoint to `dir`: config.json, model.safetensors (F32) and the
 * tokenizer files given (the base checkpoint's, as text).
 */
export function saveSequenceClassifier(dir: string, model: LmRewardModel, tokenizerFiles: Partial<Record<(typeof TOKENIZER_FILES)[number], string>>): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(classifierConfigJson(model), null, 2)}\n`);
  for (const [name, text] of Object.entries(tokenizerFiles)) if (text !== undefined) fs.writeFileSync(path.join(dir, name), text);
  writeSafetensorsFile(path.join(dir, 'model.safetensors'), classifierTensors(model), { format: 'pt' });
}

/** Writes a LoRA reward model's adapter and head as PEFT saves a SEQ_CLS adapter (see the file's comment). */
export function saveRewardAdapter(dir: string, model: LmRewardModel, baseModel: string): void {
  const lm = model.lm;
  if (!(lm instanceof Llama) || !lm.lora) throw new Error('this reward model has no LoRA adapter to save');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'adapter_config.json'), `${JSON.stringify(adapterConfigJson(lm.lora, baseModel, 'SEQ_CLS'), null, 2)}\n`);
  writeSafetensorsFile(path.join(dir, 'adapter_model.safetensors'), [...lm.adapterTensors(), { name: PEFT_SCORE, shape: [1, lm.hiddenSize], data: model.score.dataSync() as Float32Array }], { format: 'pt' });
}

export type LoadedRewardModel = { model: LmRewardModel; tokenizer: HfTokenizer; chat: ChatFormat };

function readJson(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/**
 * Loads a sequence-classification checkpoint (saved here or by transformers) as a frozen reward model. The
 * classifier has no LM head, so the backbone is built with its embedding tied: nothing here unembeds.
 */
export function loadSequenceClassifier(dir: string): LoadedRewardModel {
  const config = readJson(path.join(dir, 'config.json'));
  if (config.num_labels !== undefined && config.num_labels !== 1) throw new Error(`${dir}: num_labels is ${JSON.stringify(config.num_labels)}; a reward model has one`);
  const parsed = specFromConfig(config, `checkpoint ${dir}`);
  const spec: LmSpec = parsed.family === 'llama' ? { family: 'llama', config: { ...parsed.config, tieWordEmbeddings: true } } : parsed;
  const { tokenizer, chat } = loadTokenizer(dir, config);
  const padId = typeof config.pad_token_id === 'number' ? config.pad_token_id : (tokenizer.padId ?? tokenizer.eosId);
  const weights = checkpointWeights(dir);
  try {
    // The source finds GPT-2's tensors under `transformer.` as well.
    const lm = createLm(spec, { trainable: false, weights: weights.source });
    const score = weights.read(SCORE);
    if (!score) {
      lm.dispose();
      throw new Error(`${dir}: tensor ${SCORE} is missing (not a sequence-classification checkpoint)`);
    }
    if (score.shape.length !== 2 || score.shape[0] !== 1 || score.shape[1] !== lm.hiddenSize) {
      lm.dispose();
      throw new Error(`${dir}: tensor ${SCORE} has shape ${JSON.stringify(score.shape)}, expected [1, ${lm.hiddenSize}]`);
    }
    const head = tf.tensor(score.data, score.shape);
    const model = new LmRewardModel(lm, padId, { score: head });
    head.dispose();
    return { model, tokenizer, chat };
  } finally {
    weights.close();
  }
}

/**
 * A base checkpoint with a saved reward adapter (saveRewardAdapter, or PEFT's) attached, not merged: the
 * adapter's LoRA tensors (loadWithAdapter) and its score head.
 */
export function loadRewardAdapter(baseDir: string, adapterDir: string, padId?: number): LoadedRewardModel {
  const loaded = loadWithAdapter(baseDir, adapterDir);
  const handle = openSafetensors(path.join(adapterDir, 'adapter_model.safetensors'));
  try {
    if (!handle.entries.has(PEFT_SCORE)) throw new Error(`${handle.file}: tensor ${PEFT_SCORE} is missing (not a SEQ_CLS adapter)`);
    const score = tf.tensor(handle.read(PEFT_SCORE).data, [1, loaded.model.hiddenSize]);
    const model = new LmRewardModel(loaded.model, padId ?? loaded.tokenizer.padId ?? loaded.tokenizer.eosId, { score });
    score.dispose();
    return { model, tokenizer: loaded.tokenizer, chat: loaded.chat };
  } catch (error) {
    loaded.model.dispose();
    throw error;
  } finally {
    handle.close();
  }
}
