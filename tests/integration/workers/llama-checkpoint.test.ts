import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as generateRoute } from '@/app/api/v1/policies/[id]/generate/route';
import { getPolicy, localPolicyDir, startAlignment } from '@/db/queries/policies';
import { CLI_ACTOR } from '@/lib/auth/access';
import { resetEnvCache } from '@/lib/env';
import { generate } from '@/lib/ml/align/generate';
import { initBackend } from '@/lib/ml/backend';
import { logitsOf } from '@/lib/ml/lm/causal-lm';
import { loadCheckpoint, loadWithAdapter } from '@/lib/ml/lm/checkpoint';
import { tf } from '@/lib/ml/backend';
import { trainBpe } from '@/lib/ml/tokenizer/bpe';
import { bpeToTokenizerJson } from '@/lib/ml/tokenizer/hf-tokenizer';
import { runOnce } from '@/workers/run-once';
import { createApiToken } from '@/db/queries/api-tokens';
import { createActor } from '../../helpers/actors';
import { apiRequest, params } from '../../helpers/http';
import { createGeneratedProject } from '../../helpers/projects';
import { queryRows } from '../../helpers/sql';
import { runTs } from '../../helpers/spawn';
import { writeTinyLlama } from '../../helpers/tiny-llama';

process.env.ARBITER_ML_BACKEND = 'wasm';
const quiet = () => undefined;
const cli = (...args: string[]) => runTs('cli/main.ts', args, { ARBITER_ML_BACKEND: 'wasm', ARBITER_CHECKPOINTS_DIR: process.env.ARBITER_CHECKPOINTS_DIR! });

/** Qwen2's ChatML template (Qwen/Qwen2.5-0.5B-Instruct tokenizer_config.json, tools left out). */
const CHATML =
  "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- else %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}{%- for message in messages %}{%- if not (message.role == 'system' and loop.first) %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

describe('a Llama-family checkpoint through every door', async () => {
  const { projectId } = await createGeneratedProject({ prompts: 24 });
  const root = path.join(process.env.ARBITER_DATA_DIR!, 'llama-checkpoints');
  let imEnd = 0;

  beforeAll(async () => {
    await initBackend({ preference: 'wasm', appRoot: process.cwd() });
    const texts = (await queryRows<{ content: string }>('select content from responses limit 200')).map((r) => r.content);
    const bpe = trainBpe(texts, 120);
    // Arbiter's BPE as a byte-level tokenizer.json, with ChatML's control tokens added as Qwen2's are.
    const tokenizerJson = bpeToTokenizerJson(bpe) as { added_tokens: { id: number; content: string }[] };
    const base = bpe.vocabSize;
    imEnd = base + 1;
    for (const [k, content] of ['<|im_start|>', '<|im_end|>'].entries()) tokenizerJson.added_tokens.push({ id: base + k, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true } as never);
    writeTinyLlama(path.join(root, 'tiny-qwen'), {
      modelType: 'qwen2', vocab: base + 2, d: 32, layers: 2, heads: 4, kvHeads: 2, intermediate: 48, positions: 128, tied: true, shards: ['BF16', 'F32'], scale: 0.2,
      tokenizerJson,
      tokenizerConfig: { chat_template: CHATML, eos_token: '<|im_end|>', pad_token: '<|endoftext|>' },
    });
    process.env.ARBITER_CHECKPOINTS_DIR = root;
    resetEnvCache();
  });
  afterAll(() => {
    delete process.env.ARBITER_CHECKPOINTS_DIR;
    resetEnvCache();
  });

  it('aligns a policy from it (chat template kept), and the policy generates over REST; the CLI samples the checkpoint greedily with its token ids', async () => {
    const started = await startAlignment(CLI_ACTOR, projectId, { base: 'checkpoint:tiny-qwen', loss: 'sigmoid', sftEpochs: 1, epochs: 1, batchSize: 8, contextLength: 128, evalPrompts: 3, bestOfN: 2, maxNewTokens: 10 });
    expect((await runOnce({ workerId: 'llama', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const policy = await getPolicy(CLI_ACTOR, started.policy.id);
    const metrics = policy.metrics as { family: string; chatFormat: string; samples: { policy: string; reference: string }[] };
    expect(metrics).toMatchObject({ family: 'llama', chatFormat: 'template' });
    for (const s of metrics.samples) for (const text of [s.policy, s.reference]) expect(text).not.toMatch(/\uFFFD|<\|im_end\|>/);
    // The policy is a Qwen2 checkpoint that keeps its base's tokenizer files, template included.
    const dir = await localPolicyDir(policy);
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toMatchObject({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', num_key_value_heads: 2, tie_word_embeddings: true });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'))).toMatchObject({ chat_template: CHATML });
    const token = (await createApiToken((await createActor('admin')).id, { name: 'llama' })).token;
    const sampled = await generateRoute(apiRequest(`/api/v1/policies/${policy.id}/generate`, { method: 'POST', token, body: { prompt: 'Say hi.', n: 2, maxNewTokens: 6, temperature: 0 } }), params({ id: String(policy.id) }));
    expect(sampled.status).toBe(200);
    const body = (await sampled.json()) as { samples: string[]; tokenIds: number[][] };
    expect(body.samples).toHaveLength(2);
    expect(body.tokenIds[0]).toEqual(body.tokenIds[1]); // greedy: both samples alike
    // The CLI on the checkpoint itself: greedy ids are those of the model run here on the ChatML prompt, stopping at <|im_end|>.
    const out = await cli('generate', '--checkpoint', 'tiny-qwen', '--temperature', '0', '--max-tokens', '12', '--json', 'Which answer is better?');
    expect(out.code, out.stderr).toBe(0);
    const { samples } = JSON.parse(out.stdout) as { samples: { text: string; tokenIds: number[] }[] };
    const loaded = loadCheckpoint(path.join(root, 'tiny-qwen'));
    const prompt = loaded.chat.promptIds([{ role: 'user', content: 'Which answer is better?' }]);
    expect(prompt.filter((t) => t === imEnd)).toHaveLength(2); // the system turn's and the user turn's
    const [expected] = generate(loaded.model, prompt, 1, loaded.chat.stopIds, { temperature: 0, maxNewTokens: 12 });
    loaded.model.dispose();
    expect(samples[0]!.tokenIds).toEqual(expected);
    expect(samples[0]!.text).toBe(loaded.tokenizer.decode(expected!).trim());
    const unknown = await cli('generate', '--checkpoint', 'nope', 'hi');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown checkpoint "nope"; available: tiny-qwen/);
  }, 240_000);

  it('aligns with LoRA from the CLI: only the adapter trains, and the policy is kept merged and as a PEFT adapter of its base', async () => {
    const queued = await cli('align', '--project', String(projectId), '--ref', 'tiny-qwen', '--loss', 'sigmoid', '--lora-rank', '4', '--lora-alpha', '8', '--lora-targets', 'q_proj,v_proj,down_proj', '--epochs', '1', '--sft-epochs', '1', '--context', '128', '--json');
    expect(queued.code, queued.stderr).toBe(0);
    const { policyId } = JSON.parse(queued.stdout) as { policyId: number };
    expect((await runOnce({ workerId: 'llama-lora', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const policy = await getPolicy(CLI_ACTOR, policyId);
    const metrics = policy.metrics as { lora: { rank: number; alpha: number; targets: string[]; trainableParameters: number }; parameters: number };
    // q_proj 32→32, v_proj 32→16, down_proj 48→32 in 2 layers, rank 4: 4·(32+32 + 32+16 + 48+32)·2 = 1,536 of the model's parameters.
    expect(metrics.lora).toEqual({ rank: 4, alpha: 8, targets: ['q_proj', 'v_proj', 'down_proj'], trainableParameters: 1536 });
    const dir = await localPolicyDir(policy);
    expect(fs.readdirSync(path.join(dir, 'adapter')).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    // The adapter on the base checkpoint gives the merged policy's logits.
    const merged = loadCheckpoint(dir);
    const adapted = loadWithAdapter(path.join(root, 'tiny-qwen'), path.join(dir, 'adapter'));
    const ids = Int32Array.from(merged.chat.promptIds([{ role: 'user', content: 'Which answer is better?' }]));
    const [a, b] = [merged, adapted].map((m) => tf.tidy(() => Array.from(logitsOf(m.model, ids, 1, ids.length).dataSync())));
    expect(Math.max(...a!.map((v, i) => Math.abs(v - b![i]!)))).toBeLessThan(1e-4);
    // Training moved the policy away from its base.
    const base = loadCheckpoint(path.join(root, 'tiny-qwen'));
    const c = tf.tidy(() => Array.from(logitsOf(base.model, ids, 1, ids.length).dataSync()));
    expect(Math.max(...a!.map((v, i) => Math.abs(v - c[i]!)))).toBeGreaterThan(1e-4);
    [merged, adapted, base].forEach((m) => m.model.dispose());
    // LoRA on the scratch GPT is refused before anything is queued.
    const refused = await cli('align', '--project', String(projectId), '--loss', 'sigmoid', '--lora-rank', '4');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/LoRA \(loraRank > 0\) needs a pretrained Llama-family base/);
    const badTarget = await cli('align', '--project', String(projectId), '--ref', 'tiny-qwen', '--lora-rank', '4', '--lora-targets', 'qkv');
    expect(badTarget.stderr).toMatch(/LoRA targets are q_proj, k_proj/);
  }, 240_000);

  it("fits a reward model on the checkpoint's frozen hidden states", async () => {
    const out = await cli('train', 'reward-model', '--project', String(projectId), '--featurizer', 'checkpoint', '--checkpoint', 'tiny-qwen', '--epochs', '2', '--json');
    expect(out.code, out.stderr).toBe(0);
    expect((await runOnce({ workerId: 'llama-rm', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
  }, 240_000);
});
