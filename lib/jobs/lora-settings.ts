import { z } from 'zod';
import { LORA_TARGETS } from '@/lib/ml/lm/lora';

/**
 * LoRA on a Llama-family base (lib/ml/lm/lora.ts), for every job that fine-tunes one (alignment, reward
 * models): rank 0 trains every weight; a rank trains an adapter on the target projections alone, the base
 * frozen. alpha scales the update (alpha / rank), as PEFT's lora_alpha.
 */
export const loraSettings = {
  loraRank: z.coerce.number().int().min(0).max(256).default(0),
  loraAlpha: z.coerce.number().positive().max(1024).default(16),
  loraTargets: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(z.enum(LORA_TARGETS, { message: `LoRA targets are ${LORA_TARGETS.join(', ')}` })).min(1))
    .default([...LORA_TARGETS]),
};

/** The projections LoRA can target, for the pages' forms (lib/ml stays out of the web bundle's imports). */
export { LORA_TARGETS };
