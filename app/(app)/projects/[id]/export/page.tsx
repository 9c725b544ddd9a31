import type { Metadata } from 'next';
import { getProjectForActor } from '@/db/queries/projects';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';
import { ProjectPageHeader } from '@/app/_components/project-page-header';
import { Card } from '@/app/_components/ui';
import { listJobsForActor } from '@/db/queries/jobs';
import { ExportForm } from './export-form';
import { ExportHistory } from './export-history';

export const metadata: Metadata = { title: 'Export' };
export const dynamic = 'force-dynamic';

export default async function ExportPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const project = await loadOr404((await params).id, (id) => getProjectForActor(actor, id));
  if (!project.canManage) return <Forbidden what="Exports are for the project's researchers." />;
  const exports = await listJobsForActor(actor, { projectId: project.id, kind: 'export-dataset', limit: 20 });
  return (
    <div className="space-y-6">
      <ProjectPageHeader project={project} title="Export">
        Trainer-ready files: the canonical JSONL that TRL and OpenRLHF read unchanged, sibling formats, and a dataset card with the commands to train. Exports run in the background at any size and are validated row by row; download them as a zip or file by file.
      </ProjectPageHeader>
      <Card title="Export preferences">
        <ExportForm projectId={project.id} />
      </Card>
      <Card title="Earlier exports">
        <ExportHistory projectId={project.id} exports={exports} />
      </Card>
    </div>
  );
}
