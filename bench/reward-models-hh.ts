/**
 * Reward models on real data: Anthropic HH-RLHF harmless-base (test split, 2,312 pairs; 9 defective rows
 * skipped), imported as a user would, each kind fitted through the train-reward-model job with a 20%
 * held-out split by prompt, against the longer-response-wins baseline. Then the same data with 20% of
 * the pairs' labels flipped: how many flipped training pairs the ensemble flags as likely mislabelled.
 * Writes bench/results/reward-models-hh.json.   node --import tsx bench/reward-models-hh.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arbiter-rm-hh-'));
process.env.ARBITER_DATA_DIR = dir;
const source = path.resolve('..', 'shared', 'data', 'real', 'hh-rlhf-harmless', 'harmless-base', 'test.jsonl.gz');
const { getDb } = await import('@/db/client');
const { runImport } = await import('@/db/queries/imports');
const { createProject } = await import('@/db/queries/projects');
const { getRewardModel, startRewardModelTraining } = await import('@/db/queries/reward-models');
const { CLI_ACTOR } = await import('@/lib/auth/access');
const { createRng } = await import('@/lib/random');
const { runOnce } = await import('@/workers/run-once');

async function train(projectId: number, settings: Parameters<typeof startRewardModelTraining>[2]) {
  const { model } = await startRewardModelTraining(CLI_ACTOR, projectId, settings);
  for (;;) {
    const r = await runOnce({ workerId: 'bench', heartbeatMs: 1000, log: () => undefined });
    if (!r) break;
  }
  return getRewardModel(CLI_ACTOR, model.id);
}

type Metrics = { evaluation: { accuracy: number; decisive: number; logLoss: number; ece: number; bestOf4: unknown }; baseline: { accuracy: number }; trainSeconds: number; examplesPerSecond: number; flags: { mislabelled: number; ambiguous: number; pairs: { comparisonId: number; kind: string }[] }; counts: Record<string, number> };

const clean = (await createProject(CLI_ACTOR, { name: 'HH harmless' })).id;
const imported = await runImport(CLI_ACTOR, clean, source, { validOnly: true });
const runs: Record<string, unknown>[] = [];
for (const [label, settings] of [
  ['bt (linear)', { kind: 'bt' as const }],
  ['bt (MLP, hidden 64)', { kind: 'bt' as const, hidden: 64, learningRate: 0.003 }],
  ['ensemble of 5', { kind: 'ensemble' as const, members: 5 }],
  ['gpm (2k = 8)', { kind: 'gpm' as const }],
  ['transformer encoder (BPE, 2 blocks, d 128)', { kind: 'bt' as const, featurizer: 'transformer' as const, epochs: 4 }],
] as const) {
  const m = await train(clean, settings);
  const x = m.metrics as unknown as Metrics;
  runs.push({ model: label, status: m.status, backend: m.backend, heldOutAccuracy: +x.evaluation.accuracy.toFixed(4), heldOutPairs: x.evaluation.decisive, logLoss: +x.evaluation.logLoss.toFixed(4), ece: +x.evaluation.ece.toFixed(4), baselineLongerWins: +x.baseline.accuracy.toFixed(4), trainSeconds: x.trainSeconds, examplesPerSecond: x.examplesPerSecond });
  console.log(runs.at(-1));
}

// 20% of pairs flipped (chosen ↔ rejected), then an ensemble: which flipped training pairs it flags.
const rows = zlib.gunzipSync(fs.readFileSync(source)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { chosen: string; rejected: string });
const rng = createRng(20);
const flippedKeys = new Set<string>();
const noisy = rows.map((r) => {
  if (rng.next() >= 0.2) return r;
  flippedKeys.add(r.rejected);
  return { chosen: r.rejected, rejected: r.chosen };
});
const noisyFile = path.join(dir, 'hh-flipped.jsonl');
fs.writeFileSync(noisyFile, noisy.map((r) => JSON.stringify(r)).join('\n') + '\n');
const flippedProject = (await createProject(CLI_ACTOR, { name: 'HH harmless, 20% flipped' })).id;
await runImport(CLI_ACTOR, flippedProject, noisyFile, { validOnly: true });
const ensemble = await train(flippedProject, { kind: 'ensemble', members: 5 });
const em = ensemble.metrics as unknown as Metrics;
// Which comparisons were flipped: the HH transcript of the (now) chosen side was the original rejected one.
const comparisons = getDb()
  .$client.prepare(`select c.id, p.messages, a.content as chosen from comparisons c join prompts p on p.id = c.prompt_id join responses a on a.id = c.winner_response_id where c.project_id = ?`)
  .all(flippedProject) as { id: number; messages: string; chosen: string }[];
const transcript = (messages: string, reply: string) => `${(JSON.parse(messages) as { role: string; content: string }[]).map((m) => `\n\n${m.role === 'user' ? 'Human' : 'Assistant'}: ${m.content}`).join('')}\n\nAssistant: ${reply}`;
const flippedIds = new Set(comparisons.filter((c) => [...flippedKeys].some((k) => k.replace(/\s+/g, ' ').trim() === transcript(c.messages, c.chosen).replace(/\s+/g, ' ').trim())).map((c) => c.id));
const flaggedMislabelled = new Set(em.flags.pairs.filter((f) => f.kind === 'mislabelled').map((f) => f.comparisonId));
const flaggedAny = new Set(em.flags.pairs.map((f) => f.comparisonId));
// Flags are computed on training pairs only: count the flipped pairs that are in the training split.
const { loadTrainingData, splitTrainingData } = await import('@/db/queries/reward-data');
const { DEFAULT_HASHED_NGRAMS } = await import('@/lib/ml/features/hashed-ngrams');
const { hashedNgramFeaturizer } = await import('@/lib/ml/features/featurizer');
const split = splitTrainingData(await loadTrainingData(flippedProject, hashedNgramFeaturizer(DEFAULT_HASHED_NGRAMS)), { testShare: 0.2, seed: 0, rankings: 'plackett-luce' });
const trainIds = new Set(split.trainPairs.map((p) => p.comparisonId));
const trainFlipped = [...flippedIds].filter((id) => trainIds.has(id));
const flipped = {
  flippedPairs: flippedIds.size,
  flippedTrainingPairs: trainFlipped.length,
  trainingPairs: trainIds.size,
  recallMislabelled: +(trainFlipped.filter((id) => flaggedMislabelled.has(id)).length / trainFlipped.length).toFixed(4),
  falseFlagRateOnClean: +([...flaggedMislabelled].filter((id) => !flippedIds.has(id)).length / (trainIds.size - trainFlipped.length)).toFixed(4),
  ensembleHeldOutAccuracy: +em.evaluation.accuracy.toFixed(4),
  flaggedMislabelled: em.flags.mislabelled,
  flaggedAmbiguous: em.flags.ambiguous,
  flippedFlaggedMislabelled: trainFlipped.filter((id) => flaggedMislabelled.has(id)).length,
  flippedFlaggedMislabelledOrAmbiguous: trainFlipped.filter((id) => flaggedAny.has(id)).length,
  cleanFlaggedMislabelled: [...flaggedMislabelled].filter((id) => !flippedIds.has(id)).length,
};
console.log(flipped);
const result = { date: new Date().toISOString(), data: 'hh-rlhf harmless-base test (real)', imported: imported.counts.comparisonsAdded, heldOutShare: 0.2, runs, flipped, note: 'flags are computed on the training pairs (80% of prompts); held-out pairs are never flagged' };
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/reward-models-hh.json', `${JSON.stringify(result, null, 2)}\n`);
