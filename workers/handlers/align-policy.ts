/**
 * align-policy: a GPT policy aligned on the project's preferences.
 *  1. Data: comparisons with texts → pairs (or, for kto/npo, single samples); prompts split into train and
 *     evaluation prompts (every 10th prompt, at most `evalPrompts`).
 *  2. Tokenizer and policy: from scratch (a BPE learned on the train texts, a small GPT), from a local
 *     GPT-2 or Llama-family checkpoint, or from an earlier policy. The tokenizer is saved first, so a retry reuses it.
 *  3. SFT on the chosen responses; the result is saved as `sft.safetensors` and is the reference.
 *  4. Preference optimisation with the reference's log-probs computed once; metrics with TRL's names.
 *  5. Iterative rounds (rounds > 1): candidates from the current policy go back into the project (a dataset
 *     version per round); a reward model labels them and training continues with the previous iterate as
 *     reference, or annotators get them as items and the run ends.
 *  6. Evaluation (align-eval.ts): samples of the reference and the policy side by side, win rate and
 *     best-of-n judged by a reward model; the policy is exported as config.json + model.safetensors + tokenizer.json.
 * The run works in a local folder (lib/artifacts/work-dir.ts). After every epoch the training state (weights,
 * Adam, step) and the files it builds on go to the artifact store under this attempt's prefix, and the
 * checkpoint value names them; a retried job, on any host, downloads the files of the checkpoint it resumes.
 * The policy and its rounds' weights are put under the attempt's prefix and published by one fenced write.
 */
import fs from 'node:fs';
import path from 'node:path';
import { getPolicyForJob, loadAlignmentPairs, localPolicyDir, markPolicyFailed, POLICY_FILES, POLICY_OPTIONAL_FILES, savePolicyResult, type AlignmentPair } from '@/db/queries/policies';
import { projectExists } from '@/db/queries/stats';
import { artifactStore } from '@/lib/artifacts';
import { asCheckpointFileMap, CheckpointFiles } from '@/lib/artifacts/checkpoint-files';
import { modelAttemptPrefix, modelRoot } from '@/lib/artifacts/keys';
import { removeSupersededFiles } from '@/lib/artifacts/superseded';
import { openWorkDir } from '@/lib/artifacts/work-dir';
import { resolveCheckpoint } from '@/lib/checkpoints';
import { isAppError } from '@/lib/errors';
import type { JobPayload } from '@/lib/jobs/registry';
import type { PreferenceExample } from '@/lib/ml/align/train';
import type { JobContext } from '../types';
import { mlBackendOptions } from '@/lib/env';
import { pendingWrites } from '../pending-writes';

type Payload = JobPayload<'align-policy'>;
/** `files`: the files of the run's folder at this checkpoint, each with its key in the artifact store. */
type Stage = { stage: 'sft' | 'preference'; round: number; step: number; files?: Record<string, string> };
const isStage = (v: unknown): v is Stage => typeof v === 'object' && v !== null && 'stage' in v && 'round' in v;

export async function handleAlignPolicy(payload: Payload, ctx: JobContext) {
  if (!(await projectExists(payload.projectId))) throw new Error(`project ${payload.projectId} does not exist`);
  await getPolicyForJob(payload.modelId);
  try {
    return await align(payload, ctx);
  } catch (error) {
    if (ctx.job.attempts >= ctx.job.maxAttempts && !ctx.signal.aborted) await ctx.fenced(() => markPolicyFailed(payload.modelId, error instanceof Error ? error.message : String(error)));
    throw error;
  }
}

/** Every 10th prompt (by id) is an evaluation prompt, at most `max`, at least one. */
/**
 * Held-out prompts for the evaluation: `max` of them (64 by default, the least a win rate with a useful
 * interval needs), but never more than a quarter of the prompts, spread evenly over them by id. Every pair
 * of a held-out prompt leaves training.
 */
export function splitPrompts(pairs: readonly AlignmentPair[], max: number): { train: AlignmentPair[]; evalPrompts: AlignmentPair['messages'][] } {
  const ids = [...new Set(pairs.map((p) => p.promptId))].sort((a, b) => a - b);
  const count = ids.length < 2 ? 0 : Math.min(max, Math.max(1, Math.floor(ids.length / 4)));
  const stride = ids.length / Math.max(count, 1);
  const held = new Set(Array.from({ length: count }, (_, k) => ids[Math.min(ids.length - 1, Math.floor((k + 1) * stride) - 1)]!));
  const evalPrompts = new Map<number, AlignmentPair['messages']>();
  for (const p of pairs) if (held.has(p.promptId)) evalPrompts.set(p.promptId, p.messages);
  return { train: pairs.filter((p) => !held.has(p.promptId)), evalPrompts: [...evalPrompts.values()] };
}

async function align(payload: Payload, ctx: JobContext) {
  const work = await openWorkDir(`align-${ctx.job.id}`);
  try {
    return await alignIn(work.path, payload, ctx);
  } finally {
    await work.remove();
  }
}

/** The run, in the local folder `dir`. */
async function alignIn(dir: string, payload: Payload, ctx: JobContext) {
  const { initBackend } = await import('@/lib/ml/backend');
  const { Gpt } = await import('@/lib/ml/gpt/model');
  const { loadCheckpoint, referenceFromSnapshot, loadSnapshot, loadTokenizer, readTokenizerFiles, saveAdapter, saveCheckpoint, saveSnapshot, TOKENIZER_FILES } = await import('@/lib/ml/lm/checkpoint');
  const { Llama } = await import('@/lib/ml/llama/model');
  const { fullTuningMemoryProblem } = await import('@/lib/ml/lm/causal-lm');
  const { bpeToTokenizerJson } = await import('@/lib/ml/tokenizer/hf-tokenizer');
  const { trainBpe } = await import('@/lib/ml/tokenizer/bpe');
  const { buildSequence } = await import('@/lib/ml/align/sequences');
  const { sft, preferenceOptimize, referenceLogProbs } = await import('@/lib/ml/align/train');
  const { DEFAULT_LOSS_PARAMS, LOSS_PRESETS, UNPAIRED } = await import('@/lib/ml/align/losses');
  const { renderPrompt, renderCompletion } = await import('@/lib/ml/align/chat');
  const { alignmentExamples } = await import('@/lib/ml/align/examples');
  const { readTrainState, writeTrainState, removeTrainState } = await import('@/lib/ml/align/state-io');
  const { evaluatePolicy, runRound } = await import('./align-eval');
  const backend = await initBackend(mlBackendOptions());
  ctx.log(`TensorFlow.js backend: ${backend.backend}`);
  const store = artifactStore();
  const prefix = modelAttemptPrefix(payload.modelId, ctx.job.id, ctx.attempt);
  const log = (message: string) => ctx.log(message);
  // A checkpoint is resumed only with the files it names (one saved before checkpoints named them is not).
  let resumed = isStage(ctx.checkpoint) && asCheckpointFileMap(ctx.checkpoint.files) ? ctx.checkpoint : null;
  // The folder's files as the resumed checkpoint left them, from the store (any earlier attempt's keys).
  let stored = new CheckpointFiles(store, `${prefix}/checkpoints`, resumed ? asCheckpointFileMap(resumed.files) : null, log);
  try {
    await stored.downloadAll(dir);
  } catch (error) {
    if (!isAppError(error, 'not-found')) throw error;
    ctx.log(`the checkpoint's files are gone from the artifact store (${error.message}); training from the start`);
    resumed = null;
    stored = new CheckpointFiles(store, `${prefix}/checkpoints`, null, log);
    for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
  /** Puts files of the folder the next checkpoint needs (fresh keys); drop: files it no longer needs. */
  const keep = (...names: string[]) => Promise.all(names.map((name) => stored.putFile(name, path.join(dir, name))));
  const drop = (...names: string[]) => Promise.all(names.map((name) => stored.remove(name)));
  const checkpoint = async (stage: Omit<Stage, 'files'>) => {
    await ctx.saveCheckpoint({ ...stage, files: stored.files() } satisfies Stage);
    await stored.saved();
  };
  if (resumed) {
    await ctx.discardMetricsAfter(resumed.step);
    ctx.log(`resuming: ${resumed.stage} stage, round ${resumed.round}, after step ${resumed.step}`);
  } else if (ctx.checkpoint !== null) await ctx.discardMetricsAfter(0); // starting over: an earlier attempt's steps go

  // 1. Data.
  await ctx.reportProgress(0.01, 'Reading preferences');
  const all = await loadAlignmentPairs(payload.projectId);
  const { train, evalPrompts } = splitPrompts(all, payload.evalPrompts);
  const unpaired = payload.loss.every((t) => UNPAIRED.includes(t));
  const decisive = train.filter((p) => !p.tie);
  if (!unpaired && decisive.length === 0) throw new Error('no decisive training pairs');

  // 2. Tokenizer and policy.
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  let baseDir: string | null = null;
  if (payload.base.startsWith('checkpoint:')) baseDir = resolveCheckpoint(payload.base.slice('checkpoint:'.length));
  if (payload.base.startsWith('policy:')) baseDir = await localPolicyDir(await getPolicyForJob(Number(payload.base.slice('policy:'.length))));
  if (!fs.existsSync(tokenizerFile)) {
    if (baseDir) {
      // The base checkpoint's tokenizer files (the chat template, special tokens), and its config for the end-of-sequence ids.
      const copied = TOKENIZER_FILES.filter((f) => fs.existsSync(path.join(baseDir!, f)));
      for (const name of copied) fs.copyFileSync(path.join(baseDir, name), path.join(dir, name));
      fs.copyFileSync(path.join(baseDir, 'config.json'), path.join(dir, 'base-config.json'));
      await keep(...copied.filter((f) => f !== 'tokenizer.json'), 'base-config.json');
    } else {
      await ctx.reportProgress(0.02, 'Learning a BPE tokenizer');
      const texts = train.slice(0, 4000).flatMap((p) => [renderPrompt(p.messages), renderCompletion(p.chosen), renderCompletion(p.rejected)]);
      fs.writeFileSync(tokenizerFile, JSON.stringify(bpeToTokenizerJson(trainBpe(texts, payload.merges))));
    }
    await keep('tokenizer.json');
  }
  const baseConfigFile = path.join(dir, 'base-config.json');
  const { tokenizer: tok, chat } = loadTokenizer(dir, fs.existsSync(baseConfigFile) ? (JSON.parse(fs.readFileSync(baseConfigFile, 'utf8')) as Record<string, unknown>) : {});
  ctx.log(`prompts and responses are formatted by ${chat.kind === 'template' ? "the checkpoint's chat template" : 'the plain "User: … Assistant:" format'}`);
  const policy = baseDir ? loadCheckpoint(baseDir, { trainable: true }).model : new Gpt({ vocabSize: tok.vocabSize, nPositions: payload.contextLength, nEmbd: payload.dModel, nLayer: payload.layers, nHead: payload.heads, layerNormEpsilon: 1e-5 }, payload.seed);
  if (payload.loraRank > 0) {
    if (!(policy instanceof Llama)) throw new Error(`LoRA needs a Llama-family base; ${payload.base} is a ${policy.spec.family} model`);
    policy.attachLora({ rank: payload.loraRank, alpha: payload.loraAlpha, targets: payload.loraTargets, seed: payload.seed });
    const trainable = policy.trainableVariables().reduce((n, v) => n + v.size, 0);
    ctx.log(`LoRA r ${payload.loraRank}, alpha ${payload.loraAlpha} on ${payload.loraTargets.join(', ')}: ${trainable.toLocaleString('en-US')} of ${policy.parameterCount.toLocaleString('en-US')} parameters train`);
  }
  const memory = fullTuningMemoryProblem(policy.parameterCount, policy.lora !== null, backend.backend);
  if (memory) throw new Error(memory);
  const ctxLen = Math.min(policy.contextLength, payload.contextLength);
  // Padding never counts (masked), so the end-of-sequence id serves.
  const eos = tok.eosId;
  const seq = (messages: AlignmentPair['messages'], response: string) => buildSequence(chat.promptIds(messages), chat.completionIds(messages, response), ctxLen);
  const shapes = policy.trainableVariables().map((v) => v.shape);
  // Snapshots hold what training changes: every weight, or under LoRA the adapter alone (lm/checkpoint.ts).
  const saveWeights = (file: string, model: typeof policy) => saveSnapshot(model, file);
  // A frozen copy, or under LoRA the policy with the snapshot's adapter swapped in (no second copy of the model).
  const loadFrozen = (file: string) => referenceFromSnapshot(policy, file);
  let step = resumed?.step ?? 0;
  // onStep is synchronous: its metrics and progress are awaited at the epoch's end, before the checkpoint.
  const writes = pendingWrites();
  const report = (r: { stage: string; metrics: Record<string, number>; seconds: number; tokens: number }) => {
    const at = ++step;
    const values = { ...r.metrics, tokens_per_second: r.tokens / Math.max(r.seconds, 1e-6) };
    writes.add(() => ctx.addMetrics(at, values));
  };

  // 3. SFT (skipped when resuming in a later stage).
  const sftFile = path.join(dir, 'sft.safetensors');
  const sftSeqs = (unpaired ? train.filter((p) => !p.tie || p.tieKind === 'both_good') : decisive).map((p) => seq(p.messages, p.chosen));
  if (!fs.existsSync(sftFile)) {
    const state = resumed?.stage === 'sft' ? readTrainState(dir, 'sft-state') : null;
    if (payload.sftEpochs > 0) {
      await ctx.reportProgress(0.05, `SFT on ${sftSeqs.length} chosen responses`);
      await sft(policy, sftSeqs, eos, { epochs: payload.sftEpochs, learningRate: payload.sftLearningRate, batchSize: payload.batchSize, seed: payload.seed }, {
        signal: ctx.signal,
        resume: state?.state,
        onStep: (r) => {
          report(r);
          if (r.step % 5 === 0) {
            const fraction = 0.05 + (0.25 * r.epoch) / payload.sftEpochs;
            const message = `SFT epoch ${r.epoch}/${payload.sftEpochs}: loss ${r.metrics.loss!.toFixed(4)}`;
            writes.add(() => ctx.reportProgress(fraction, message));
          }
        },
        onEpoch: async (_epoch, capture) => {
          writeTrainState(dir, 'sft-state', await capture(), shapes);
          await keep('sft-state.bin', 'sft-state.json');
          await writes.flush();
          await checkpoint({ stage: 'sft', round: 1, step });
        },
      });
      await writes.flush();
    }
    saveWeights(sftFile, policy);
    await keep('sft.safetensors');
    removeTrainState(dir, 'sft-state');
    await drop('sft-state.bin', 'sft-state.json');
    await checkpoint({ stage: 'preference', round: 1, step });
  } else {
    // SFT finished in an earlier attempt: continue from its weights, or from the previous iterate in a later
    // round (a saved preference state, if any, replaces both below).
    const later = resumed && resumed.round > 1 && fs.existsSync(path.join(dir, 'reference.safetensors'));
    loadSnapshot(policy, later ? path.join(dir, 'reference.safetensors') : sftFile);
  }

  // 4–5. Preference optimisation, round by round.
  const params = { ...DEFAULT_LOSS_PARAMS, ...Object.assign({}, ...payload.loss.map((t) => LOSS_PRESETS[t] ?? {})), ...pick(payload, ['beta', 'labelSmoothing', 'divergence', 'alpha', 'simpoGamma', 'rpoAlpha', 'cplLambda', 'ipoNormalize']) };
  // Each round is a dataset version tied to its checkpoint: rounds.json records both (kept across retries).
  const roundsFile = path.join(dir, 'rounds.json');
  const roundsLog: Record<string, unknown>[] = fs.existsSync(roundsFile) ? (JSON.parse(fs.readFileSync(roundsFile, 'utf8')) as Record<string, unknown>[]) : [];
  const logRound = (entry: Record<string, unknown>) => {
    const at = roundsLog.findIndex((r) => r.round === entry.round);
    if (at >= 0) roundsLog[at] = { ...roundsLog[at], ...entry };
    else roundsLog.push(entry);
    fs.writeFileSync(roundsFile, JSON.stringify(roundsLog));
    return keep('rounds.json');
  };
  let examples = alignmentExamples(train, payload.loss, seq);
  const firstRound = resumed?.stage === 'preference' ? resumed.round : 1;
  const refFile = path.join(dir, 'reference.safetensors');
  for (let round = firstRound; round <= payload.rounds; round++) {
    if (round > 1) {
      const state = readTrainState(dir, 'round-data');
      if (state?.info.round === round) examples = state.info.examples as PreferenceExample[];
      else {
        const made = await runRound(payload, round, policy, tok, chat, train, seq, ctx);
        await logRound(made.log);
        if (payload.roundJudge === 'annotators') break;
        examples = made.examples;
        // The previous iterate is the next round's reference.
        saveWeights(refFile, policy);
        writeTrainState(dir, 'round-data', { step, weights: [], optimizer: [] }, [], { round, examples });
        await keep('reference.safetensors', 'round-data.bin', 'round-data.json');
        // Stored before training on it: a retry reuses this round's candidates instead of sampling (and writing) them again.
        await checkpoint({ stage: 'preference', round, step });
      }
    }
    const reference = round > 1 && fs.existsSync(refFile) ? loadFrozen(refFile) : loadFrozen(sftFile);
    const state = resumed?.stage === 'preference' && resumed.round === round ? readTrainState(dir, 'preference-state') : null;
    await ctx.reportProgress(0.32, `Round ${round}: reference log-probs of ${examples.length} examples`);
    const refLogps = referenceLogProbs(reference, examples, eos);
    // Two cores: a worker thread computes half of every batch (lib/threads/align-pool.ts).
    const { openGradientPeer } = await import('@/lib/threads/align-pool');
    const lossConfig = { lossTypes: payload.loss, lossWeights: payload.lossWeights ?? null, params };
    const peer = unpaired || payload.batchSize < 2 ? null : await openGradientPeer(policy, examples, eos, lossConfig);
    if (peer) ctx.log('data-parallel: a worker thread takes half of every batch');
    try {
      await preferenceOptimize(policy, reference, examples, refLogps, eos, { lossTypes: payload.loss, lossWeights: payload.lossWeights ?? null, params, epochs: payload.epochs, learningRate: payload.learningRate, batchSize: payload.batchSize, seed: payload.seed + round, klEvery: 10 }, {
        signal: ctx.signal,
        resume: state?.state,
        onStep: (r) => {
          report(r);
          if (r.step % 5 !== 0) return;
          const accuracy = r.metrics['rewards/accuracies'] !== undefined ? `, reward accuracy ${(r.metrics['rewards/accuracies'] * 100).toFixed(0)}%` : '';
          const fraction = 0.32 + (0.5 * ((round - 1) * payload.epochs + r.epoch)) / (payload.rounds * payload.epochs);
          const message = `round ${round}, epoch ${r.epoch}/${payload.epochs}: loss ${r.metrics.loss!.toFixed(4)}${accuracy}`;
          writes.add(() => ctx.reportProgress(fraction, message));
        },
        onEpoch: async (_epoch, capture) => {
          writeTrainState(dir, 'preference-state', await capture(), shapes);
          await keep('preference-state.bin', 'preference-state.json');
          await writes.flush();
          await checkpoint({ stage: 'preference', round, step });
        },
        peer: peer ?? undefined,
      });
      await writes.flush();
    } finally {
      await peer?.close();
    }
    removeTrainState(dir, 'preference-state');
    await drop('preference-state.bin', 'preference-state.json');
    reference.dispose();
    saveWeights(path.join(dir, `round-${round}.safetensors`), policy);
    await keep(`round-${round}.safetensors`);
    await logRound({ round, ...(round === 1 ? { judge: 'project preferences' } : {}), examples: examples.length, checkpoint: `round-${round}.safetensors` });
    if (round < payload.rounds) await checkpoint({ stage: 'preference', round: round + 1, step });
  }

  // 6. Evaluation and export.
  await ctx.reportProgress(0.85, 'Sampling the reference and the policy side by side');
  const initial = loadFrozen(sftFile);
  const evaluation = await evaluatePolicy(payload, policy, initial, tok, chat, evalPrompts, ctx);
  initial.dispose();
  // The policy and each round's weights go under this attempt's prefix; the fenced write below publishes them.
  const policyDir = path.join(dir, 'policy');
  saveCheckpoint(policyDir, policy, readTokenizerFiles(dir), eos);
  // Under LoRA the policy is kept both ways: merged (above) and as the PEFT adapter of its base.
  if (policy.lora) saveAdapter(path.join(policyDir, 'adapter'), policy, payload.base.replace(/^checkpoint:/, ''));
  await ctx.reportProgress(0.97, 'Storing the policy');
  for (const name of [...POLICY_FILES, ...POLICY_OPTIONAL_FILES]) if (fs.existsSync(path.join(policyDir, name))) await store.putFile(`${prefix}/policy/${name}`, path.join(policyDir, name));
  for (const entry of roundsLog) {
    if (typeof entry.checkpoint !== 'string' || !fs.existsSync(path.join(dir, entry.checkpoint))) continue;
    const key = `${prefix}/rounds/${entry.checkpoint}`;
    await store.putFile(key, path.join(dir, entry.checkpoint));
    entry.checkpoint = key; // the round's weights, by their key in the artifact store
  }
  const metrics = {
    backend: backend.backend,
    parameters: policy.parameterCount,
    config: policy.spec.config,
    family: policy.spec.family,
    ...(policy.lora ? { lora: { rank: policy.lora.rank, alpha: policy.lora.alpha, targets: policy.lora.targets, trainableParameters: policy.trainableVariables().reduce((n, v) => n + v.size, 0) } } : {}),
    chatFormat: chat.kind,
    counts: { pairs: all.length, trainExamples: examples.length, sftSequences: sftSeqs.length, evalPrompts: evalPrompts.length },
    lossTypes: payload.loss,
    params,
    rounds: roundsLog,
    ...evaluation,
  };
  await ctx.fenced(() => savePolicyResult(payload.modelId, `${prefix}/policy`, { metrics, backend: backend.backend }));
  policy.dispose();
  try {
    // Training state (this attempt's and earlier ones') is read by nothing once the policy is published.
    await removeSupersededFiles(store, modelRoot(payload.modelId), { id: ctx.job.id, attempt: ctx.attempt }, [`${prefix}/policy`, `${prefix}/rounds`]);
  } catch (error) {
    ctx.log(`could not remove superseded files of policy ${payload.modelId} (${error instanceof Error ? error.message : String(error)}); they are left for a sweep`);
  }
  const w = evaluation.winRate;
  await ctx.reportProgress(1, `policy ready${w ? `: wins ${(w.winRate * 100).toFixed(0)}% against the reference (reward model ${w.rewardModelId})` : ''}`);
  return { policyId: payload.modelId, winRate: w?.winRate ?? null, backend: backend.backend };
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Partial<Pick<T, K>>;
}
