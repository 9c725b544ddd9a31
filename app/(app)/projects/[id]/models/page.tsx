import type { Metadata } from 'next';
import { getProjectForActor } from '@/db/queries/projects';
import { listRewardModels } from '@/db/queries/reward-models';
import { listCheckpoints } from '@/lib/checkpoints';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';
import { ProjectPageHeader } from '@/app/_components/project-page-header';
import { ModelsView } from './models-view';

export const metadata: Metadata = { title: 'Models' };
export const dynamic = 'force-dynamic';

export default async function ModelsPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const project = await loadOr404((await params).id, (id) => getProjectForActor(actor, id));
  if (!project.canManage) return <Forbidden what="Reward models are for the project's researchers." />;
  const models = await listRewardModels(actor, project.id);
  return (
    <div className="space-y-6">
      <ProjectPageHeader project={project} title="Models">
        Reward models fitted on this project&apos;s preferences in a background worker, evaluated on held-out prompts against a longer-response-wins baseline. Ensembles flag pairs that look mislabelled.
      </ProjectPageHeader>
      <ModelsView projectId={project.id} checkpoints={listCheckpoints().map((c) => c.name)} initialModels={JSON.parse(JSON.stringify(models)) as typeof models} />
    </div>
  );
}
