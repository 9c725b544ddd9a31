import type { Metadata } from 'next';
import Link from 'next/link';
import { listProjectsForActor } from '@/db/queries/projects';
import { canCreateProjects } from '@/lib/auth/access';
import { requireActor } from '@/app/_lib/session';
import { Card } from '@/app/_components/ui';
import { CreateProjectForm } from './create-project-form';

export const metadata: Metadata = { title: 'Projects' };

export default async function ProjectsPage() {
  const actor = await requireActor();
  const projects = await listProjectsForActor(actor);
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Projects</h1>
      {projects.length === 0 ? <p className="text-sm text-slate-600">You are not a member of any project yet.</p> : null}
      <ul className="grid gap-4 md:grid-cols-2">
        {projects.map((p) => (
          <li key={p.id}>
            <Link href={`/projects/${p.id}`} className="block rounded-lg border border-slate-200 bg-white p-5 shadow-sm hover:border-indigo-300">
              <h2 className="font-semibold text-slate-900">{p.name}</h2>
              {p.description ? <p className="mt-1 line-clamp-2 text-sm text-slate-600">{p.description}</p> : null}
              <p className="mt-3 text-xs text-slate-500">
                {p.counts.prompts} prompts · {p.counts.items} items · {p.counts.judgments} judgments
                {p.memberRole ? ` · you: ${p.memberRole}` : ''}
              </p>
            </Link>
          </li>
        ))}
      </ul>
      {canCreateProjects(actor) ? (
        <Card title="New project">
          <CreateProjectForm />
        </Card>
      ) : null}
    </div>
  );
}
