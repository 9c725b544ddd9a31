import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runOnce } from '@/workers/run-once';
import { createGeneratedProject } from '../../helpers/projects';
import { runTs } from '../../helpers/spawn';

process.env.ARBITER_ML_BACKEND = 'wasm';
const cli = (...args: string[]) => runTs('cli/main.ts', args, { ARBITER_ML_BACKEND: 'wasm' });

describe('CLI: alignment', () => {
  it('aligns (a worker runs the job), lists policies, samples from one, and exports it as a GPT-2 checkpoint', async () => {
    const { projectId } = await createGeneratedProject({ prompts: 30 });
    const queued = await cli('align', '--project', String(projectId), '--loss', 'sigmoid,sft', '--weights', '1,0.05', '--layers', '1', '--d-model', '32', '--heads', '2', '--context', '64', '--epochs', '1', '--sft-epochs', '1', '--json');
    expect(queued.code, queued.stderr).toBe(0);
    const { policyId } = JSON.parse(queued.stdout) as { policyId: number };
    expect((await runOnce({ workerId: 'cli-align', heartbeatMs: 100, log: () => undefined }))?.status).toBe('succeeded');
    const list = await cli('policies', '--project', String(projectId));
    expect(list.stdout).toMatch(new RegExp(`${policyId}\\s+sigmoid\\+sft .*\\s+sigmoid\\+sft\\s+ready\\s+wasm`));
    const sampled = await cli('generate', '--policy', String(policyId), '--n', '2', '--max-new-tokens', '8', '--json', 'Say something helpful.');
    expect(sampled.code, sampled.stderr).toBe(0);
    expect((JSON.parse(sampled.stdout) as { samples: string[] }).samples).toHaveLength(2);
    const out = path.join(process.env.ARBITER_DATA_DIR!, 'exported-policy');
    expect((await cli('policy', 'export', '--policy', String(policyId), '--out', out)).code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'gpt2', n_layer: 1, n_embd: 32, n_head: 2, n_positions: 64 });
  }, 120_000);

  it('refuses unknown losses, bad references and missing policies clearly', async () => {
    const bad = await cli('align', '--project', '1', '--loss', 'ppo');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--loss: /);
    const { projectId } = await createGeneratedProject({ prompts: 12 });
    const ref = await cli('align', '--project', String(projectId), '--ref', 'gpt2-xl');
    expect(ref.code).not.toBe(0);
    expect(ref.stderr).toMatch(/no checkpoints are configured|unknown checkpoint "gpt2-xl"/);
    const missing = await cli('generate', '--policy', '999', 'hi');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/policy 999 not found/);
  }, 60_000);
});
