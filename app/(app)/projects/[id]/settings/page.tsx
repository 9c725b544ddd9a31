import type { Metadata } from 'next';
import { getProjectForActor, listGuidelineVersions } from '@/db/queries/projects';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';
import { ProjectPageHeader } from '@/app/_components/project-page-header';
import { Card } from '@/app/_components/ui';
import { GuidelinesForm } from './guidelines-form';
import { SettingsForm } from './settings-form';

export const metadata: Metadata = { title: 'Project settings' };

export default async function SettingsPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const project = await loadOr404((await params).id, (id) => getProjectForActor(actor, id));
  if (!project.canManage) return <Forbidden what="Project settings are for the project's researchers." />;
  const versions = await listGuidelineVersions(project.id);
  return (
    <div className="space-y-6">
      <ProjectPageHeader project={project} title="Settings" />
      <Card title="Annotation task">
        <SettingsForm projectId={project.id} settings={project.settings} />
      </Card>
      <Card title="Guidelines">
        <GuidelinesForm projectId={project.id} markdown={project.guidelines} version={project.guidelinesVersion} />
        <details className="mt-4 text-sm">
          <summary className="cursor-pointer text-slate-600">History ({versions.length} versions)</summary>
          <ul className="mt-2 space-y-1">
            {versions.map((v) => (
              <li key={v.version}>
                v{v.version} · {v.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC · {v.markdown.length} characters
              </li>
            ))}
          </ul>
        </details>
      </Card>
    </div>
  );
}
