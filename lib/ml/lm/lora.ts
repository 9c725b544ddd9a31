/**
 * LoRA (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"): a frozen weight W gets a
 * trainable low-rank update, W + B·A·(alpha / r), with A of shape [r, in] drawn as PEFT draws it (Kaiming
 * uniform with a = √5, i.e. U(−1/√in, 1/√in)) and B of shape [out, r] zero, so training starts from W.
 * The settings and the files follow PEFT (huggingface/peft, src/peft/tuners/lora): `adapter_config.json`
 * with `r`, `lora_alpha` and `target_modules`, and `adapter_model.safetensors` with tensors named
 * `base_model.model.<module>.lora_A.weight` / `lora_B.weight`, which PeftModel.from_pretrained loads.
 */
export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export type LoraConfig = { rank: number; alpha: number; targets: readonly LoraTarget[]; seed: number };

export function checkLoraConfig(c: LoraConfig): void {
  if (!Number.isInteger(c.rank) || c.rank < 1) throw new Error(`LoRA rank must be a positive integer (got ${c.rank})`);
  if (!(c.alpha > 0)) throw new Error(`LoRA alpha must be positive (got ${c.alpha})`);
  if (c.targets.length === 0) throw new Error(`LoRA needs at least one target module (${LORA_TARGETS.join(', ')})`);
  const unknown = c.targets.filter((t) => !(LORA_TARGETS as readonly string[]).includes(t));
  if (unknown.length > 0) throw new Error(`unknown LoRA target module ${unknown.join(', ')}; the targets are ${LORA_TARGETS.join(', ')}`);
}

/** PEFT's name of an adapter tensor for the module `module` (e.g. model.layers.0.self_attn.q_proj). */
export const peftTensorName = (module: string, part: 'lora_A' | 'lora_B') => `base_model.model.${module}.${part}.weight`;

/**
 * adapter_config.json as PEFT writes it: for a causal LM (a policy), or for sequence classification (a
 * reward model, whose scalar `score` head trains in full and is saved beside the adapter: modules_to_save).
 */
export function adapterConfigJson(c: LoraConfig, baseModel: string, task: 'CAUSAL_LM' | 'SEQ_CLS' = 'CAUSAL_LM'): object {
  return {
    peft_type: 'LORA',
    task_type: task,
    base_model_name_or_path: baseModel,
    r: c.rank,
    lora_alpha: c.alpha,
    lora_dropout: 0,
    target_modules: [...c.targets],
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    modules_to_save: task === 'SEQ_CLS' ? ['score'] : null,
  };
}

/** Reads adapter_config.json back into a LoraConfig (rank, alpha, targets), refusing what Arbiter cannot apply. */
export function parseAdapterConfig(json: unknown): LoraConfig {
  const c = json as Record<string, unknown> | null;
  if (typeof c !== 'object' || c === null || c.peft_type !== 'LORA') throw new Error('adapter_config.json: not a LoRA adapter (peft_type must be "LORA")');
  if (c.use_dora === true || c.use_rslora === true) throw new Error('adapter_config.json: DoRA and rsLoRA adapters are not supported');
  const targets = c.target_modules;
  const config = { rank: Number(c.r), alpha: Number(c.lora_alpha), targets: (Array.isArray(targets) ? targets : []) as LoraTarget[], seed: 0 };
  checkLoraConfig(config);
  return config;
}
