'use client';

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AnnotationTask, AnnotatorProgress } from '@/db/queries/annotation';
import type { HistoryEntry } from '@/db/queries/annotation-history';
import { putInOutbox, readOutbox, removeFromOutbox, sendJudgment, type PendingJudgment } from '@/app/_lib/judgment-outbox';
import { Markdown } from '@/app/_components/markdown';
import { Button, cn, ErrorText, ProgressBar } from '@/app/_components/ui';
import { RankingBoard, rankingGroups, stateFromGroups, type RankingState } from './ranking-board';
import { ChoiceButtons, PairControls } from './pair-controls';
import { GuidelinesDrawer, GuidelinesText } from './guidelines';
import { useAnnotationKeys } from './use-annotation-keys';
import { Conversation, describeAnswer, FieldProblem, LETTERS, listOf, RatingsGrid, ShortcutSheet, type Problems, type Winner } from './task-parts';

type Ratings = Record<string, Record<string, number>>;
type Answer = { winner: Winner | null; strength: number | null; justification: string; ranking: RankingState; ratings: Ratings };


function emptyAnswer(task: AnnotationTask): Answer {
  const prev = task.previous;
  return {
    winner: prev?.winner ?? null,
    strength: prev?.strength ?? null,
    justification: prev?.justification ?? '',
    ranking: prev?.ranking ? stateFromGroups(prev.ranking) : { order: task.responses.map((r) => r.id), tiedWithAbove: [] },
    ratings: prev?.ratings ?? {},
  };
}

/** The API refuses signed-in changes without this content type (cross-site request defence), bodiless ones included. */
const JSON_BODY = { 'content-type': 'application/json' };

async function api<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `request failed (${res.status})`);
  return body;
}

export function Workbench({ projectId, guidelines, guidelinesVersion }: { projectId: number; guidelines: string; guidelinesVersion: number }) {
  const [task, setTask] = useState<AnnotationTask | null>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'done' | 'error'>('loading');
  const [progress, setProgress] = useState<AnnotatorProgress | null>(null);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [message, setMessage] = useState('');
  const [notice, setNotice] = useState('');
  const [saving, setSaving] = useState(false);
  const [unsent, setUnsent] = useState(0);
  const [showGuidelines, setShowGuidelines] = useState(true);
  /** Set by a refused submit: from then on each unmet requirement shows beside its control until met. */
  const [attempted, setAttempted] = useState(false);
  const submitRef = useRef<HTMLButtonElement>(null);
  const [showShortcuts, setShowShortcuts] = useState(false);
  /** Below the desktop layout the guidelines open in a drawer over the page instead of the side column. */
  const [guidelinesDrawer, setGuidelinesDrawer] = useState(false);
  const toggleGuidelines = () => (window.matchMedia('(min-width: 1024px)').matches ? setShowGuidelines((v) => !v) : setGuidelinesDrawer((v) => !v));
  const judgmentId = useRef<string>('');
  const shownAt = useRef<number>(0);
  const busy = useRef(false);

  const refreshHistory = useCallback(async () => {
    const h = await api<{ history: HistoryEntry[] }>(`/api/v1/projects/${projectId}/judgments/mine?limit=10`).catch(() => null);
    if (h) setHistory(h.history);
  }, [projectId]);

  const show = useCallback((next: AnnotationTask | null) => {
    setTask(next);
    setMessage('');
    setAttempted(false);
    if (next) {
      judgmentId.current = next.previous?.judgmentId ?? crypto.randomUUID();
      shownAt.current = performance.now();
      setAnswer(emptyAnswer(next));
      setState('ready');
    } else {
      setAnswer(null);
      setState('done');
    }
  }, []);

  /** Sends everything waiting in the outbox; returns false while anything is still unsent. */
  const flushOutbox = useCallback(async (): Promise<boolean> => {
    const pending = readOutbox(window.localStorage, projectId);
    for (const p of pending) {
      const outcome = await sendJudgment(p);
      if (outcome.kind === 'unreachable') {
        setUnsent(readOutbox(window.localStorage, projectId).length);
        return false;
      }
      removeFromOutbox(window.localStorage, projectId, p.body.id);
      if (outcome.kind === 'refused') setNotice(`An earlier answer was not stored: ${outcome.message}`);
    }
    setUnsent(0);
    return true;
  }, [projectId]);

  const loadNext = useCallback(async () => {
    setState('loading');
    try {
      const res = await api<{ task: AnnotationTask | null; progress: AnnotatorProgress }>(`/api/v1/projects/${projectId}/assignments/next`, { method: 'POST', headers: JSON_BODY });
      setProgress(res.progress);
      show(res.task);
    } catch (error) {
      setMessage((error as Error).message);
      setState('error');
    }
  }, [projectId, show]);

  useEffect(() => {
    void (async () => {
      await flushOutbox();
      await loadNext();
      await refreshHistory();
    })();
  }, [flushOutbox, loadNext, refreshHistory]);

  // While answers wait in the outbox (server unreachable), keep trying every few seconds.
  useEffect(() => {
    if (!unsent) return;
    const timer = setInterval(() => void flushOutbox(), 5000);
    return () => clearInterval(timer);
  }, [unsent, flushOutbox]);

  const labels = useMemo(() => new Map((task?.responses ?? []).map((r, i) => [r.id, LETTERS[i] ?? String(i + 1)])), [task]);
  const settings = task?.settings;
  const wantsRatings = !!task && (task.kind === 'rating' || (settings!.tasks.includes('rating') && settings!.attributes.length > 0));
  const decisive = answer?.winner === 'a' || answer?.winner === 'b';

  const problems = useMemo((): Problems => {
    const out: Problems = { ratings: new Map() };
    if (!task || !answer || !settings) return out;
    if (task.kind === 'pair') {
      if (!answer.winner) out.winner = 'choose A is better, B is better, Tie or Both bad';
      if (decisive && settings.strengthScale !== 'off' && !answer.strength) out.strength = settings.strengthScale === '7' ? `choose how much better on the line (${answer.winner === 'a' ? '−1 to −3' : '+1 to +3'})` : 'choose how much better';
      if (settings.justification === 'required' && !answer.justification.trim()) out.justification = 'write a justification';
    }
    if (wantsRatings) {
      for (const r of task.responses) {
        const missing = settings.attributes.filter((a) => answer.ratings[String(r.id)]?.[a] === undefined);
        if (missing.length) out.ratings.set(r.id, `rate ${listOf(missing)} of response ${labels.get(r.id)}`);
      }
    }
    return out;
  }, [task, answer, settings, decisive, wantsRatings, labels]);
  const problemCount = [problems.winner, problems.strength, problems.justification].filter(Boolean).length + problems.ratings.size;

  const submit = useCallback(async () => {
    if (!task || !answer || busy.current) return;
    if (problemCount) {
      setAttempted(true);
      return;
    }
    busy.current = true;
    setSaving(true);
    const body: PendingJudgment['body'] = { id: judgmentId.current, assignmentId: task.assignmentId, timeSpentMs: Math.round(performance.now() - shownAt.current) };
    if (task.kind === 'pair') {
      body.winner = answer.winner;
      if (decisive && task.settings.strengthScale !== 'off') body.strength = answer.strength;
      if (task.settings.justification !== 'off' && answer.justification.trim()) body.justification = answer.justification;
    }
    if (task.kind === 'ranking') body.ranking = rankingGroups(answer.ranking);
    if (wantsRatings) body.ratings = answer.ratings;
    const pending: PendingJudgment = { projectId, body };
    putInOutbox(window.localStorage, pending);
    const outcome = await sendJudgment(pending);
    busy.current = false;
    setSaving(false);
    if (outcome.kind === 'unreachable') {
      setUnsent(readOutbox(window.localStorage, projectId).length);
      setMessage(`Not saved yet — ${outcome.message} Your answer is kept in this browser and will be sent again automatically.`);
      return;
    }
    removeFromOutbox(window.localStorage, projectId, body.id);
    if (outcome.kind === 'refused') {
      setMessage(outcome.message);
      if (outcome.status === 409) setNotice(outcome.message);
      if (outcome.status !== 409) return;
    } else {
      setNotice(task.previous ? 'Answer revised.' : '');
    }
    await loadNext();
    await refreshHistory();
  }, [task, answer, problemCount, decisive, wantsRatings, projectId, loadNext, refreshHistory]);

  const skip = useCallback(async () => {
    if (!task || busy.current) return;
    if (task.previous) {
      await loadNext();
      return;
    }
    busy.current = true;
    try {
      await api(`/api/v1/projects/${projectId}/assignments/${task.assignmentId}/skip`, { method: 'POST', headers: JSON_BODY });
      await loadNext();
    } catch (error) {
      setMessage((error as Error).message);
    } finally {
      busy.current = false;
    }
  }, [task, projectId, loadNext]);

  const revise = useCallback(
    async (id: string) => {
      try {
        const res = await api<{ task: AnnotationTask }>(`/api/v1/projects/${projectId}/judgments/${id}`);
        show(res.task);
      } catch (error) {
        setMessage((error as Error).message);
      }
    },
    [projectId, show],
  );

  const choose = useCallback((winner: Winner) => setAnswer((a) => (a ? { ...a, winner, strength: winner === 'a' || winner === 'b' ? a.strength : null } : a)), []);
  const setStrength = useCallback((strength: number) => setAnswer((a) => (a && (a.winner === 'a' || a.winner === 'b') ? { ...a, strength } : a)), []);

  useAnnotationKeys({ task, ready: state === 'ready', submit, skip, choose, setStrength, toggleShortcuts: () => setShowShortcuts((v) => !v), closeShortcuts: () => (setShowShortcuts(false), setGuidelinesDrawer(false)) });

  const responseBody = (id: number) => {
    const r = task?.responses.find((x) => x.id === id);
    return r ? <Markdown>{r.content}</Markdown> : null;
  };
  const ratingsFor = (id: number) =>
    wantsRatings && answer ? (
      <>
        <RatingsGrid
          label={labels.get(id) ?? ''}
          attributes={settings!.attributes}
          values={answer.ratings[String(id)] ?? {}}
          onChange={(attribute, value) => setAnswer((a) => (a ? { ...a, ratings: { ...a.ratings, [String(id)]: { ...a.ratings[String(id)], [attribute]: value } } } : a))}
          onDone={() => submitRef.current?.focus()}
        />
        <FieldProblem text={attempted ? problems.ratings.get(id) : undefined} />
      </>
    ) : null;

  const done = progress?.done ?? 0;
  const remaining = progress?.remaining ?? 0;

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
      <div className="min-w-0 space-y-4">
        <div className="space-y-1">
          <div className="flex flex-wrap items-center justify-between gap-2 text-sm text-slate-600">
            <span data-testid="progress-text">
              {done} done · {remaining} remaining
            </span>
            <span className="flex gap-2">
              <Button variant="secondary" type="button" onClick={toggleGuidelines}>
                Guidelines
              </Button>
              <Button variant="secondary" type="button" onClick={() => setShowShortcuts(true)}>
                Shortcuts (?)
              </Button>
            </span>
          </div>
          <ProgressBar value={done + remaining ? done / (done + remaining) : 1} label="Your progress" />
        </div>
        {unsent ? (
          <p role="status" className="rounded bg-amber-50 p-2 text-sm text-amber-900">
            {unsent} answer{unsent === 1 ? '' : 's'} waiting to be sent — retrying automatically.{' '}
            <button type="button" className="underline" onClick={() => void flushOutbox()}>
              Retry now
            </button>
          </p>
        ) : null}
        {notice ? (
          <p role="status" className="rounded bg-slate-100 p-2 text-sm text-slate-700">
            {notice}
          </p>
        ) : null}
        {state === 'loading' ? <p className="text-sm text-slate-500">Loading the next item…</p> : null}
        {state === 'error' ? <ErrorText>{message}</ErrorText> : null}
        {state === 'done' ? (
          <div className="rounded-lg border border-emerald-200 bg-emerald-50 p-6 text-emerald-900">
            <h2 className="text-lg font-semibold">All done</h2>
            <p className="text-sm">There is nothing left for you to annotate in this project right now. Thank you!</p>
          </div>
        ) : null}
        {state === 'ready' && task && answer && settings ? (
          <form
            className="space-y-4"
            aria-label="Annotation task"
            onSubmit={(e) => {
              e.preventDefault();
              void submit();
            }}
          >
            {task.previous ? <p className="rounded bg-indigo-50 p-2 text-sm text-indigo-900">Revising your earlier answer.</p> : null}
            <Conversation messages={task.messages} />
            {task.kind === 'pair' ? (
              <div className="grid gap-4 md:grid-cols-2">
                {task.responses.map((r, i) => (
                  <section key={r.id} aria-label={`Response ${LETTERS[i]}`} data-response="" tabIndex={-1} className={cn('min-w-0 rounded-lg border bg-white p-4 shadow-sm', answer.winner === (i === 0 ? 'a' : 'b') ? 'border-indigo-400 ring-1 ring-indigo-300' : 'border-slate-200')}>
                    <h3 className="mb-2 text-sm font-semibold text-slate-500">Response {LETTERS[i]}</h3>
                    <div className="max-h-[32rem] overflow-y-auto">{responseBody(r.id)}</div>
                    {ratingsFor(r.id)}
                  </section>
                ))}
              </div>
            ) : null}
            {task.kind === 'ranking' ? (
              <div className="space-y-2">
                <p className="text-sm text-slate-600">Order the responses best first. Drag a card, or focus it and press Alt+↑/↓; press T (or tick the box) to tie it with the one above.</p>
                <RankingBoard
                  state={answer.ranking}
                  onChange={(ranking) => setAnswer((a) => (a ? { ...a, ranking } : a))}
                  labels={labels}
                  render={(id) => (
                    <>
                      <div className="max-h-72 overflow-y-auto">{responseBody(id)}</div>
                      {ratingsFor(id)}
                    </>
                  )}
                />
              </div>
            ) : null}
            {task.kind === 'rating' ? (
              <div className="space-y-3">
                {task.responses.map((r, i) => (
                  <section key={r.id} aria-label={`Response ${LETTERS[i]}`} data-response="" tabIndex={-1} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                    <h3 className="mb-2 text-sm font-semibold text-slate-500">Response {LETTERS[i]}</h3>
                    {responseBody(r.id)}
                    {ratingsFor(r.id)}
                  </section>
                ))}
              </div>
            ) : null}
            {task.kind === 'pair' ? (
              <PairControls
                answer={answer}
                settings={settings}
                onChoose={choose}
                onStrength={setStrength}
                onLikert={(winner, strength) => setAnswer((a) => (a ? { ...a, winner, strength } : a))}
                onJustification={(justification) => setAnswer((a) => (a ? { ...a, justification } : a))}
                problems={attempted ? problems : { ratings: new Map() }}
              />
            ) : null}
            {message ? <ErrorText>{message}</ErrorText> : null}
            {/* On a phone the answer bar sticks to the bottom of the screen: the choices and Submit always in reach. */}
            <div className="sticky bottom-0 z-10 -mx-3 flex flex-wrap items-center gap-2 border-t border-slate-200 bg-white/95 px-3 py-2 md:static md:mx-0 md:border-0 md:bg-transparent md:p-0">
              {task.kind === 'pair' ? <ChoiceButtons winner={answer.winner} onChoose={choose} compact className="basis-full md:hidden" /> : null}
              <Button ref={submitRef} type="submit" disabled={saving} aria-keyshortcuts="Enter">
                Submit
              </Button>
              <Button type="button" variant="secondary" onClick={() => void skip()} aria-keyshortcuts="S">
                Skip
              </Button>
              {saving ? <span className="text-sm text-slate-500">Saving…</span> : null}
              {attempted && problemCount ? (
                <span className="text-sm text-rose-700">
                  {problemCount} thing{problemCount === 1 ? '' : 's'} left, marked above
                </span>
              ) : null}
            </div>
          </form>
        ) : null}
      </div>
      <aside className="space-y-4">
        {showGuidelines ? (
          <section aria-label="Guidelines" className="hidden rounded-lg border border-slate-200 bg-white p-4 shadow-sm lg:block">
            <GuidelinesText guidelines={guidelines} version={guidelinesVersion} />
          </section>
        ) : null}
        <section aria-label="Your recent answers" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <h2 className="mb-2 text-sm font-semibold">Your recent answers</h2>
          {history.length === 0 ? <p className="text-sm text-slate-500">None yet.</p> : null}
          <ul className="space-y-2 text-sm">
            {history.map((h) => (
              <li key={h.judgmentId} className="flex items-start justify-between gap-2">
                <span className="min-w-0">
                  <span className="block truncate">{h.promptPreview}</span>
                  <span className="text-xs text-slate-500">{describeAnswer(h)}</span>
                </span>
                <button type="button" className="shrink-0 text-xs font-medium text-indigo-700 underline" onClick={() => void revise(h.judgmentId)} aria-label={`Revise answer to “${h.promptPreview}”`}>
                  Revise
                </button>
              </li>
            ))}
          </ul>
        </section>
      </aside>
      {showShortcuts ? <ShortcutSheet onClose={() => setShowShortcuts(false)} /> : null}
      {guidelinesDrawer ? <GuidelinesDrawer guidelines={guidelines} version={guidelinesVersion} onClose={() => setGuidelinesDrawer(false)} /> : null}
    </div>
  );
}

