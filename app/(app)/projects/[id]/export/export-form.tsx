'use client';
import { useState } from 'react';
import { Button, ErrorText } from '@/app/_components/ui';

type Bundle = { files: Record<string, string>; validation: { ok: boolean; errors: string[]; warnings: string[] }; counts: { pairs: number; train: number; test: number; ties: number; tiesDropped: number; desirable: number; undesirable: number } };

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

/** Runs the export through the REST API, shows the pre-flight report, and offers each file for download. */
export function ExportForm({ projectId }: { projectId: number }) {
  const [bundle, setBundle] = useState<Bundle | null>(null);
  const [error, setError] = useState('');
  const [pending, setPending] = useState(false);
  return (
    <div className="space-y-4">
      <form
        className="grid gap-3 md:grid-cols-4"
        onSubmit={async (e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          const query = new URLSearchParams([...form.entries()].map(([k, v]) => [k, String(v)]));
          setPending(true);
          setError('');
          try {
            const res = await fetch(`/api/v1/projects/${projectId}/export?${query}`);
            const body = (await res.json()) as Bundle & { error?: string };
            if (!res.ok) setError(body.error ?? `export failed (${res.status})`);
            else setBundle(body);
          } catch {
            setError('The server could not be reached. Try again.');
          } finally {
            setPending(false);
          }
        }}
      >
        <Choice label="Format" name="format" options={['all', 'trl', 'implicit', 'standard', 'kto', 'llamafactory', 'battles', 'raw']} value="all" />
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
          <Button type="submit" disabled={pending}>
            {pending ? 'Exporting…' : 'Export'}
          </Button>
        </div>
      </form>
      <ErrorText>{error}</ErrorText>
      {bundle ? (
        <div className="space-y-3" data-testid="export-result">
          <p className="text-sm">
            {bundle.counts.pairs} pairs (train {bundle.counts.train}, test {bundle.counts.test}); {bundle.counts.ties} ties ({bundle.counts.tiesDropped} dropped from pair files); KTO {bundle.counts.desirable} desirable / {bundle.counts.undesirable} undesirable.
          </p>
          <p role="status" className={bundle.validation.ok ? 'text-sm text-emerald-700' : 'text-sm text-rose-700'}>
            {bundle.validation.ok ? 'Pre-flight validation passed.' : `Pre-flight validation found ${bundle.validation.errors.length} problems.`}
          </p>
          {bundle.validation.errors.length || bundle.validation.warnings.length ? (
            <ul className="list-disc pl-5 text-sm">
              {[...bundle.validation.errors, ...bundle.validation.warnings.map((w) => `warning: ${w}`)].map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          ) : null}
          <ul className="space-y-1 text-sm">
            {Object.entries(bundle.files)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([name, content]) => (
                <li key={name}>
                  <a className="text-indigo-700 underline" download={name.replaceAll('/', '_')} href={URL.createObjectURL(new Blob([content], { type: name.endsWith('.md') ? 'text/markdown' : 'application/json' }))}>
                    {name}
                  </a>{' '}
                  <span className="text-xs text-slate-500">{(content.length / 1024).toFixed(1)} KiB</span>
                </li>
              ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
