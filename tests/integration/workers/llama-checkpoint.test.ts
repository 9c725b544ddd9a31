import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as generateRoute } from '@/app/api/v1/policies/[id]/generate/route';
import { POST as trainRoute } from '@/app/api/v1/projects/[id]/reward-models/route';
import { GET as exportRoute } from '@/app/api/v1/reward-models/[id]/export/route';
import { POST as scoreRoute } from '@/app/api/v1/reward-models/[id]/score/route';
import { getRewardModel, startRewardModelTraining } from '@/db/queries/reward-models';
import { artifactStore } from '@/lib/artifacts';
import { rewardRowIds } from '@/lib/ml/lm/reward-model';
import { loadRewardAdapter, loadSequenceClassifier } from '@/lib/ml/lm/sequence-classifier';
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
  it('fine-tunes it as a reward model with LoRA from the CLI and in full over REST; it scores; it exports as a transformers classifier and a PEFT adapter that reload to the same rewards', async () => {
    const out = await cli('train', 'reward-model', '--project', String(projectId), '--featurizer', 'fine-tune', '--checkpoint', 'tiny-qwen', '--lora-rank', '4', '--lora-alpha', '8', '--lora-targets', 'q_proj,v_proj,down_proj', '--epochs', '2', '--batch-size', '8', '--learning-rate', '0.001', '--max-length', '96', '--json');
    expect(out.code, out.stderr).toBe(0);
    const { modelId } = JSON.parse(out.stdout) as { modelId: number };
    expect((await runOnce({ workerId: 'llama-rm-lora', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const model = await getRewardModel(CLI_ACTOR, modelId);
    // q_proj 32→32, v_proj 32→16, down_proj 48→32 in 2 layers at rank 4 (1,536), and the head's 32.
    expect(model.metrics).toMatchObject({ featurizer: 'fine-tune:tiny-qwen:lora-r4', family: 'llama', chatFormat: 'template', maxLength: 96, lora: { rank: 4, alpha: 8, trainableParameters: 1536 + 32 }, evaluation: { decisive: expect.any(Number) } });
    expect((await queryRows<{ n: number }>(`select count(distinct step) as n from job_metrics where job_id = ${model.jobId}`))[0]!.n).toBe(2);

    // Scoring over REST reads the stored classifier.
    const token = (await createApiToken((await createActor('admin')).id, { name: 'llama-rm' })).token;
    const scored = await scoreRoute(apiRequest(`/api/v1/reward-models/${modelId}/score`, { method: 'POST', token, body: { records: [{ prompt: 'Which answer is better?', chosen: 'A careful answer.', rejected: 'No.' }, { prompt: 'Hi', responses: ['Hello.', 'Bye.'] }] } }), params({ id: String(modelId) }));
    expect(scored.status).toBe(200);
    const report = (await scored.json()) as { rows: { kind: string; p?: number; rewards?: number[] }[] };
    expect(report.rows.map((r) => r.kind)).toEqual(['pair', 'responses']);

    // The two exports, from the CLI; each reloads to the rewards the REST call gave.
    const hf = path.join(process.env.ARBITER_DATA_DIR!, `rm-${modelId}-hf`);
    const peft = path.join(process.env.ARBITER_DATA_DIR!, `rm-${modelId}-peft`);
    for (const [format, dir] of [['hf', hf], ['peft', peft]]) expect((await cli('model', 'export', '--model', String(modelId), '--format', format!, '--out', dir!)).code).toBe(0);
    expect(fs.readdirSync(hf).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(JSON.parse(fs.readFileSync(path.join(hf, 'config.json'), 'utf8'))).toMatchObject({ architectures: ['Qwen2ForSequenceClassification'], num_labels: 1 });
    expect(JSON.parse(fs.readFileSync(path.join(peft, 'adapter_config.json'), 'utf8'))).toMatchObject({ task_type: 'SEQ_CLS', modules_to_save: ['score'], base_model_name_or_path: 'tiny-qwen' });
    const classifier = loadSequenceClassifier(hf);
    const adapted = loadRewardAdapter(path.join(root, 'tiny-qwen'), peft, classifier.model.padId);
    const rows = ['Hello.', 'Bye.'].map((r) => rewardRowIds(classifier.chat, [{ role: 'user', content: 'Hi' }], r, 96));
    const [viaHf, viaPeft] = [classifier, adapted].map((m) => tf.tidy(() => Array.from(m.model.rewards(rows).dataSync())));
    for (const [k, want] of report.rows[1]!.rewards!.entries()) {
      expect(viaHf![k]).toBeCloseTo(want, 4);
      expect(viaPeft![k]).toBeCloseTo(want, 4);
    }
    [classifier, adapted].forEach((m) => m.model.dispose());
    // A REST download of the classifier; a model of another kind has none, and says so.
    const zip = await exportRoute(apiRequest(`/api/v1/reward-models/${modelId}/export?format=hf`, { token }), params({ id: String(modelId) }));
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toMatch(/zip/);
    await zip.arrayBuffer();

    // In full (every weight trains), over REST.
    const started = await trainRoute(apiRequest(`/api/v1/projects/${projectId}/reward-models`, { method: 'POST', token, body: { featurizer: 'fine-tune', checkpoint: 'tiny-qwen', epochs: 1, batchSize: 8, maxLength: 64 } }), params({ id: String(projectId) }));
    expect(started.status, await started.clone().text()).toBe(202);
    const full = ((await started.json()) as { model: { id: number } }).model.id;
    expect((await runOnce({ workerId: 'llama-rm-full', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const fullModel = await getRewardModel(CLI_ACTOR, full);
    expect(fullModel.metrics).toMatchObject({ featurizer: 'fine-tune:tiny-qwen', maxLength: 64 });
    const noAdapter = await exportRoute(apiRequest(`/api/v1/reward-models/${full}/export?format=peft`, { token }), params({ id: String(full) }));
    expect(noAdapter.status).toBe(409);
    expect(await noAdapter.text()).toMatch(/trained with LoRA/);
    // Settings that cannot work are refused before anything is queued.
    const refused = await cli('train', 'reward-model', '--project', String(projectId), '--featurizer', 'fine-tune');
    expect(refused.stderr).toMatch(/the fine-tune featurizer needs a checkpoint name/);
    const loraElsewhere = await cli('train', 'reward-model', '--project', String(projectId), '--lora-rank', '4');
    expect(loraElsewhere.stderr).toMatch(/LoRA \(loraRank > 0\) applies to the fine-tune featurizer/);
  }, 300_000);
  it('checkpoints a fine-tune every epoch (adapters, head, Adam) and a second worker resumes it; only the model is left in the store', async () => {
    const { model, jobId } = await startRewardModelTraining(CLI_ACTOR, projectId, { featurizer: 'fine-tune', checkpoint: 'tiny-qwen', loraRank: 2, epochs: 3, batchSize: 8, maxLength: 64 });
    const steps = async () => (await queryRows<{ step: number }>("select step from job_metrics where job_id = ? and name = 'loss' order by id", jobId)).map((r) => r.step);
    const shutdown = new AbortController();
    const timer = setInterval(() => void steps().then((s) => s.length >= 1 && shutdown.abort()), 5);
    const first = await runOnce({ workerId: 'rm-a', heartbeatMs: 100, log: quiet, shutdownSignal: shutdown.signal });
    clearInterval(timer);
    expect(first?.status).toBe('released');
    expect((await steps()).length).toBeLessThan(3);
    const logs: string[] = [];
    expect((await runOnce({ workerId: 'rm-b', heartbeatMs: 100, log: (m) => logs.push(String(m)) }))?.status).toBe('succeeded');
    expect(await steps()).toEqual([1, 2, 3]);
    expect(logs.some((l) => /resuming after epoch [12]/.test(l))).toBe(true);
    expect(logs.some((l) => /token ids: \d+ cached, 0 computed/.test(l))).toBe(true);
    const done = await getRewardModel(CLI_ACTOR, model.id);
    const keys = (await artifactStore().list(`models/${model.id}`)).map((e) => e.key.slice(done.artifactPath!.length + 1)).sort();
    expect(keys).toEqual(['adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'hf/config.json', 'hf/model.safetensors', 'hf/tokenizer.json', 'hf/tokenizer_config.json', 'model.json']);
  }, 300_000);
});
