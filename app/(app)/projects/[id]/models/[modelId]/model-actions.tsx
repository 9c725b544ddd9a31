'use client';
import Link from 'next/link';
import { useState } from 'react';
import { Button, ErrorText } from '@/app/_components/ui';
import type { FlagSort } from './flag-pages';

type Flagged = { id: number; prompt: string; chosen: string; rejected: string; fromItem: boolean; kind: string; mean: number; std: number };

const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** The flagged pairs, and one action that sends every likely-mislabelled pair back for another judgment. */
type FlagPageInfo = { page: number; pages: number; sort: FlagSort; total: number; base: string };

/** The model page's URL for a page of flags in an order (the table is paged and sorted on the server). */
const flagHref = (p: FlagPageInfo, page: number, sort: FlagSort) => `${p.base}?flags=${page}&sort=${sort}#flagged-pairs`;

export function FlaggedPairs({ projectId, pairs, allIds, members, page }: { projectId: number; pairs: Flagged[]; allIds: number[]; members: number; page: FlagPageInfo }) {
  const sortHeader = (label: string, asc: FlagSort, desc: FlagSort | null) => {
    const active = page.sort === asc || page.sort === desc;
    const next = page.sort === asc && desc ? desc : asc;
    return (
      <th className="py-1" aria-sort={page.sort === asc ? 'ascending' : page.sort === desc ? 'descending' : 'none'}>
        <Link className={active ? 'font-semibold text-slate-800 underline' : 'underline'} href={flagHref(page, 1, next)}>
          {label}
          {page.sort === asc ? ' ↑' : page.sort === desc ? ' ↓' : ''}
        </Link>
      </th>
    );
  };
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  return (
    <div className="space-y-3">
      <div className="flex items-center gap-3">
        <Button
          type="button"
          disabled={allIds.length === 0}
          onClick={async () => {
            setError('');
            const res = await fetch(`/api/v1/projects/${projectId}/reannotate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ comparisonIds: allIds }) });
            const body = (await res.json()) as { reopened?: number; notFromItems?: number; error?: string };
            if (!res.ok) setError(body.error ?? `failed (${res.status})`);
            else setStatus(`${body.reopened} items sent back for another judgment${body.notFromItems ? `; ${body.notFromItems} flagged pairs were imported, not annotated here` : ''}.`);
          }}
        >
          Send {allIds.length} likely mislabelled pairs back for re-annotation
        </Button>
        <p role="status" className="text-sm text-emerald-700">
          {status}
        </p>
      </div>
      <ErrorText>{error}</ErrorText>
      <table id="flagged-pairs" className="w-full text-left text-xs" aria-label="Flagged pairs">
        <thead className="text-slate-500">
          <tr>
            {sortHeader('Strength', 'strength', '-strength')}
            {members > 1 ? sortHeader('Disagreement', 'disagreement', null) : null}
            <th>Flag</th>
            <th>Prompt</th>
            <th>Labelled better</th>
            <th>Labelled worse</th>
          </tr>
        </thead>
        <tbody>
          {pairs.map((p) => (
            <tr key={p.id} className="border-t border-slate-100 align-top">
              <td className="py-1 pr-2 font-mono">{p.mean.toFixed(2)}</td>
              {members > 1 ? <td className="pr-2 font-mono">± {p.std.toFixed(2)}</td> : null}
              <td className="pr-2">{p.kind}</td>
              <td className="pr-2">{clip(p.prompt)}</td>
              <td className="pr-2">{clip(p.chosen)}</td>
              <td>{clip(p.rejected)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav aria-label="Flagged pairs pages" className="flex items-center gap-3 text-sm">
        {page.page > 1 ? (
          <Link className="text-indigo-700 underline" href={flagHref(page, page.page - 1, page.sort)}>
            ← Previous
          </Link>
        ) : null}
        <span className="text-slate-600">
          Page {page.page} of {page.pages} · {page.total} flagged pairs
        </span>
        {page.page < page.pages ? (
          <Link className="text-indigo-700 underline" href={flagHref(page, page.page + 1, page.sort)}>
            Next →
          </Link>
        ) : null}
      </nav>
    </div>
  );
}

/** Score new responses to a prompt (one per line) with this model. */
export function ScoreForm({ modelId }: { modelId: number }) {
  const [prompt, setPrompt] = useState('');
  const [responses, setResponses] = useState('');
  const [rewards, setRewards] = useState<{ text: string; reward: number }[] | null>(null);
  const [error, setError] = useState('');
  return (
    <form
      className="space-y-3"
      onSubmit={async (e) => {
        e.preventDefault();
        setError('');
        const list = responses.split('\n').map((r) => r.trim()).filter(Boolean);
        if (!prompt.trim() || list.length === 0) return setError('Give a prompt and at least one response.');
        const res = await fetch(`/api/v1/reward-models/${modelId}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [{ prompt, responses: list }] }) });
        const body = (await res.json()) as { rows?: { kind: string; rewards?: number[]; error?: string }[]; error?: string };
        const row = body.rows?.[0];
        if (!res.ok || !row || row.kind !== 'responses') return setError(body.error ?? row?.error ?? `scoring failed (${res.status})`);
        setRewards(list.map((text, i) => ({ text, reward: row.rewards![i]! })).sort((a, b) => b.reward - a.reward));
      }}
    >
      <label className="block text-sm">
        <span className="mb-1 block font-medium text-slate-700">Prompt</span>
        <textarea className="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm" rows={2} value={prompt} onChange={(e) => setPrompt(e.target.value)} />
      </label>
      <label className="block text-sm">
        <span className="mb-1 block font-medium text-slate-700">Responses, one per line</span>
        <textarea className="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm" rows={4} value={responses} onChange={(e) => setResponses(e.target.value)} />
      </label>
      <Button type="submit">Score</Button>
      <ErrorText>{error}</ErrorText>
      {rewards ? (
        <ol className="list-decimal pl-5 text-sm" aria-label="Scores">
          {rewards.map((r) => (
            <li key={r.text}>
              <span className="font-mono">{r.reward.toFixed(3)}</span> {r.text}
            </li>
          ))}
        </ol>
      ) : null}
    </form>
  );
}
