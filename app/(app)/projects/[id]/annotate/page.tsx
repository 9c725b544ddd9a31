import type { Metadata } from 'next';
import Link from 'next/link';
import { getProjectForActor } from '@/db/queries/projects';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';
import { ProjectTabs } from '@/app/_components/project-tabs';
import { Workbench } from './workbench';

export const metadata: Metadata = { title: 'Annotate' };

export default async function AnnotatePage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const project = await loadOr404((await params).id, (id) => getProjectForActor(actor, id));
  if (actor.role !== 'admin' && project.memberRole === null) return <Forbidden what="Only members of this project can annotate it." />;
  return (
    <div className="space-y-4">
      <ProjectTabs projectId={project.id} canManage={project.canManage} />
      <div className="flex flex-wrap items-baseline justify-between gap-x-4">
        <h1 className="text-xl font-semibold">Annotate: {project.name}</h1>
        <Link className="text-sm text-indigo-700 underline" href={`/projects/${project.id}`}>
          Back to the project
        </Link>
      </div>
      <Workbench projectId={project.id} guidelines={project.guidelines} guidelinesVersion={project.guidelinesVersion} />
    </div>
  );
}
