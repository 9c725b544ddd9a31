'use client';
import { useRouter } from 'next/navigation';
import { useRef, useState } from 'react';
import { Button, ErrorText, ProgressBar } from '@/app/_components/ui';
import { formatColumnMapping, MAPPABLE_FIELDS } from '@/lib/data/column-mapping';
import { IMPORT_FORMATS } from '@/lib/data/import-formats';
import type { ImportedRow } from '@/lib/data/import-rows';
import { PreviewTable } from './preview-table';

type Report = {
  format: string;
  mapping: string;
  columns: string[];
  imported: boolean;
  counts: { rows: number; promptsAdded: number; responsesAdded: number; comparisonsAdded: number; itemsAdded: number };
  errors: { line: number; message: string }[];
  errorCount: number;
  errorKinds: { kind: string; count: number; firstLine: number }[];
  preview: ImportedRow[];
};

const FORMATS = ['auto', ...IMPORT_FORMATS];

/** Upload with a progress bar (XMLHttpRequest reports upload progress; fetch does not), preview first, then import. */
export function ImportForm({ projectId }: { projectId: number }) {
  const router = useRouter();
  const fileRef = useRef<HTMLInputElement>(null);
  const [format, setFormat] = useState('auto');
  const [validOnly, setValidOnly] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [report, setReport] = useState<(Report & { dryRun: boolean }) | null>(null);
  const [error, setError] = useState('');
  /** The file's field names (from the last preview) and what each is read as (source → target). */
  const [columns, setColumns] = useState<string[]>([]);
  const [readAs, setReadAs] = useState<Record<string, string>>({});
  const mapping = formatColumnMapping(Object.fromEntries(Object.entries(readAs).flatMap(([source, target]) => (target ? [[target, source]] : []))));

  const send = (dryRun: boolean) => {
    const file = fileRef.current?.files?.[0];
    if (!file) return setError('choose a file first');
    setError('');
    setProgress(0);
    const query = new URLSearchParams({ filename: file.name, format, map: mapping, validOnly: validOnly ? '1' : '0', dryRun: dryRun ? '1' : '0' });
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/projects/${projectId}/imports?${query}`);
    // Always a declared, non-form type: the API refuses signed-in uploads sent as text/plain, form data or with
    // no type (what a cross-site page could send), and a file's own type depends on the browser and the OS.
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => e.lengthComputable && setProgress(e.loaded / e.total);
    xhr.onload = () => {
      setProgress(null);
      let body: Report & { error?: string };
      try {
        body = JSON.parse(xhr.responseText) as Report & { error?: string };
      } catch {
        return setError(`the server answered ${xhr.status}`);
      }
      if (body.columns?.length) setColumns(body.columns);
      if (xhr.status >= 400) return setError(body.error ?? `import failed (${xhr.status})`);
      setReport({ ...body, dryRun });
      if (body.imported) router.refresh();
    };
    xhr.onerror = () => {
      setProgress(null);
      setError('The server could not be reached. Nothing was imported.');
    };
    xhr.send(file);
  };

  return (
    <div className="space-y-4">
      <div className="grid gap-3 md:grid-cols-3">
        <label className="text-sm md:col-span-3">
          <span className="mb-1 block font-medium text-slate-700">File (.jsonl, .json, .csv, .parquet, optionally .gz)</span>
          <input
            ref={fileRef}
            type="file"
            accept=".jsonl,.ndjson,.json,.csv,.parquet,.gz"
            className="block text-sm text-slate-700 file:mr-3 file:cursor-pointer file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-medium file:text-slate-800 hover:file:bg-slate-50"
            onChange={() => {
              setReport(null);
              setColumns([]);
              setReadAs({});
            }}
          />
        </label>
        <label className="text-sm">
          <span className="mb-1 block font-medium text-slate-700">Format</span>
          <select value={format} onChange={(e) => setFormat(e.target.value)} className="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm">
            {FORMATS.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-2 self-end text-sm">
          <input type="checkbox" checked={validOnly} onChange={(e) => setValidOnly(e.target.checked)} /> Import the valid rows and report the rest
        </label>
      </div>
      {columns.length ? (
        <fieldset className="space-y-2 rounded-md border border-slate-200 p-3 text-sm">
          <legend className="px-1 font-medium text-slate-700">Column mapping</legend>
          <p className="text-xs text-slate-600">Fields of your file, and what each is read as. Map the ones whose names differ from the format&apos;s, then preview again.</p>
          <table className="text-sm">
            <thead>
              <tr className="text-left text-xs text-slate-500">
                <th className="pr-4 font-medium">File field</th>
                <th className="font-medium">Read as</th>
              </tr>
            </thead>
            <tbody>
              {columns.map((column) => (
                <tr key={column}>
                  <td className="pr-4 font-mono text-xs">{column}</td>
                  <td>
                    <select
                      aria-label={`Read ${column} as`}
                      value={readAs[column] ?? ''}
                      onChange={(e) => setReadAs((m) => ({ ...m, [column]: e.target.value }))}
                      className="rounded-md border border-slate-300 px-2 py-1 text-sm"
                    >
                      <option value="">(as is)</option>
                      {MAPPABLE_FIELDS.map((f) => (
                        <option key={f} value={f} disabled={Object.entries(readAs).some(([c, t]) => t === f && c !== column)}>
                          {f}
                        </option>
                      ))}
                    </select>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {mapping ? (
            <p className="text-xs text-slate-600">
              The same on the command line: <code>--map &quot;{mapping}&quot;</code>
            </p>
          ) : null}
        </fieldset>
      ) : null}
      <div className="flex gap-2">
        <Button type="button" variant="secondary" onClick={() => send(true)} disabled={progress !== null}>
          Preview
        </Button>
        <Button type="button" onClick={() => send(false)} disabled={progress !== null}>
          Import
        </Button>
      </div>
      {progress !== null ? <ProgressBar value={progress} label="Upload progress" /> : null}
      <ErrorText>{error}</ErrorText>
      {report ? (
        <div className="space-y-2 text-sm" data-testid="import-report">
          <p>
            Format <strong>{report.format}</strong>: {report.mapping}
          </p>
          <p role="status">
            {report.dryRun
              ? `Preview: ${report.counts.rows} valid rows, ${report.errorCount} bad rows. Nothing was written.`
              : report.imported
                ? `Imported ${report.counts.rows} rows: ${report.counts.promptsAdded} new prompts, ${report.counts.responsesAdded} new responses, ${report.counts.comparisonsAdded} comparisons, ${report.counts.itemsAdded} items${report.errorCount ? `; skipped ${report.errorCount} bad rows` : ''}.`
                : `Nothing was imported: ${report.errorCount} bad rows. Fix them, or tick "Import the valid rows".`}
          </p>
          {report.imported && report.counts.comparisonsAdded > 0 && report.counts.itemsAdded === 0 ? (
            <p className="text-slate-600">
              These pairs are stored as comparisons: leaderboards, reward models and exports use them. They are not items to annotate, so Start annotating has nothing new; to have people label responses, import prompts with candidate responses.
            </p>
          ) : null}
          {report.errors.length ? (
            <ul className="max-h-48 list-disc overflow-y-auto pl-5 text-rose-800">
              {report.errors.map((e) => (
                <li key={e.line}>
                  line {e.line}: {e.message}
                </li>
              ))}
            </ul>
          ) : null}
          {report.errorCount > report.errors.length ? (
            <div data-testid="import-error-kinds">
              <p className="text-slate-600">
                The first {report.errors.length} bad rows are listed; all {report.errorCount}, by kind:
              </p>
              <ul className="list-disc pl-5 text-rose-800">
                {report.errorKinds.map((k) => (
                  <li key={k.kind}>
                    {k.count} × {k.kind} (first at line {k.firstLine})
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {report.dryRun && report.preview.length ? (
            <details open>
              <summary className="cursor-pointer text-slate-600">First rows as they will be stored</summary>
              <PreviewTable rows={report.preview} />
            </details>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
