import type { Metadata } from 'next';
import { getProjectForActor } from '@/db/queries/projects';
import { listAnnotatorWork } from '@/db/queries/annotation-admin';
import { listPairwiseJudgments, listRankingJudgmentsAsPairs, listRatingRows, listRepeatPairs } from '@/db/queries/quality';
import { ratingsAgreement } from '@/lib/stats/ratings-agreement';
import { selfConsistency } from '@/lib/stats/self-consistency';
import { qualityReport } from '@/lib/stats/quality-report';
import { loadOr404 } from '@/app/_lib/load-or-404';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';
import { ProjectPageHeader } from '@/app/_components/project-page-header';
import { Card } from '@/app/_components/ui';
import { readAlpha, readBias, readCycles, readKappa, readSelfConsistency, type Reading } from '@/lib/stats/quality-readings';

export const metadata: Metadata = { title: 'Quality' };

const num = (x: number | null, digits = 3) => (x === null || Number.isNaN(x) ? '–' : x.toFixed(digits));
const pct = (x: number) => (Number.isNaN(x) ? '–' : `${(x * 100).toFixed(1)}%`);
const pValue = (x: number) => (x < 1e-4 ? x.toExponential(1) : x.toFixed(4));

/** One number, what it counts, and a one-line reading; amber with "Warning" when the reading warns. */
function Stat({ label, value, note, reading }: { label: string; value: string; note: string; reading?: Reading }) {
  return (
    <div role="group" aria-label={label} className={reading?.warning ? 'rounded-lg border border-amber-300 bg-amber-50 p-4' : 'rounded-lg border border-slate-200 bg-white p-4'}>
      <p className="text-xs tracking-wide text-slate-500 uppercase">{label}</p>
      <p className="text-xl font-semibold">{value}</p>
      {reading ? (
        <p className={reading.warning ? 'mt-1 text-sm text-amber-900' : 'mt-1 text-sm text-slate-700'} data-testid="reading">
          {reading.warning ? <strong>Warning: </strong> : null}
          {reading.text}
        </p>
      ) : null}
      <p className="mt-1 text-xs text-slate-500">{note}</p>
    </div>
  );
}

/** A share with its 95% interval on a 0–100% line, 50% (no bias) marked. */
function ShareBar({ label, share, interval }: { label: string; share: number; interval: [number, number] | null }) {
  if (!interval || Number.isNaN(share)) return null;
  const at = (x: number) => `${x * 100}%`;
  return (
    <div className="relative mt-2 h-3 rounded bg-slate-100" role="img" aria-label={`${label}: ${Math.round(share * 100)}%, 95% interval ${Math.round(interval[0] * 100)}% to ${Math.round(interval[1] * 100)}%`}>
      <div className="absolute top-0 h-3 w-px bg-slate-400" style={{ left: '50%' }} />
      <div className="absolute top-1 h-1 rounded bg-indigo-300" style={{ left: at(interval[0]), width: `calc(${at(interval[1])} - ${at(interval[0])})` }} />
      <div className="absolute top-0 h-3 w-0.5 bg-indigo-700" style={{ left: at(share) }} />
    </div>
  );
}

export default async function QualityPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requireActor();
  const project = await loadOr404((await params).id, (id) => getProjectForActor(actor, id));
  if (!project.canManage) return <Forbidden what="Quality reports are for the project's researchers." />;
  const pairwise = await listPairwiseJudgments(project.id);
  // A ranking project (no pairwise judgments) is read through the pairs its rankings imply.
  const ranked = pairwise.length === 0 ? await listRankingJudgmentsAsPairs(project.id) : null;
  const judgments = ranked ? ranked.pairs : pairwise;
  const r = judgments.length > 0 ? qualityReport(judgments) : null;
  const work = await listAnnotatorWork(actor, project.id);
  const goldOf = (label: string) => work.find((w) => w.name === label || `${w.name} <${w.email}>` === label)?.gold;
  const repeats = selfConsistency(await listRepeatPairs(project.id));
  const ratingRows = await listRatingRows(project.id);
  const ratings = ratingRows.length ? ratingsAgreement(ratingRows, project.settings.attributes.length ? project.settings.attributes : [...new Set(ratingRows.flatMap((x) => Object.keys(x.ratings)))]) : [];
  const consistencyOf = (label: string) => repeats.perAnnotator.find((a) => a.annotator === label || label.startsWith(`${a.annotator} <`));
  const position = r ? readBias(r.positionBias, { favoured: 'left', other: 'right', who: 'annotators' }) : null;
  const length = r ? readBias(r.lengthBias, { favoured: 'longer', other: 'shorter', who: 'annotators' }) : null;
  const reliability = new Map((r?.reliability?.annotators ?? []).map((a) => [a.annotator, a]));
  return (
    <div className="space-y-6">
      <ProjectPageHeader project={project} title="Quality" />
      {ratings.length ? (
        <Card title="Ratings agreement per attribute (0–4)">
          <table className="w-full text-sm">
            <thead>
              <tr className="text-left text-slate-500">
                <th className="py-1">Attribute</th>
                <th>Ratings</th>
                <th>Responses</th>
                <th>Mean</th>
                <th>Krippendorff α (ordinal)</th>
                <th>Fleiss κ</th>
              </tr>
            </thead>
            <tbody>
              {ratings.map((a) => (
                <tr key={a.attribute} className="border-t border-slate-100">
                  <td className="py-1">{a.attribute}</td>
                  <td>{a.ratings}</td>
                  <td>{a.units}</td>
                  <td>{num(a.mean, 2)}</td>
                  <td>{num(a.alphaOrdinal)}</td>
                  <td>
                    {num(a.fleissKappa)} <span className="text-xs text-slate-500">({a.fleissUnits} responses)</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}
      {!r ? (
        <p className="text-sm text-slate-600">No pairwise or ranking judgments yet.</p>
      ) : (
        <>
          <p className="text-sm text-slate-600" data-testid="quality-basis">
            {ranked ? `${ranked.rankings} rankings by ${r.annotators} annotators, read as the ${r.judgments} pairs they imply (each pair of responses of an item is one unit of agreement; "left" is the one shown first).` : `${r.judgments} pairwise judgments by ${r.annotators} annotators.`}
          </p>
          <div className="grid gap-3 md:grid-cols-4">
            <Stat label="Krippendorff α (choice)" value={num(r.agreement.alphaChoice)} note="nominal: A / B / tie / both bad" reading={readAlpha(r.agreement.alphaChoice)} />
            <Stat label="Krippendorff α (strength)" value={num(r.agreement.alphaStrength)} note="ordinal, signed strength" reading={readAlpha(r.agreement.alphaStrength)} />
            <Stat label="Fleiss κ" value={num(r.agreement.fleissKappa)} note={`${r.agreement.fleissItems} items with equal overlap`} reading={readKappa(r.agreement.fleissKappa)} />
            <Stat label="Majority 3-cycles" value={`${r.majorityCycles.cyclic} / ${r.majorityCycles.triads}`} note="cyclic / fully judged triads" reading={readCycles(r.majorityCycles.cyclic, r.majorityCycles.triads)} />
          </div>
          <div className="grid gap-3 md:grid-cols-3">
            <div>
              <Stat label="Position bias" value={`left won ${pct(r.positionBias.share)}`} note={`${r.positionBias.decisive} decisive judgments with randomised sides · binomial p = ${pValue(r.positionBias.pValue)}`} reading={position ?? undefined} />
              <ShareBar label="Left won" share={r.positionBias.share} interval={position?.interval ?? null} />
            </div>
            <div>
              <Stat label="Length bias" value={`longer won ${pct(r.lengthBias.share)}`} note={`${r.lengthBias.decisive} decisive judgments of unequal length · binomial p = ${pValue(r.lengthBias.pValue)}`} reading={length ?? undefined} />
              <ShareBar label="Longer won" share={r.lengthBias.share} interval={length?.interval ?? null} />
            </div>
            <Stat
              label="Self-consistency"
              value={repeats.repeats ? `${pct(repeats.rate)} same answer` : '–'}
              note={repeats.repeats ? `${repeats.repeats} pairs judged again with sides flipped · ${repeats.reversed} decisive answers reversed` : 'sides flipped on a repeat'}
              reading={readSelfConsistency(repeats.rate, repeats.repeats)}
            />
          </div>
          <Card title="Annotators">
            <p className="mb-2 text-xs text-slate-500">
              Dawid–Skene: each annotator's confusion matrix over A / B / tie / both bad estimated by EM
              {r.reliability ? ` (${r.reliability.iterations} iterations${r.reliability.converged ? '' : ', not converged'})` : ''}; accuracy = Σ prior × diagonal; vote weight = log(acc·3 / (1 − acc)), the weight exports can aggregate with. Gold accuracy: answers on gold items that match the known answer.
            </p>
            <table className="w-full text-sm">
              <thead>
                <tr className="text-left text-slate-500">
                  <th className="py-1">Annotator</th>
                  <th>Judgments</th>
                  <th>Left-side wins</th>
                  <th>Cyclic triads</th>
                  <th>Dawid–Skene accuracy</th>
                  <th>Vote weight</th>
                  <th>Gold accuracy</th>
                  <th>Same answer on flipped repeats</th>
                </tr>
              </thead>
              <tbody>
                {r.perAnnotator.map((a) => (
                  <tr key={a.annotator} className="border-t border-slate-100">
                    <td className="py-1">{a.annotator}</td>
                    <td>{a.judgments}</td>
                    <td>{pct(a.leftShare)}</td>
                    <td>
                      {a.cycles.cyclic} / {a.cycles.triads}
                    </td>
                    <td>{reliability.has(a.annotator) ? pct(reliability.get(a.annotator)!.accuracy) : '–'}</td>
                    <td>{reliability.has(a.annotator) ? num(reliability.get(a.annotator)!.weight, 2) : '–'}</td>
                    <td>{goldOf(a.annotator)?.accuracy != null ? `${pct(goldOf(a.annotator)!.accuracy!)} (${goldOf(a.annotator)!.correct}/${goldOf(a.annotator)!.answered})` : '–'}</td>
                    <td>{consistencyOf(a.annotator) ? `${pct(consistencyOf(a.annotator)!.rate)} (${consistencyOf(a.annotator)!.consistent}/${consistencyOf(a.annotator)!.repeats})` : '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
          {r.agreement.cohen.length > 0 ? (
            <Card title="Cohen's κ per annotator pair (≥ 5 shared items)">
              <ul className="space-y-1 text-sm">
                {r.agreement.cohen.map((c) => (
                  <li key={`${c.a}|${c.b}`}>
                    {c.a} × {c.b}: <strong>{num(c.kappa)}</strong> <span className="text-slate-500">over {c.items} items</span>
                  </li>
                ))}
              </ul>
            </Card>
          ) : null}
        </>
      )}
    </div>
  );
}
