/**
 * One tfjs process timing one of bench/lib/llama-steps.ts's workloads and printing its StepTimes as JSON on
 * stdout: bench/llama.ts starts two at once, workload by workload, to measure what two wasm instances (one
 * per core) do together.
 *   node --import tsx bench/lib/llama-steps-child.ts '<json: {shape, batch, warmup, steps, lora, only}>'
 */
import { initBackend } from '@/lib/ml/backend';
import { mlBackendOptions } from '@/lib/env';
import { llamaShape, timeSteps, type StepShape, type Workload } from './llama-steps';
import type { LoraConfig } from '@/lib/ml/lm/lora';

const args = JSON.parse(process.argv[2]!) as { shape: Parameters<typeof llamaShape>[0]; batch: StepShape; warmup: number; steps: number; lora: LoraConfig; only: Workload[] };
await initBackend(mlBackendOptions());
process.stdout.write(`${JSON.stringify(timeSteps(llamaShape(args.shape), args.batch, { warmup: args.warmup, steps: args.steps, lora: args.lora, only: args.only }))}\n`);
