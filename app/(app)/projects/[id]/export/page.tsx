import type { Metadata } from 'next';
import Link from 'next/link';
import { getProjectForActor } from '@/db/queries/projects';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';
import { Card } from '@/app/_components/ui';
import { ExportForm } from './export-form';

export const metadata: Metadata = { title: 'Export' };

export default async function ExportPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const project = loadOr404((await params).id, (id) => getProjectForActor(actor, id));
  if (!project.canManage) return <Forbidden what="Exports are for the project's researchers." />;
  return (
    <div className="space-y-6">
      <div>
        <Link className="text-sm text-indigo-700 underline" href={`/projects/${project.id}`}>
          {project.name}
        </Link>
        <h1 className="text-2xl font-semibold">Export</h1>
        <p className="text-sm text-slate-600">Trainer-ready files: the canonical JSONL that TRL and OpenRLHF read unchanged, sibling formats, and a dataset card with the commands to train. Every export is validated first.</p>
      </div>
      <Card title="Export preferences">
        <ExportForm projectId={project.id} />
      </Card>
    </div>
  );
}
