import { describe, expect, it } from 'vitest';
import { getRewardModel, readRewardModelFiles, reannotateComparisons, startRewardModelTraining } from '@/db/queries/reward-models';
import { artifactStore } from '@/lib/artifacts';
import { CLI_ACTOR } from '@/lib/auth/access';
import { leaseNextTask } from '@/db/queries/annotation';
import { addProjectMember, getProjectSettings, updateProjectSettings } from '@/db/queries/projects';
import { createActor } from '../../helpers/actors';
import { runOnce } from '@/workers/run-once';
import { createGeneratedProject } from '../../helpers/projects';
import { queryRow, queryRows, queryValue } from '../../helpers/sql';

process.env.ARBITER_ML_BACKEND = 'wasm';
const quiet = () => undefined;
const storedKeys = async (modelId: number) => (await artifactStore().list(`models/${modelId}`)).map((e) => e.key).sort();
const metricSteps = async (jobId: number) => (await queryRows<{ step: number }>("select step from job_metrics where job_id = ? and name = 'loss' order by id", jobId)).map((r) => r.step);

describe('train-reward-model job', async () => {
  const { projectId } = await createGeneratedProject({ prompts: 60 });

  it('fits, evaluates on held-out prompts against the longer-wins baseline, and stores the model with its backend', async () => {
    const { model, jobId } = await startRewardModelTraining(CLI_ACTOR, projectId, { kind: 'ensemble', members: 2, epochs: 3 });
    expect(model).toMatchObject({ status: 'training', kind: 'ensemble', jobId });
    expect((await runOnce({ workerId: 'rm', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const done = await getRewardModel(CLI_ACTOR, model.id);
    expect(done).toMatchObject({ status: 'ready', backend: 'wasm' });
    const m = done.metrics as { evaluation: { accuracy: number; decisive: number; reliability: unknown[] }; baseline: { accuracy: number }; flags: { pairs: unknown[] }; counts: { testPairs: number } };
    expect(m.evaluation.decisive).toBeGreaterThan(10);
    expect(m.evaluation.accuracy).toBeGreaterThan(0.5);
    expect(m.baseline.accuracy).toEqual(expect.any(Number));
    expect(m.evaluation.reliability).toHaveLength(10);
    expect(await metricSteps(jobId)).toEqual([1, 2, 3, 4, 5, 6]);
    const files = await readRewardModelFiles(done);
    expect(files.manifest).toMatchObject({ format: 'arbiter-reward-model/1', kind: 'ensemble' });
    // Published under the attempt's prefix, which the row names; the checkpoints are gone once it is.
    expect(done.artifactPath).toBe(`models/${model.id}/job${jobId}-a1`);
    expect(await storedKeys(model.id)).toEqual([`${done.artifactPath}/model.json`, `${done.artifactPath}/weights.bin`]);
  }, 60_000);

  it('a worker that stops mid-fit hands the job back; the next one resumes from the checkpoint', async () => {
    // Members one after another checkpoint every epoch (parallel members checkpoint as each member completes).
    const { model, jobId } = await startRewardModelTraining(CLI_ACTOR, projectId, { kind: 'ensemble', members: 2, epochs: 3, parallelMembers: false });
    const shutdown = new AbortController();
    const timer = setInterval(() => void metricSteps(jobId).then((steps) => steps.length >= 2 && shutdown.abort()), 5);
    const first = await runOnce({ workerId: 'rm-a', heartbeatMs: 100, log: quiet, shutdownSignal: shutdown.signal });
    clearInterval(timer);
    expect(first?.status).toBe('released');
    const stepsBefore = await metricSteps(jobId);
    expect(stepsBefore.length).toBeGreaterThanOrEqual(2);
    expect((await runOnce({ workerId: 'rm-b', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    // Every epoch ran once: the second worker continued where the first stopped.
    expect(await metricSteps(jobId)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await getRewardModel(CLI_ACTOR, model.id)).status).toBe('ready');
  }, 60_000);

  it('with active learning on, an ensemble fit re-prioritises open items by disagreement and the engine serves the most uncertain first', async () => {
    const project = await createGeneratedProject({ prompts: 60 });
    // Open items: raise the overlap so items already answered once need another judgment.
    const settings = await updateProjectSettings(CLI_ACTOR, project.projectId, { ...(await getProjectSettings(project.projectId)), overlap: 3, activeLearning: 'ensemble-disagreement' });
    expect(settings.activeLearning).toBe('ensemble-disagreement');
    const { model } = await startRewardModelTraining(CLI_ACTOR, project.projectId, { kind: 'ensemble', members: 3, epochs: 3 });
    expect((await runOnce({ workerId: 'al', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const open = await queryRows<{ id: number; priority: number }>("select id, priority from items where project_id = ? and status = 'open' and is_gold = false and kind = 'pair' order by priority desc, id", project.projectId);
    expect(open.length).toBeGreaterThan(5);
    expect(open.every((i) => i.priority > 0)).toBe(true);
    expect(new Set(open.map((i) => i.priority)).size).toBeGreaterThan(1);
    expect((await getRewardModel(CLI_ACTOR, model.id)).metrics).toMatchObject({ activeLearning: { rule: 'ensemble-disagreement', prioritised: expect.any(Number) } });
    const annotator = await createActor('annotator');
    await addProjectMember(project.projectId, annotator.id, 'annotator');
    const task = await leaseNextTask(annotator, project.projectId);
    expect(task?.itemId).toBe(open[0]!.id);
  }, 60_000);

  it('trains the transformer encoder over BPE tokens end to end, evaluates it the same way, and scores with it', async () => {
    await expect(startRewardModelTraining(CLI_ACTOR, projectId, { kind: 'ensemble', featurizer: 'transformer' })).rejects.toThrow(/offered with kind bt/);
    const { model } = await startRewardModelTraining(CLI_ACTOR, projectId, { kind: 'bt', featurizer: 'transformer', epochs: 1 });
    expect((await runOnce({ workerId: 'enc', heartbeatMs: 100, log: quiet }))?.status).toBe('succeeded');
    const done = await getRewardModel(CLI_ACTOR, model.id);
    expect(done).toMatchObject({ status: 'ready', metrics: { featurizer: expect.stringMatching(/^transformer:bpe-\d+:d128x2$/), evaluation: { decisive: expect.any(Number) }, baseline: { accuracy: expect.any(Number) } } });
    const files = await readRewardModelFiles(done);
    expect(files.manifest).toMatchObject({ format: 'arbiter-encoder-reward-model/1', featurizer: 'transformer', tokenizer: { format: 'arbiter-bpe/1' } });
    const { loadScorer } = await import('@/lib/ml/load-model');
    const { scoreRecords } = await import('@/lib/ml/scoring');
    const loaded = loadScorer(files);
    const report = scoreRecords(loaded.scorer, loaded.featurize, [{ line: 1, record: { prompt: 'Hi?', chosen: 'Hello, how can I help?', rejected: 'No.' } }, { line: 2, record: { prompt: 'Hi?', responses: ['Hello.', 'Bye.'] } }]);
    expect(report.rows.map((r) => r.kind)).toEqual(['pair', 'responses']);
    // The same files score the same way after a reload.
    const again = loadScorer(files);
    expect(scoreRecords(again.scorer, again.featurize, [{ line: 1, record: { prompt: 'Hi?', response: 'Hello.' } }]).rows).toEqual([{ line: 1, kind: 'responses', rewards: [(report.rows[1] as { rewards: number[] }).rewards[0]] }]);
  }, 120_000);

  it('the transformer encoder checkpoints every epoch and a second worker resumes it; token ids are cached per response', async () => {
    const tokenRows = async () => (await queryValue<number>("select count(*) from response_features where featurizer like 'bpe-tokens:%'"))!;
    const small = await createGeneratedProject({ prompts: 25 });
    const { model, jobId } = await startRewardModelTraining(CLI_ACTOR, small.projectId, { kind: 'bt', featurizer: 'transformer', epochs: 3 });
    const shutdown = new AbortController();
    const timer = setInterval(() => void metricSteps(jobId).then((steps) => steps.length >= 1 && shutdown.abort()), 5);
    const first = await runOnce({ workerId: 'enc-a', heartbeatMs: 100, log: quiet, shutdownSignal: shutdown.signal });
    clearInterval(timer);
    expect(first?.status).toBe('released');
    const after = (await metricSteps(jobId)).length;
    expect(after).toBeGreaterThanOrEqual(1);
    expect(after).toBeLessThan(3);
    // The checkpoint's files are in the store under the first run's attempt prefix, named by the checkpoint value.
    const saved = (await queryRow<{ checkpoint: string | { files: Record<string, string> } }>('select checkpoint from jobs where id = ?', jobId))!.checkpoint;
    const savedFiles = (typeof saved === 'string' ? (JSON.parse(saved) as { files: Record<string, string> }) : saved).files;
    expect(Object.keys(savedFiles).sort()).toEqual(['checkpoint.bin', 'checkpoint.json']);
    for (const key of Object.values(savedFiles)) {
      expect(key.startsWith(`models/${model.id}/job${jobId}-a1/checkpoints/`)).toBe(true);
      expect(await artifactStore().exists(key)).toBe(true);
    }
    const cached = await tokenRows();
    expect(cached).toBeGreaterThan(0);
    const logs: string[] = [];
    expect((await runOnce({ workerId: 'enc-b', heartbeatMs: 100, log: (m) => logs.push(String(m)) }))?.status).toBe('succeeded');
    // Each epoch ran once; the second worker reused the tokenizer and every cached token id.
    expect(await metricSteps(jobId)).toEqual([1, 2, 3]);
    expect(logs.some((l) => /resuming the encoder after epoch [12]/.test(l))).toBe(true);
    expect(logs.some((l) => /token ids: \d+ cached, 0 computed/.test(l))).toBe(true);
    expect(await tokenRows()).toBe(cached);
    const done = await getRewardModel(CLI_ACTOR, model.id);
    expect(done).toMatchObject({ status: 'ready', metrics: { counts: { trainTies: expect.any(Number) } } });
    // The resumed run (the shutdown handed its attempt number on) published; no checkpoint file is left.
    expect(await storedKeys(model.id)).toEqual([`${done.artifactPath}/model.json`, `${done.artifactPath}/weights.bin`]);
  }, 180_000);

  it('refuses a project without enough comparisons, and sends flagged pairs back for annotation', async () => {
    const empty = await createGeneratedProject({ prompts: 2 });
    await expect(startRewardModelTraining(CLI_ACTOR, empty.projectId, { kind: 'bt' })).rejects.toThrow(/needs at least 10/);
    const row = (await queryRow<{ id: number; item_id: number }>('select c.id, j.item_id from comparisons c join judgments j on j.id = c.judgment_id where c.project_id = ? limit 1', projectId))!;
    const before = (await queryRow<{ required_annotations: number; annotation_count: number }>('select required_annotations, annotation_count from items where id = ?', row.item_id))!;
    expect(await reannotateComparisons(CLI_ACTOR, projectId, [row.id])).toEqual({ reopened: 1, notFromItems: 0 });
    expect(await queryRow('select required_annotations, status from items where id = ?', row.item_id)).toEqual({ required_annotations: Math.max(before.required_annotations, before.annotation_count) + 1, status: 'open' });
  });
});
