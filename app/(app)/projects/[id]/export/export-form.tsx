'use client';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { Button, ErrorText } from '@/app/_components/ui';
import { ExportDownloads } from './export-downloads';

type Report = {
  files: string[];
  validation: { ok: boolean; errors: string[]; errorCount: number; warnings: string[] };
  counts: { pairs: number; train: number; test: number; ties: number; tiesDropped: number; desirable: number; undesirable: number };
};
type ExportJob = { id: number; status: string; progress: number; message: string | null; lastError: string | null; result: Report | null };

const input = 'w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm';

function Choice({ label, name, options, value }: { label: string; name: string; options: string[]; value: string }) {
  return (
    <label className="text-sm">
      <span className="mb-1 block font-medium text-slate-700">{label}</span>
      <select name={name} defaultValue={value} className={input}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * Runs the export as a background job (POST /exports), follows its progress, then shows the pre-flight
 * report and offers the zip and each file for download. Any project size: the files are streamed to disk.
 */
export function ExportForm({ projectId }: { projectId: number }) {
  const [job, setJob] = useState<ExportJob | null>(null);
  const [error, setError] = useState('');
  const running = job !== null && (job.status === 'queued' || job.status === 'running');
  const router = useRouter();
  const ended = job !== null && !running;
  // A finished export joins the list of earlier exports below.
  useEffect(() => {
    if (ended) router.refresh();
  }, [ended, router]);
  useEffect(() => {
    if (!running) return;
    const poll = async () => {
      try {
        const res = await fetch(`/api/v1/projects/${projectId}/exports/${job.id}`);
        if (res.ok) setJob(((await res.json()) as { job: ExportJob }).job);
      } catch {
        // a missed poll is retried on the next tick
      }
    };
    const timer = setInterval(() => void poll(), 700);
    return () => clearInterval(timer);
  }, [running, job?.id, projectId]);
  const report = job?.status === 'succeeded' ? job.result : null;
  return (
    <div className="space-y-4">
      <form
        className="grid gap-3 md:grid-cols-4"
        onSubmit={async (e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          const body = Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v)]));
          setError('');
          try {
            const res = await fetch(`/api/v1/projects/${projectId}/exports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
            const answer = (await res.json()) as { job?: ExportJob; error?: string };
            if (!res.ok || !answer.job) setError(answer.error ?? `export failed (${res.status})`);
            else setJob(answer.job);
          } catch {
            setError('The server could not be reached. Try again.');
          }
        }}
      >
        <Choice label="Format" name="format" options={['all', 'trl', 'implicit', 'standard', 'kto', 'llamafactory', 'battles', 'raw', 'csv']} value="all" />
        <Choice label="Aggregation" name="aggregation" options={['majority', 'strength-weighted', 'dawid-skene', 'bt-consensus']} value="majority" />
        <Choice label="Ties" name="ties" options={['drop', 'both-orderings']} value="drop" />
        <Choice label="Margin" name="margin" options={['off', 'abs', 'llama2']} value="off" />
        <Choice label="Ranking pairs" name="rankings" options={['best-vs-each-adjacent', 'all']} value="best-vs-each-adjacent" />
        <label className="text-sm">
          <span className="mb-1 block font-medium text-slate-700">Test share (by prompt)</span>
          <input className={input} name="testShare" type="number" min={0} max={0.5} step={0.05} defaultValue={0.1} />
        </label>
        <label className="text-sm">
          <span className="mb-1 block font-medium text-slate-700">Split seed</span>
          <input className={input} name="seed" type="number" min={0} defaultValue={0} />
        </label>
        <label className="text-sm">
          <span className="mb-1 block font-medium text-slate-700">Minimum agreement</span>
          <input className={input} name="minAgreement" type="number" min={0} max={1} step={0.05} defaultValue={0} />
        </label>
        <label className="text-sm">
          <span className="mb-1 block font-medium text-slate-700">Pairs from ratings: attribute (optional)</span>
          <input className={input} name="ratingsAttribute" placeholder="e.g. helpfulness" />
        </label>
        <label className="text-sm">
          <span className="mb-1 block font-medium text-slate-700">Minimum rating difference</span>
          <input className={input} name="ratingsThreshold" type="number" min={1} max={4} step={1} defaultValue={1} />
        </label>
        <div className="md:col-span-4">
          <Button type="submit" disabled={running}>
            {running ? 'Exporting…' : 'Export'}
          </Button>
        </div>
      </form>
      <ErrorText>{error}</ErrorText>
      {running ? (
        <div className="space-y-1" data-testid="export-progress">
          <div className="h-2 w-full overflow-hidden rounded bg-slate-200" role="progressbar" aria-label="Export progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(job.progress * 100)}>
            <div className="h-full bg-indigo-600 transition-all" style={{ width: `${Math.round(job.progress * 100)}%` }} />
          </div>
          <p className="text-xs text-slate-600">{job.status === 'queued' ? 'Waiting for a worker…' : (job.message ?? 'Exporting…')}</p>
        </div>
      ) : null}
      {job && (job.status === 'failed' || job.status === 'cancelled') ? <ErrorText>{`The export ${job.status}: ${job.lastError ?? 'no reason given'}`}</ErrorText> : null}
      {report ? (
        <div className="space-y-3" data-testid="export-result">
          <p className="text-sm">
            {report.counts.pairs} pairs (train {report.counts.train}, test {report.counts.test}); {report.counts.ties} ties ({report.counts.tiesDropped} dropped from pair files); KTO {report.counts.desirable} desirable / {report.counts.undesirable} undesirable.
          </p>
          <p role="status" className={report.validation.ok ? 'text-sm text-emerald-700' : 'text-sm text-rose-700'}>
            {report.validation.ok ? 'Pre-flight validation passed.' : `Pre-flight validation found ${report.validation.errorCount} problems.`}
          </p>
          {report.validation.errors.length || report.validation.warnings.length ? (
            <ul className="list-disc pl-5 text-sm">
              {[...report.validation.errors, ...report.validation.warnings.map((w) => `warning: ${w}`)].map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          ) : null}
          <ExportDownloads projectId={projectId} jobId={job!.id} files={report.files} />
        </div>
      ) : null}
    </div>
  );
}
