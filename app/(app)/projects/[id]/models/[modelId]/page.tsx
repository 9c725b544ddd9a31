import type { Metadata } from 'next';
import { getProjectForActor } from '@/db/queries/projects';
import { describeComparisons, getRewardModel } from '@/db/queries/reward-models';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';
import { ProjectPageHeader } from '@/app/_components/project-page-header';
import { Card } from '@/app/_components/ui';
import { ReliabilityChart, type ReliabilityBin } from '../charts';
import { belowBaseline, kindLabel } from '../model-labels';
import { FlaggedPairs, ScoreForm } from './model-actions';
import { ModelTraining } from './model-training';
import { flagPage } from './flag-pages';

export const metadata: Metadata = { title: 'Reward model' };
export const dynamic = 'force-dynamic';

type Metrics = {
  evaluation?: { accuracy: number | null; tieAwareAccuracy: number | null; tieNu: number; logLoss: number | null; ece: number | null; decisive: number; ties: number; reliability: ReliabilityBin[]; byTag: { tag: string; pairs: number; accuracy: number }[]; bestOf4: { accuracy: number; prompts: number } | null };
  baseline?: { accuracy: number | null };
  flags?: { mislabelled: number; ambiguous: number; threshold: number; pairs: { comparisonId: number; mean: number; std: number; kind: string }[] };
  counts?: Record<string, number>;
  trainSeconds?: number;
  examplesPerSecond?: number;
  /** fine-tune:<checkpoint>[:lora-r<rank>] for a fine-tuned language model. */
  featurizer?: string;
  lora?: { rank: number; alpha: number; targets: string[] };
  error?: string;
};

const pct = (x: number | null | undefined) => (typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : '–');

export default async function ModelPage({ params, searchParams }: { params: Promise<{ id: string; modelId: string }>; searchParams: Promise<{ flags?: string; sort?: string }> }) {
  const actor = await requireActor();
  const { id, modelId } = await params;
  const project = await loadOr404(id, (pid) => getProjectForActor(actor, pid));
  if (!project.canManage) return <Forbidden what="Reward models are for the project's researchers." />;
  const model = await loadOr404(modelId, (mid) => getRewardModel(actor, mid));
  if (model.projectId !== project.id) return <Forbidden what="This model belongs to another project." />;
  const m = (model.metrics ?? {}) as Metrics;
  const e = m.evaluation;
  const flags = m.flags?.pairs ?? [];
  const flagView = flagPage(flags, await searchParams);
  const shown = await describeComparisons(project.id, flagView.rows.map((f) => f.comparisonId));
  const shownById = new Map(shown.map((pair) => [pair.id, pair]));
  const fineTuned = typeof m.featurizer === 'string' && m.featurizer.startsWith('fine-tune:');
  const members = model.kind === 'ensemble' ? Number((model.config as { members?: number }).members ?? 5) : 1;
  return (
    <div className="space-y-6">
      <ProjectPageHeader project={project} title={model.name}>
        {kindLabel(model)} · {model.status}
        {model.backend ? ` · trained on the ${model.backend} backend` : ''}
        {m.trainSeconds !== undefined ? ` in ${m.trainSeconds} s (${m.examplesPerSecond} examples/s)` : ''}
        {fineTuned ? ` · ${m.featurizer!.slice('fine-tune:'.length).split(':')[0]} fine-tuned${m.lora ? ` with LoRA (r ${m.lora.rank}, alpha ${m.lora.alpha}, ${m.lora.targets.join(', ')})` : ' in full'}` : ''}
      </ProjectPageHeader>
      {model.status === 'failed' ? <p className="text-sm text-rose-700">{m.error ?? model.job?.lastError}</p> : null}
      {model.jobId ? <ModelTraining jobId={model.jobId} training={model.status === 'training'} /> : null}
      {e ? (
        <Card title="Held-out evaluation">
          <dl className="grid grid-cols-2 gap-x-6 gap-y-1 text-sm md:grid-cols-4">
            <dt className="text-slate-600">Accuracy (ties excluded)</dt>
            <dd>{pct(e.accuracy)} on {e.decisive} pairs</dd>
            <dt className="text-slate-600">Longer response wins</dt>
            <dd>
              {pct(m.baseline?.accuracy)}
              {belowBaseline(model) ? <span className="ml-1 rounded bg-amber-100 px-1 text-xs text-amber-800">this model does worse than picking the longer answer</span> : null}
            </dd>
            <dt className="text-slate-600">Tie-aware accuracy</dt>
            <dd>
              {pct(e.tieAwareAccuracy)} ({e.ties} ties, ν = {e.tieNu.toFixed(3)})
            </dd>
            <dt className="text-slate-600">Log-loss / ECE</dt>
            <dd>
              {e.logLoss?.toFixed(4) ?? '–'} / {e.ece?.toFixed(4) ?? '–'}
            </dd>
            <dt className="text-slate-600">Best-of-4</dt>
            <dd>{e.bestOf4 ? `${pct(e.bestOf4.accuracy)} over ${e.bestOf4.prompts} prompts` : 'no prompt with a response that beat three others'}</dd>
          </dl>
          <h3 className="mt-4 text-sm font-semibold text-slate-700">Reliability diagram</h3>
          <ReliabilityChart models={[{ name: model.name, bins: e.reliability }]} />
          {e.byTag.length ? (
            <>
              <h3 className="mt-4 text-sm font-semibold text-slate-700">Accuracy by tag and source</h3>
              <table className="text-sm">
                <tbody>
                  {e.byTag.map((t) => (
                    <tr key={t.tag}>
                      <td className="pr-4">{t.tag}</td>
                      <td className="pr-4">{pct(t.accuracy)}</td>
                      <td className="text-slate-500">{t.pairs} pairs</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
          {fineTuned ? (
            <p className="mt-4 flex flex-wrap gap-4 text-sm">
              <a className="text-indigo-700 underline" href={`/api/v1/reward-models/${model.id}/export?format=hf`}>
                Download for transformers (sequence classifier)
              </a>
              {m.lora ? (
                <a className="text-indigo-700 underline" href={`/api/v1/reward-models/${model.id}/export?format=peft`}>
                  Download the PEFT adapter (LoRA r {m.lora.rank})
                </a>
              ) : null}
            </p>
          ) : (
            <p className="mt-4 text-sm">
              <a className="text-indigo-700 underline" href={`/api/v1/reward-models/${model.id}/export`}>
                Download the model (model.json + weights.bin)
              </a>
            </p>
          )}
        </Card>
      ) : null}
      {m.flags ? (
        <Card title={`Flagged training pairs: ${m.flags.mislabelled} likely mislabelled, ${m.flags.ambiguous} ambiguous`}>
          <p className="mb-2 text-sm text-slate-600">
            {members > 1 ? 'Mean preference strength across members (out of bag where the member did not see the pair)' : 'Preference strength'}: below 0 the model disagrees with the label; below {m.flags.threshold} it is unsure.
          </p>
          <FlaggedPairs
            projectId={project.id}
            pairs={flagView.rows.flatMap((f) => {
              const pair = shownById.get(f.comparisonId);
              return pair ? [{ ...pair, kind: f.kind, mean: f.mean, std: f.std }] : [];
            })}
            members={members}
            page={{ page: flagView.page, pages: flagView.pages, sort: flagView.sort, total: flags.length, base: `/projects/${project.id}/models/${model.id}` }}
            allIds={flags.filter((f) => f.kind === 'mislabelled').map((f) => f.comparisonId)}
          />
        </Card>
      ) : null}
      {model.status === 'ready' ? (
        <Card title="Score responses">
          <ScoreForm modelId={model.id} />
        </Card>
      ) : null}
    </div>
  );
}
