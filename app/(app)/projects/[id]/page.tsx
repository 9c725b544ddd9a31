import type { Metadata } from 'next';
import Link from 'next/link';
import { listJobsForActor } from '@/db/queries/jobs';
import { getProjectForActor, listProjectMembers } from '@/db/queries/projects';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { Card, StatusBadge } from '@/app/_components/ui';
import { ProjectTabs } from '@/app/_components/project-tabs';
import { describeSettings } from '@/lib/projects/describe-settings';
import { AddMemberForm } from './add-member-form';
import { RecomputeStatsButton } from './recompute-stats-button';

export const metadata: Metadata = { title: 'Project' };

export default async function ProjectPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const project = await loadOr404((await params).id, (id) => getProjectForActor(actor, id));
  const jobs = project.canManage ? await listJobsForActor(actor, { projectId: project.id, limit: 5 }) : [];
  const members = project.canManage ? await listProjectMembers(project.id) : [];
  const counts = Object.entries(project.counts);
  return (
    <div className="space-y-6">
      <ProjectTabs projectId={project.id} canManage={project.canManage} />
      <div>
        <h1 className="text-2xl font-semibold">{project.name}</h1>
        {project.description ? <p className="mt-1 text-sm text-slate-600">{project.description}</p> : null}
        <p className="mt-3">
          <Link className="inline-flex rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-700" href={`/projects/${project.id}/annotate`}>
            Start annotating
          </Link>
        </p>
      </div>
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-5">
        {counts.map(([name, n]) => (
          <div key={name} className="rounded-lg border border-slate-200 bg-white p-4">
            <dt className="text-xs uppercase tracking-wide text-slate-500">{name}</dt>
            <dd className="text-xl font-semibold">{n}</dd>
          </div>
        ))}
      </dl>
      <Card title="Systems">
        {project.stats ? (
          <table className="w-full text-sm">
            <caption className="mb-2 text-left text-xs text-slate-500">
              Win rate = (wins + ½ ties) / battles over {project.stats.comparisons} comparisons; computed {project.statsUpdatedAt?.toISOString().replace('T', ' ').slice(0, 19)} UTC.
            </caption>
            <thead>
              <tr className="text-left text-slate-500">
                <th className="py-1">System</th>
                <th>Battles</th>
                <th>Wins</th>
                <th>Losses</th>
                <th>Ties</th>
                <th>Both bad</th>
                <th>Win rate</th>
              </tr>
            </thead>
            <tbody>
              {project.stats.systems.map((s) => (
                <tr key={s.system} className="border-t border-slate-100">
                  <td className="py-1 font-medium">{s.system}</td>
                  <td>{s.battles}</td>
                  <td>{s.wins}</td>
                  <td>{s.losses}</td>
                  <td>{s.ties}</td>
                  <td>{s.bothBad}</td>
                  <td>{s.winRate.toFixed(3)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="text-sm text-slate-600">
            No statistics yet.{' '}
            {project.canManage && project.counts.comparisons ? `${project.counts.judgments.toLocaleString('en')} judgments and ${project.counts.comparisons.toLocaleString('en')} comparisons so far: recompute to see each system's record.` : ''}
          </p>
        )}
        {project.stats && project.canManage && project.counts.comparisons !== project.stats.comparisons ? (
          <p role="status" className="mt-2 rounded bg-amber-50 px-3 py-2 text-sm text-amber-900">
            {(() => {
              const changed = Math.abs(project.counts.comparisons - project.stats.comparisons);
              return `${changed.toLocaleString('en')} comparison${changed === 1 ? '' : 's'} ${project.counts.comparisons > project.stats.comparisons ? 'added' : 'removed'} since these were computed: recompute to include ${changed === 1 ? 'it' : 'them'}.`;
            })()}
          </p>
        ) : null}
        {project.canManage ? (
          <div className="mt-4">
            <RecomputeStatsButton projectId={project.id} />
          </div>
        ) : null}
      </Card>
      {project.canManage ? (
        <div className="grid gap-6 md:grid-cols-2">
          <Card title="Recent jobs">
            <ul className="space-y-2 text-sm">
              {jobs.length === 0 ? <li className="text-slate-500">No jobs yet.</li> : null}
              {jobs.map((j) => (
                <li key={j.id} className="flex items-center gap-2">
                  <Link className="underline" href={`/jobs/${j.id}`}>
                    #{j.id} {j.title}
                  </Link>
                  <StatusBadge status={j.status} />
                </li>
              ))}
            </ul>
          </Card>
          <Card title="Members">
            <ul className="space-y-1 text-sm">
              {members.map((m) => (
                <li key={m.userId}>
                  {m.name} <span className="text-slate-500">({m.email}, {m.role})</span>
                </li>
              ))}
            </ul>
            <AddMemberForm projectId={project.id} />
          </Card>
        </div>
      ) : null}
      {project.canManage ? (
        <Card title={`Task settings (guidelines v${project.guidelinesVersion})`}>
          <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-1 text-sm" aria-label="Task settings">
            {describeSettings(project.settings).map(([label, value]) => (
              <div key={label} className="contents">
                <dt className="text-slate-500">{label}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
          <p className="mt-3 text-sm">
            <Link className="text-indigo-700 underline" href={`/projects/${project.id}/settings`}>
              Change the settings
            </Link>
          </p>
        </Card>
      ) : null}
    </div>
  );
}
