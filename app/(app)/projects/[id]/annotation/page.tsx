import type { Metadata } from 'next';
import Link from 'next/link';
import { ITEM_FILTERS, listAnnotatorWork, listItemStatuses, type ItemFilter } from '@/db/queries/annotation-admin';
import { getProjectForActor } from '@/db/queries/projects';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';
import { ProjectPageHeader } from '@/app/_components/project-page-header';
import { Card, cn } from '@/app/_components/ui';
import { GoldSelect } from './gold-select';

export const metadata: Metadata = { title: 'Annotation progress' };

const PAGE = 50;
const seconds = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);

export default async function AnnotationPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ filter?: string; page?: string }> }) {
  const actor = await requireActor();
  const project = await loadOr404((await params).id, (id) => getProjectForActor(actor, id));
  if (!project.canManage) return <Forbidden what="Annotation progress is for the project's researchers." />;
  const query = await searchParams;
  const filter: ItemFilter = (ITEM_FILTERS as readonly string[]).includes(query.filter ?? '') ? (query.filter as ItemFilter) : 'all';
  const page = Math.max(1, Number.parseInt(query.page ?? '1', 10) || 1);
  const items = await listItemStatuses(actor, project.id, { filter, limit: PAGE, offset: (page - 1) * PAGE });
  const annotators = await listAnnotatorWork(actor, project.id);
  const pages = Math.max(1, Math.ceil(items.total / PAGE));
  const href = (f: string, p = 1) => `/projects/${project.id}/annotation?filter=${f}&page=${p}`;

  return (
    <div className="space-y-6">
      <ProjectPageHeader project={project} title="Annotation progress">
        Overlap {project.settings.overlap} per item · gold rate {(project.settings.goldRate * 100).toFixed(0)}% · order {project.settings.assignmentOrder} · leases {project.settings.leaseMinutes} min
      
      </ProjectPageHeader>
      <Card title="Annotators">
        {annotators.length === 0 ? (
          <p className="text-sm text-slate-600">No judgments yet.</p>
        ) : (
          <table className="w-full text-sm">
            <caption className="mb-2 text-left text-xs text-slate-500">Time per judgment is measured in the browser from showing the item to submitting it; throughput = judgments per hour of that time.</caption>
            <thead>
              <tr className="text-left text-slate-500">
                <th className="py-1">Annotator</th>
                <th>Judgments</th>
                <th>Last 24 h</th>
                <th>Median time</th>
                <th>Mean time</th>
                <th>Per hour</th>
                <th>Skips</th>
                <th>Gold accuracy</th>
              </tr>
            </thead>
            <tbody>
              {annotators.map((a) => (
                <tr key={a.userId} className="border-t border-slate-100">
                  <td className="py-1">
                    {a.name} <span className="text-xs text-slate-500">{a.email}</span>
                  </td>
                  <td>{a.judgments}</td>
                  <td>{a.last24h}</td>
                  <td>{seconds(a.medianMs)}</td>
                  <td>{seconds(a.meanMs)}</td>
                  <td>{a.perHour === null ? '–' : a.perHour.toFixed(0)}</td>
                  <td>{a.skips}</td>
                  <td>{a.gold.accuracy === null ? '–' : `${(a.gold.accuracy * 100).toFixed(0)}% (${a.gold.correct}/${a.gold.answered})`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card title={`Items (${items.total})`}>
        <nav aria-label="Item filter" className="mb-3 flex flex-wrap gap-2 text-sm">
          {ITEM_FILTERS.map((f) => (
            <Link key={f} href={href(f)} aria-current={f === filter ? 'page' : undefined} className={cn('rounded border px-2 py-0.5', f === filter ? 'border-indigo-600 bg-indigo-50 font-medium' : 'border-slate-300')}>
              {f}
            </Link>
          ))}
        </nav>
        <table className="w-full text-sm">
          <thead>
            <tr className="text-left text-slate-500">
              <th className="py-1">Item</th>
              <th>Kind</th>
              <th>Prompt</th>
              <th>Judgments</th>
              <th>Leased now</th>
              <th>Skips</th>
              <th>Status</th>
              <th>Gold</th>
            </tr>
          </thead>
          <tbody>
            {items.rows.map((item) => (
              <tr key={item.id} className="border-t border-slate-100 align-top">
                <td className="py-1">#{item.id}</td>
                <td>
                  {item.kind} ({item.responses})
                </td>
                <td className="max-w-md truncate">{item.promptPreview}</td>
                <td>
                  {item.annotationCount} / {item.isGold ? 'all' : item.required}
                </td>
                <td>{item.activeLeases}</td>
                <td>{item.skips}</td>
                <td>{item.status}</td>
                <td>
                  {item.kind === 'pair' ? (
                    <GoldSelect projectId={project.id} itemId={item.id} value={item.goldAnswer && 'winner' in item.goldAnswer ? item.goldAnswer.winner : 'none'} />
                  ) : item.isGold ? (
                    'gold'
                  ) : (
                    '–'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {pages > 1 ? (
          <p className="mt-3 flex gap-3 text-sm">
            {page > 1 ? <Link href={href(filter, page - 1)}>← Previous</Link> : null}
            <span>
              Page {page} of {pages}
            </span>
            {page < pages ? <Link href={href(filter, page + 1)}>Next →</Link> : null}
          </p>
        ) : null}
      </Card>
    </div>
  );
}
