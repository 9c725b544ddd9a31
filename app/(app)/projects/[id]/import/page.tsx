import type { Metadata } from 'next';
import { getProjectForActor } from '@/db/queries/projects';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';
import { ProjectPageHeader } from '@/app/_components/project-page-header';
import { Card } from '@/app/_components/ui';
import { ImportForm } from './import-form';

export const metadata: Metadata = { title: 'Import' };

export default async function ImportPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const project = await loadOr404((await params).id, (id) => getProjectForActor(actor, id));
  if (!project.canManage) return <Forbidden what="Imports are for the project's researchers." />;
  return (
    <div className="space-y-6">
      <ProjectPageHeader project={project} title="Import">
        Prompts with candidate responses become items to annotate; preference pairs (TRL, Anthropic HH) and arena battles become comparisons. The whole file is one transaction: preview first, and any bad row stops the import unless you choose to import the valid rows.
      
      </ProjectPageHeader>
      <Card title="Upload">
        <ImportForm projectId={project.id} />
      </Card>
    </div>
  );
}
