import type { Metadata } from 'next';
import { getProjectForActor } from '@/db/queries/projects';
import { listPolicies } from '@/db/queries/policies';
import { listRewardModels } from '@/db/queries/reward-models';
import { listCheckpoints } from '@/lib/checkpoints';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';
import { ProjectPageHeader } from '@/app/_components/project-page-header';
import { AlignView } from './align-view';

export const metadata: Metadata = { title: 'Alignment' };
export const dynamic = 'force-dynamic';

export default async function AlignPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const project = await loadOr404((await params).id, (id) => getProjectForActor(actor, id));
  if (!project.canManage) return <Forbidden what="Alignment runs are for the project's researchers." />;
  const policies = await listPolicies(actor, project.id);
  const rewardModels = (await listRewardModels(actor, project.id))
    .filter((m) => m.status === 'ready')
    .map((m) => ({ id: m.id, name: m.name, kind: m.kind }));
  return (
    <div className="space-y-6">
      <ProjectPageHeader project={project} title="Alignment">
        A GPT policy fine-tuned on this project&apos;s chosen responses (SFT), then optimised on its preferences with a DPO-family loss against the frozen SFT reference, in a background worker. Samples of the reference and the policy are shown side by side; a reward model can judge them.
      </ProjectPageHeader>
      <AlignView
        projectId={project.id}
        initialPolicies={JSON.parse(JSON.stringify(policies)) as typeof policies}
        rewardModels={rewardModels}
        checkpoints={listCheckpoints().map((c) => c.name)}
      />
    </div>
  );
}
