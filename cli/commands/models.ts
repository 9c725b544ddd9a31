import path from 'node:path';
import { z } from 'zod';
import { getRewardModel, listRewardModels, readRewardModelFiles, REWARD_MODEL_EXPORTS, rewardModelExportFiles, startRewardModelTraining } from '@/db/queries/reward-models';
import { REWARD_FEATURIZERS } from '@/lib/jobs/train-reward-model';
import { artifactStore } from '@/lib/artifacts';
import { CLI_ACTOR } from '@/lib/auth/access';
import { resolveCheckpoint } from '@/lib/checkpoints';
import { REWARD_MODEL_KINDS } from '@/lib/ml/kinds';
import { readRecords } from '@/lib/data/read-records';
import { AppError } from '@/lib/errors';
import { watchJob } from './jobs';
import { emit, idSchema, parseValue, requireValue, table, type Command } from '../context';
import { mlBackendOptions } from '@/lib/env';

const pct = (x: unknown) => (typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : 'n/a');

type Metrics = { evaluation?: { accuracy?: number; tieAwareAccuracy?: number; logLoss?: number; ece?: number; decisive?: number; bestOf4?: { accuracy: number; prompts: number } | null }; baseline?: { accuracy?: number }; flags?: { mislabelled: number; ambiguous: number } };

function describe(metrics: unknown): string {
  const m = (metrics ?? {}) as Metrics;
  const e = m.evaluation ?? {};
  return [
    `held-out accuracy ${pct(e.accuracy)} on ${e.decisive ?? 0} pairs (ties excluded); tie-aware ${pct(e.tieAwareAccuracy)}; log-loss ${e.logLoss?.toFixed(4) ?? 'n/a'}; ECE ${e.ece?.toFixed(4) ?? 'n/a'}`,
    `baseline (longer response wins): ${pct(m.baseline?.accuracy)}`,
    ...(e.bestOf4 ? [`best-of-4: ${pct(e.bestOf4.accuracy)} over ${e.bestOf4.prompts} prompts`] : []),
    ...(m.flags ? [`flagged training pairs: ${m.flags.mislabelled} likely mislabelled, ${m.flags.ambiguous} ambiguous`] : []),
  ].join('\n');
}

export const modelCommands: Command[] = [
  {
    name: 'train reward-model',
    usage: `train reward-model --project <id> --kind ${REWARD_MODEL_KINDS.join('|')} [--featurizer ${REWARD_FEATURIZERS.join('|')}] [--checkpoint NAME] [--epochs N] [--members K] [--hidden H] [--learning-rate LR] [--batch-size B] [--max-length T] [--lora-rank R] [--lora-alpha A] [--lora-targets q_proj,v_proj,…] [--seed S] [--test-share F] [--name N] [--wait] [--json]`,
    summary: 'fit a reward model on the project’s preferences in a worker (--featurizer fine-tune --checkpoint NAME fine-tunes a local language model with a scalar head, LoRA with --lora-rank); prints the model id (and, with --wait, its held-out evaluation; a worker must be running)',
    options: {
      project: { type: 'string' }, kind: { type: 'string' }, featurizer: { type: 'string' }, checkpoint: { type: 'string' }, epochs: { type: 'string' }, members: { type: 'string' }, hidden: { type: 'string' },
      'learning-rate': { type: 'string' }, 'batch-size': { type: 'string' }, 'max-length': { type: 'string' }, 'lora-rank': { type: 'string' }, 'lora-alpha': { type: 'string' }, 'lora-targets': { type: 'string' },
      seed: { type: 'string' }, 'test-share': { type: 'string' }, name: { type: 'string' }, wait: { type: 'boolean' },
    },
    run: async ({ values }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const kind = parseValue(z.enum(REWARD_MODEL_KINDS), values.kind ?? 'bt', '--kind');
      const num = (name: string, schema: z.ZodType<number | undefined>) => parseValue(schema, values[name], `--${name}`);
      const { model, jobId } = await startRewardModelTraining(CLI_ACTOR, projectId, {
        kind,
        featurizer: parseValue(z.enum(REWARD_FEATURIZERS).optional(), values.featurizer, '--featurizer'),
        checkpoint: typeof values.checkpoint === 'string' ? values.checkpoint : undefined,
        name: typeof values.name === 'string' ? values.name : undefined,
        epochs: num('epochs', z.coerce.number().int().min(1).max(200).optional()),
        members: num('members', z.coerce.number().int().min(2).max(16).optional()),
        hidden: num('hidden', z.coerce.number().int().min(0).max(4096).optional()),
        learningRate: num('learning-rate', z.coerce.number().positive().max(1).optional()),
        batchSize: num('batch-size', z.coerce.number().int().min(1).max(4096).optional()),
        maxLength: num('max-length', z.coerce.number().int().min(16).max(8192).optional()),
        loraRank: num('lora-rank', z.coerce.number().int().min(0).max(256).optional()),
        loraAlpha: num('lora-alpha', z.coerce.number().positive().max(1024).optional()),
        loraTargets: typeof values['lora-targets'] === 'string' ? values['lora-targets'] : undefined,
        seed: num('seed', z.coerce.number().int().min(0).optional()),
        testShare: num('test-share', z.coerce.number().min(0.05).max(0.5).optional()),
      });
      if (!values.wait) return emit(io, { modelId: model.id, jobId, status: model.status }, `model ${model.id} queued (job ${jobId})`);
      await watchJob(jobId, io);
      const done = await getRewardModel(CLI_ACTOR, model.id);
      emit(io, { modelId: done.id, status: done.status, backend: done.backend, metrics: done.metrics }, `model ${done.id}: ${done.status}${done.backend ? ` (backend ${done.backend})` : ''}\n${describe(done.metrics)}`);
      if (done.status !== 'ready') process.exitCode = 1;
    },
  },
  {
    name: 'models',
    usage: 'models --project <id> [--json]',
    summary: 'list the project’s reward models with their held-out accuracy',
    options: { project: { type: 'string' } },
    run: async ({ values }, io) => {
      const projectId = parseValue(idSchema, requireValue(values, 'project'), '--project');
      const models = await listRewardModels(CLI_ACTOR, projectId);
      const rows = models.map((m) => {
        const e = (m.metrics as Metrics | null)?.evaluation;
        return { id: m.id, name: m.name, kind: m.kind, status: m.status, backend: m.backend ?? '', accuracy: pct(e?.accuracy), baseline: pct((m.metrics as Metrics | null)?.baseline?.accuracy) };
      });
      emit(io, models, rows.length ? table(rows, ['id', 'name', 'kind', 'status', 'backend', 'accuracy', 'baseline']) : 'no reward models yet');
    },
  },
  {
    name: 'score',
    usage: 'score --model <id> [--json] <file>',
    summary: 'score every row of a file: labelled pairs get P(chosen ≻ rejected) and the margin, plus accuracy and log-loss; responses get rewards',
    options: { model: { type: 'string' } },
    run: async ({ values, positionals }, io) => {
      const modelId = parseValue(idSchema, requireValue(values, 'model'), '--model');
      const file = positionals[0];
      if (!file) throw new AppError('usage', 'give the file to score: score --model <id> <file>');
      const record = await getRewardModel(CLI_ACTOR, modelId);
      const saved = await readRewardModelFiles(record);
      const records: { line: number; record: unknown }[] = [];
      for await (const r of readRecords(file)) if ('record' in r) records.push(r); // an unreadable file: AppError 'bad-file', exit 2
      const { scoreWithSavedModel } = await import('@/lib/ml/load-model');
      const report = await scoreWithSavedModel(saved, records, { backend: mlBackendOptions(), resolveCheckpoint: (name) => resolveCheckpoint(name) });
      const lines = report.rows.map((r) => (r.kind === 'pair' ? `line ${r.line}: P(chosen ≻ rejected) = ${r.p.toFixed(4)}${r.margin === null ? '' : `, margin ${r.margin.toFixed(4)}`}` : r.kind === 'responses' ? `line ${r.line}: ${r.rewards.map((x) => x.toFixed(4)).join(', ')}` : `line ${r.line}: ${r.error}`));
      if (report.pairs) lines.push(`${report.pairs} labelled pairs: accuracy ${pct(report.accuracy)}, log-loss ${report.logLoss!.toFixed(4)}`);
      emit(io, { modelId, ...report }, lines.join('\n'));
    },
  },
  {
    name: 'model export',
    usage: 'model export --model <id> --out <dir> [--format arbiter|hf|peft] [--json]',
    summary: 'copy a model’s files into a directory: all of them (arbiter: model.json and weights.bin, or a fine-tuned model’s hf/ and adapter/), the transformers sequence-classification checkpoint (hf), or the PEFT adapter of a LoRA run (peft)',
    options: { model: { type: 'string' }, out: { type: 'string' }, format: { type: 'string' } },
    run: async ({ values }, io) => {
      const modelId = parseValue(idSchema, requireValue(values, 'model'), '--model');
      const out = path.resolve(requireValue(values, 'out'));
      const format = parseValue(z.enum(REWARD_MODEL_EXPORTS), values.format ?? 'arbiter', '--format');
      const files = await rewardModelExportFiles(await getRewardModel(CLI_ACTOR, modelId), format);
      // Streamed from the artifact store (a folder, or a bucket) into the folder asked for.
      for (const file of files) await artifactStore().download(file.key, path.join(out, file.name));
      emit(io, { modelId, out, format, files: files.map((f) => f.name) }, `wrote ${files.map((f) => f.name).join(', ')} to ${out}`);
    },
  },
];
