/** CLI: align a policy (DPO family), list policies, sample from one, export one as a Hugging Face checkpoint. */
import path from 'node:path';
import { z } from 'zod';
import { getPolicy, listPolicies, localPolicyDir, policyFileKeys, presentPolicyFiles, startAlignment } from '@/db/queries/policies';
import { artifactStore } from '@/lib/artifacts';
import { CLI_ACTOR } from '@/lib/auth/access';
import { resolveCheckpoint } from '@/lib/checkpoints';
import { LOSS_TYPES } from '@/lib/ml/kinds';
import { AppError } from '@/lib/errors';
import { watchJob } from './jobs';
import { emit, idSchema, parseValue, requireValue, table, type Command } from '../context';
import { mlBackendOptions } from '@/lib/env';

type PolicyMetrics = { winRate?: { winRate: number; rewardModelId: number } | null; parameters?: number; lossTypes?: string[]; samples?: { prompt: string; reference: string; policy: string }[]; error?: string };

const pct = (x: number | undefined) => (typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : '–');

/** --ref: scratch, a policy id (7 or policy:7) or a checkpoint name (gpt2 or checkpoint:gpt2). */
export function parseRef(ref: string | undefined): string {
  if (ref === undefined || ref === 'scratch') return 'scratch';
  if (/^policy:\d+$/.test(ref) || ref.startsWith('checkpoint:')) return ref;
  if (/^\d+$/.test(ref)) return `policy:${ref}`;
  return `checkpoint:${ref}`;
}

function describe(m: PolicyMetrics | null): string {
  if (!m) return '';
  if (m.error) return `error: ${m.error}`;
  const lines = [`losses ${m.lossTypes?.join(' + ') ?? '?'}, ${m.parameters?.toLocaleString('en-US') ?? '?'} parameters`];
  if (m.winRate) lines.push(`win rate against the reference: ${pct(m.winRate.winRate)} (reward model ${m.winRate.rewardModelId})`);
  for (const s of (m.samples ?? []).slice(0, 3)) lines.push(`prompt: ${s.prompt.slice(0, 80)}\n  reference: ${s.reference.slice(0, 120)}\n  policy:    ${s.policy.slice(0, 120)}`);
  return lines.join('\n');
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export const alignCommands: Command[] = [
  {
    name: 'align',
    usage: `align --project <id> --loss <type>[,<type>…] [--weights W,…] [--ref scratch|<policy id>|<checkpoint name>] [--reward-model <id>] [--beta B] [--epochs N] [--sft-epochs N] [--learning-rate LR] [--layers L --d-model D --heads H --context T] [--lora-rank R --lora-alpha A --lora-targets q_proj,v_proj,…] [--rounds R] [--round-judge reward-model|annotators] [--name N] [--wait] [--json]`,
    summary: `align a GPT policy on the project's preferences in a worker (SFT, then ${LOSS_TYPES.length} DPO-family losses); prints the policy id (with --wait, its win rate and samples; a worker must be running)`,
    options: {
      project: { type: 'string' },
      loss: { type: 'string' },
      weights: { type: 'string' },
      ref: { type: 'string' },
      'reward-model': { type: 'string' },
      beta: { type: 'string' },
      epochs: { type: 'string' },
      'sft-epochs': { type: 'string' },
      'learning-rate': { type: 'string' },
      layers: { type: 'string' },
      'd-model': { type: 'string' },
      heads: { type: 'string' },
      context: { type: 'string' },
      'lora-rank': { type: 'string' },
      'lora-alpha': { type: 'string' },
      'lora-targets': { type: 'string' },
      rounds: { type: 'string' },
      'round-judge': { type: 'string' },
      name: { type: 'string' },
      wait: { type: 'boolean' },
    },
    run: async ({ values }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const loss = parseValue(z.array(z.enum(LOSS_TYPES)).min(1).max(4), String(values.loss ?? 'sigmoid').split(','), '--loss');
      const num = (name: string, schema: z.ZodType<number | undefined>) => parseValue(schema, values[name], `--${name}`);
      const { policy, jobId } = await startAlignment(CLI_ACTOR, projectId, {
        loss,
        lossWeights: values.weights === undefined ? undefined : parseValue(z.array(z.coerce.number().min(0)), String(values.weights).split(','), '--weights'),
        base: parseRef(str(values.ref)),
        rewardModelId: num('reward-model', z.coerce.number().int().positive().optional()),
        beta: num('beta', z.coerce.number().positive().optional()),
        epochs: num('epochs', z.coerce.number().int().min(1).max(50).optional()),
        sftEpochs: num('sft-epochs', z.coerce.number().int().min(0).max(50).optional()),
        learningRate: num('learning-rate', z.coerce.number().positive().max(1).optional()),
        layers: num('layers', z.coerce.number().int().min(1).max(12).optional()),
        dModel: num('d-model', z.coerce.number().int().min(16).max(1024).optional()),
        heads: num('heads', z.coerce.number().int().min(1).max(16).optional()),
        contextLength: num('context', z.coerce.number().int().min(16).max(1024).optional()),
        // Checked by the job's schema (lib/jobs/align-policy.ts), which names the option it refuses.
        loraRank: num('lora-rank', z.coerce.number().int().min(0).max(256).optional()),
        loraAlpha: num('lora-alpha', z.coerce.number().positive().optional()),
        loraTargets: str(values['lora-targets']),
        rounds: num('rounds', z.coerce.number().int().min(1).max(5).optional()),
        roundJudge: parseValue(z.enum(['reward-model', 'annotators']).optional(), values['round-judge'], '--round-judge'),
        name: str(values.name),
      });
      if (!values.wait) return emit(io, { policyId: policy.id, jobId, status: policy.status }, `policy ${policy.id} queued (job ${jobId})`);
      await watchJob(jobId, io);
      const done = await getPolicy(CLI_ACTOR, policy.id);
      emit(io, { policyId: done.id, status: done.status, backend: done.backend, metrics: done.metrics }, `policy ${done.id}: ${done.status}${done.backend ? ` (backend ${done.backend})` : ''}\n${describe(done.metrics as PolicyMetrics | null)}`);
      if (done.status !== 'ready') process.exitCode = 1;
    },
  },
  {
    name: 'policies',
    usage: 'policies --project <id> [--json]',
    summary: 'list the project’s aligned policies with their losses and win rates',
    options: { project: { type: 'string' } },
    run: async ({ values }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const policies = await listPolicies(CLI_ACTOR, projectId);
      const rows = policies.map((p) => {
        const m = p.metrics as PolicyMetrics | null;
        return { id: p.id, name: p.name, losses: ((p.config as { loss?: string[] }).loss ?? []).join('+'), status: p.status, backend: p.backend ?? '', winRate: pct(m?.winRate?.winRate) };
      });
      emit(io, policies, rows.length ? table(rows, ['id', 'name', 'losses', 'status', 'backend', 'winRate']) : 'no policies yet');
    },
  },
  {
    name: 'generate',
    usage: 'generate (--policy <id> | --checkpoint <name>) [--n N] [--temperature T] [--top-p P] [--top-k K] [--max-new-tokens M | --max-tokens M] [--seed S] [--json] <prompt>',
    summary: 'sample completions of a prompt from an aligned policy or a local checkpoint (temperature 0: greedy; --json adds the token ids)',
    options: { policy: { type: 'string' }, checkpoint: { type: 'string' }, n: { type: 'string' }, temperature: { type: 'string' }, 'top-p': { type: 'string' }, 'top-k': { type: 'string' }, 'max-new-tokens': { type: 'string' }, 'max-tokens': { type: 'string' }, seed: { type: 'string' } },
    run: async ({ values, positionals }, io) => {
      const prompt = positionals.join(' ').trim();
      if (!prompt) throw new AppError('usage', 'give the prompt: generate --policy <id> "<prompt>" or generate --checkpoint <name> "<prompt>"');
      if ((values.policy === undefined) === (values.checkpoint === undefined)) throw new AppError('usage', 'give one of --policy <id> or --checkpoint <name>');
      if (values['max-new-tokens'] !== undefined && values['max-tokens'] !== undefined) throw new AppError('usage', '--max-tokens and --max-new-tokens are the same option; give one');
      const num = (name: string, schema: z.ZodType<number>, value = values[name]) => parseValue(schema, value, `--${name}`);
      let source: { policyId: number } | { checkpoint: string };
      let dir: string;
      if (values.policy !== undefined) {
        const policyId = parseValue(idSchema, values.policy, '--policy');
        source = { policyId };
        dir = await localPolicyDir(await getPolicy(CLI_ACTOR, policyId));
      } else {
        const name = String(values.checkpoint);
        source = { checkpoint: name };
        try {
          dir = resolveCheckpoint(name);
        } catch (error) {
          throw new AppError('not-found', (error as Error).message);
        }
      }
      const { sampleFromCheckpoint } = await import('@/lib/ml/align/sample-checkpoint');
      const samples = await sampleFromCheckpoint(dir, prompt, {
        backend: mlBackendOptions(),
        n: num('n', z.coerce.number().int().min(1).max(32).default(1)),
        maxNewTokens: num('max-new-tokens', z.coerce.number().int().min(1).max(4096).default(64), values['max-new-tokens'] ?? values['max-tokens']),
        temperature: num('temperature', z.coerce.number().min(0).max(5).default(1)),
        topP: num('top-p', z.coerce.number().positive().max(1).default(0.95)),
        topK: num('top-k', z.coerce.number().int().min(0).default(0)),
        seed: num('seed', z.coerce.number().int().min(0).default(0)),
      });
      emit(io, { ...source, prompt, samples: samples.map((s) => ({ text: s.text, tokenIds: s.ids })) }, samples.map((s, i) => `[${i + 1}] ${s.text}`).join('\n'));
    },
  },
  {
    name: 'policy export',
    usage: 'policy export --policy <id> --out <dir> [--json]',
    summary: 'copy a policy as a Hugging Face checkpoint (config.json, model.safetensors, tokenizer files) that transformers loads',
    options: { policy: { type: 'string' }, out: { type: 'string' } },
    run: async ({ values }, io) => {
      const policyId = parseValue(idSchema, requireValue(values, 'policy'), '--policy');
      const out = path.resolve(requireValue(values, 'out'));
      const record = await getPolicy(CLI_ACTOR, policyId);
      const keys = policyFileKeys(record);
      const files = await presentPolicyFiles(record);
      // Streamed from the artifact store (a folder, or a bucket) into the folder asked for.
      for (const name of files) await artifactStore().download(keys[name], path.join(out, name));
      emit(io, { policyId, out, files }, `wrote ${files.join(', ')} to ${out}`);
    },
  },
];
