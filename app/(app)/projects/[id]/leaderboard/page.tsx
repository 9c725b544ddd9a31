import type { Metadata } from 'next';
import Link from 'next/link';
import { listLeaderboardsByMethod, type StoredLeaderboard } from '@/db/queries/leaderboards';
import { compareLeaderboards } from '@/lib/stats/compare-leaderboards';
import { getProjectForActor } from '@/db/queries/projects';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';
import { ProjectPageHeader } from '@/app/_components/project-page-header';
import { Card } from '@/app/_components/ui';
import { ComputeLeaderboardForm } from './compute-leaderboard-form';
import { Heatmap } from './heatmap';

export const metadata: Metadata = { title: 'Leaderboard' };

const METHOD_NAMES: Record<string, string> = { bt: 'Bradley–Terry (Chatbot Arena)', style: 'Bradley–Terry with style control', davidson: 'Davidson tie model', 'rao-kupper': 'Rao–Kupper tie model', pl: 'Plackett–Luce (rankings)', elo: 'Online Elo (baseline)' };

function Board({ board }: { board: StoredLeaderboard }) {
  const rows = board.result.rows;
  const lo = Math.min(...rows.map((r) => (Number.isFinite(r.lower) ? r.lower : r.rating)));
  const hi = Math.max(...rows.map((r) => (Number.isFinite(r.upper) ? r.upper : r.rating)));
  const x = (v: number) => `${4 + ((v - lo) / (hi - lo || 1)) * 92}%`;
  const c = board.config;
  const tie = board.result.tieParameter;
  return (
    <Card title={METHOD_NAMES[board.method] ?? board.method}>
      <p className="mb-3 text-xs text-slate-500">
        {board.result.battles} battles · {String(c.rounds)} bootstrap rounds · seed {String(c.seed)} · L2 prior {String(c.l2 ?? 0)} · 95% intervals are the 2.5 / 97.5 % bootstrap quantiles · rank = 1 + systems whose lower bound is above this upper bound
        {tie ? ` · tie parameter ${tie.value.toFixed(3)} (${tie.lower.toFixed(3)} – ${tie.upper.toFixed(3)})` : ''}
        {board.result.degenerateRounds ? ` · ${board.result.degenerateRounds} rounds without a finite estimate left out` : ''} · computed {board.createdAt.toISOString().replace('T', ' ').slice(0, 16)} UTC
      </p>
      {board.result.style ? (
        <p className="mb-3 text-sm" data-testid="style-coefficients">
          Style coefficients (log-odds per RMS unit of the normalised difference (a − b)/(a + b); 95% interval):{' '}
          {board.result.style.map((s) => `${s.feature} ${s.coefficient.toFixed(3)} (${s.lower.toFixed(3)} – ${s.upper.toFixed(3)})`).join(' · ')}
        </p>
      ) : null}
      <table className="w-full text-sm">
        <thead>
          <tr className="text-left text-slate-500">
            <th className="py-1">Rank</th>
            <th>System</th>
            <th>Rating</th>
            <th>95% CI</th>
            <th className="w-1/3">Interval</th>
            <th>Battles</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.system} className="border-t border-slate-100">
              <td className="py-1">{r.rank}</td>
              <td className="font-medium">{r.system}</td>
              <td>{r.rating.toFixed(1)}</td>
              <td className="text-slate-600">{Number.isFinite(r.lower) ? `${r.lower.toFixed(1)} – ${r.upper.toFixed(1)}` : '–'}</td>
              <td>
                <div className="relative h-3" role="img" aria-label={`${r.system}: ${r.rating.toFixed(0)}, interval ${r.lower.toFixed(0)} to ${r.upper.toFixed(0)}`}>
                  {Number.isFinite(r.lower) ? <div className="absolute top-1 h-1 rounded bg-indigo-200" style={{ left: x(r.lower), width: `calc(${x(r.upper)} - ${x(r.lower)})` }} /> : null}
                  <div className="absolute top-0 h-3 w-0.5 bg-indigo-700" style={{ left: x(r.rating) }} />
                </div>
              </td>
              <td>{r.battles}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {board.result.matrix && board.result.matrix.systems.length > 1 ? (
        <div className="mt-6 grid gap-6 xl:grid-cols-2">
          <Heatmap title="Win rate of the row system against the column system (ties count ½)" systems={board.result.matrix.systems} values={board.result.matrix.winRate} kind="rate" />
          <Heatmap title="Battles between each pair of systems" systems={board.result.matrix.systems} values={board.result.matrix.battles} kind="count" />
        </div>
      ) : null}
    </Card>
  );
}

/** Every method's latest board side by side: rank and rating per system, rank moves against the first method marked. */
function Comparison({ boards }: { boards: StoredLeaderboard[] }) {
  const c = compareLeaderboards(boards.map((b) => ({ method: b.method, rows: b.result.rows })));
  return (
    <Card title="Methods side by side">
      <p className="mb-3 text-xs text-slate-500">Rank · rating under each method&apos;s latest run; ↑ / ↓ mark a rank above or below the one under {METHOD_NAMES[c.methods[0]!] ?? c.methods[0]}.</p>
      <div className="overflow-x-auto">
        <table className="w-full text-sm" aria-label="Methods side by side">
          <thead>
            <tr className="text-left text-slate-500">
              <th className="py-1">System</th>
              {c.methods.map((m) => (
                <th key={m}>{METHOD_NAMES[m] ?? m}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {c.systems.map((system, r) => (
              <tr key={system} className="border-t border-slate-100">
                <td className="py-1 font-medium">{system}</td>
                {c.cells[r]!.map((cell, k) => (
                  <td key={c.methods[k]}>
                    {cell ? (
                      <>
                        #{cell.rank} · {cell.rating.toFixed(0)}
                        {cell.moved ? (
                          <span className={cell.moved > 0 ? 'ml-1 text-emerald-700' : 'ml-1 text-rose-700'} aria-label={`${cell.moved > 0 ? 'up' : 'down'} ${Math.abs(cell.moved)}`}>
                            {cell.moved > 0 ? '↑' : '↓'}
                            {Math.abs(cell.moved)}
                          </span>
                        ) : null}
                      </>
                    ) : (
                      '–'
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

/** Earlier runs of one method, compactly: when, battles, settings and the top three. */
function History({ boards }: { boards: StoredLeaderboard[] }) {
  return (
    <Card title="Earlier runs">
      <table className="w-full text-sm" aria-label="Earlier runs">
        <thead>
          <tr className="text-left text-slate-500">
            <th className="py-1">Computed (UTC)</th>
            <th>Battles</th>
            <th>Rounds · seed</th>
            <th>Top three</th>
          </tr>
        </thead>
        <tbody>
          {boards.map((b) => (
            <tr key={b.id} className="border-t border-slate-100">
              <td className="py-1">{b.createdAt.toISOString().replace('T', ' ').slice(0, 16)}</td>
              <td>{b.result.battles}</td>
              <td>
                {String(b.config.rounds)} · {String(b.config.seed)}
              </td>
              <td>
                {[...b.result.rows]
                  .sort((x, y) => x.rank - y.rank || y.rating - x.rating)
                  .slice(0, 3)
                  .map((r) => `${r.system} ${r.rating.toFixed(0)}`)
                  .join(' · ')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

export default async function LeaderboardPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ view?: string; history?: string }> }) {
  const actor = await requireActor();
  const project = await loadOr404((await params).id, (id) => getProjectForActor(actor, id));
  const id = project.id;
  // Annotators do not see ratings: knowing which system leads would bias their judgments.
  if (!project.canManage) return <Forbidden what="Leaderboards are for the project's researchers." />;
  const byMethod = await listLeaderboardsByMethod(id);
  // Bradley–Terry first when computed (the reference of the comparison), then the others as they were last computed.
  const methods = [...byMethod.keys()].sort((a, b) => Number(b === 'bt') - Number(a === 'bt'));
  const latest = methods.map((m) => byMethod.get(m)![0]!);
  const query = await searchParams;
  const view = query.view === 'compare' && methods.length > 1 ? 'compare' : methods.includes(query.view ?? '') ? query.view! : methods[0];
  const earlier = view && view !== 'compare' ? byMethod.get(view)!.slice(1) : [];
  const showHistory = query.history === '1';
  const href = (v: string, history = false) => `/projects/${id}/leaderboard?view=${encodeURIComponent(v)}${history ? '&history=1' : ''}`;
  return (
    <div className="space-y-6">
      <ProjectPageHeader project={project} title="Leaderboard" />
      <Card title="Compute">
        <ComputeLeaderboardForm projectId={id} />
      </Card>
      {methods.length === 0 ? <p className="text-sm text-slate-600">No leaderboard computed yet.</p> : null}
      {methods.length ? (
        <nav aria-label="Leaderboard methods" className="flex flex-wrap gap-1 border-b border-slate-200 pb-2 text-sm">
          {[...methods, ...(methods.length > 1 ? ['compare'] : [])].map((m) => (
            <Link key={m} href={href(m)} aria-current={m === view ? 'page' : undefined} className={m === view ? 'rounded-md bg-indigo-50 px-2 py-1 font-medium text-indigo-800' : 'rounded-md px-2 py-1 text-slate-700 hover:bg-slate-100'}>
              {m === 'compare' ? 'Compare methods' : (METHOD_NAMES[m] ?? m)}
            </Link>
          ))}
        </nav>
      ) : null}
      {view === 'compare' ? <Comparison boards={latest} /> : null}
      {view && view !== 'compare' ? <Board board={byMethod.get(view)![0]!} /> : null}
      {earlier.length ? (
        <p className="text-sm">
          <Link className="text-indigo-700 underline" href={href(view!, !showHistory)}>
            {showHistory ? 'Hide earlier runs' : `Show ${earlier.length} earlier run${earlier.length === 1 ? '' : 's'} of this method`}
          </Link>
        </p>
      ) : null}
      {showHistory && earlier.length ? <History boards={earlier} /> : null}
    </div>
  );
}
