import Link from 'next/link';
import type { JobView } from '@/db/queries/jobs';
import { StatusBadge } from '@/app/_components/ui';
import { ExportDownloads } from './export-downloads';

type ExportResult = { files?: string[]; counts?: { pairs?: number; train?: number; test?: number }; validation?: { ok?: boolean } };

/** The project's earlier exports, newest first: when, how many pairs, whether they validated, the card and every file. */
export function ExportHistory({ projectId, exports }: { projectId: number; exports: JobView[] }) {
  if (exports.length === 0) return <p className="text-sm text-slate-500">No exports yet.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" aria-label="Earlier exports">
        <thead className="text-slate-500">
          <tr>
            <th className="py-1">Export</th>
            <th>Made</th>
            <th>Status</th>
            <th>Pairs</th>
            <th>Validation</th>
            <th>Files</th>
          </tr>
        </thead>
        <tbody>
          {exports.map((job) => {
            const r = (job.result ?? {}) as ExportResult;
            const done = job.status === 'succeeded' && Array.isArray(r.files);
            return (
              <tr key={job.id} className="border-t border-slate-100 align-top">
                <td className="py-1">
                  <Link className="text-indigo-700 underline" href={`/jobs/${job.id}`}>
                    #{job.id}
                  </Link>
                </td>
                <td className="whitespace-nowrap pr-3">{job.createdAt.toISOString().slice(0, 16).replace('T', ' ')}</td>
                <td className="pr-3">
                  <StatusBadge status={job.status} />
                </td>
                <td className="pr-3">{typeof r.counts?.pairs === 'number' ? r.counts.pairs.toLocaleString('en') : '—'}</td>
                <td className="pr-3">{r.validation ? (r.validation.ok ? 'passed' : 'failed') : '—'}</td>
                <td>
                  {done ? (
                    <ExportDownloads projectId={projectId} jobId={job.id} files={r.files!} inline />
                  ) : (
                    <span className="text-slate-500">{job.message ?? ''}</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
