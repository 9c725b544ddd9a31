import type { Metadata } from 'next';
import Link from 'next/link';
import { getProjectForActor } from '@/db/queries/projects';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';
import { Card } from '@/app/_components/ui';
import { ImportForm } from './import-form';

export const metadata: Metadata = { title: 'Import' };

export default async function ImportPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const project = loadOr404((await params).id, (id) => getProjectForActor(actor, id));
  if (!project.canManage) return <Forbidden what="Imports are for the project's researchers." />;
  return (
    <div className="space-y-6">
      <div>
        <Link className="text-sm text-indigo-700 underline" href={`/projects/${project.id}`}>
          {project.name}
        </Link>
        <h1 className="text-2xl font-semibold">Import</h1>
        <p className="text-sm text-slate-600">
          Prompts with candidate responses become items to annotate; preference pairs (TRL, Anthropic HH) and arena battles become comparisons. The whole file is one transaction: preview first, and any bad row stops the import unless you choose to import the valid rows.
        </p>
      </div>
      <Card title="Upload">
        <ImportForm projectId={project.id} />
      </Card>
    </div>
  );
}
