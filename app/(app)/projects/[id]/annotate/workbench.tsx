'use client';

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { AnnotationTask, AnnotatorProgress, HistoryEntry } from '@/db/queries/annotation';
import { putInOutbox, readOutbox, removeFromOutbox, sendJudgment, type PendingJudgment } from '@/app/_lib/judgment-outbox';
import { Markdown } from '@/app/_components/markdown';
import { Button, cn, ErrorText, ProgressBar } from '@/app/_components/ui';
import { RankingBoard, rankingGroups, stateFromGroups, type RankingState } from './ranking-board';

type Winner = 'a' | 'b' | 'tie' | 'both_bad';
type Ratings = Record<string, Record<string, number>>;
type Answer = { winner: Winner | null; strength: number | null; justification: string; ranking: RankingState; ratings: Ratings };

const LETTERS = 'ABCDEFGHI';
const CHOICES: { winner: Winner; label: string; key: string }[] = [
  { winner: 'a', label: 'A is better', key: '1' },
  { winner: 'b', label: 'B is better', key: '2' },
  { winner: 'tie', label: 'Tie', key: '3' },
  { winner: 'both_bad', label: 'Both bad', key: '4' },
];
const STRENGTHS = [
  { value: 1, label: 'Slightly', key: 'q' },
  { value: 2, label: 'Clearly', key: 'w' },
  { value: 3, label: 'Much', key: 'e' },
];
/** The 7-point line, left to right: A much better (−3) … tie (0) … B much better (+3). */
const LIKERT = [-3, -2, -1, 0, 1, 2, 3];

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
  const [showShortcuts, setShowShortcuts] = useState(false);
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
      const res = await api<{ task: AnnotationTask | null; progress: AnnotatorProgress }>(`/api/v1/projects/${projectId}/assignments/next`, { method: 'POST' });
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

  const problems = useMemo(() => {
    if (!task || !answer || !settings) return [];
    const out: string[] = [];
    if (task.kind === 'pair') {
      if (!answer.winner) out.push('choose A is better, B is better, Tie or Both bad');
      if (decisive && settings.strengthScale !== 'off' && !answer.strength) out.push('choose how much better');
      if (settings.justification === 'required' && !answer.justification.trim()) out.push('write a justification');
    }
    if (wantsRatings) {
      for (const r of task.responses) for (const a of settings.attributes) if (answer.ratings[String(r.id)]?.[a] === undefined) out.push(`rate ${a} of response ${labels.get(r.id)}`);
    }
    return out;
  }, [task, answer, settings, decisive, wantsRatings, labels]);

  const submit = useCallback(async () => {
    if (!task || !answer || busy.current) return;
    if (problems.length) {
      setMessage(`Not yet: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}.`);
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
  }, [task, answer, problems, decisive, wantsRatings, projectId, loadNext, refreshHistory]);

  const skip = useCallback(async () => {
    if (!task || busy.current) return;
    if (task.previous) {
      await loadNext();
      return;
    }
    busy.current = true;
    try {
      await api(`/api/v1/projects/${projectId}/assignments/${task.assignmentId}/skip`, { method: 'POST' });
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

  // Keyboard first: 1–4 choose, Q/W/E strength, Enter submits (Ctrl+Enter inside the text box), S skips, ? shows the shortcuts.
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing = !!target && (target.tagName === 'TEXTAREA' || (target.tagName === 'INPUT' && (target as HTMLInputElement).type === 'text'));
      if (e.key === 'Escape') {
        setShowShortcuts(false);
        return;
      }
      if (typing) {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          void submit();
        }
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === '?') {
        e.preventDefault();
        setShowShortcuts((s) => !s);
        return;
      }
      if (!task || state !== 'ready') return;
      if (e.key === 'Enter' && target?.tagName !== 'BUTTON' && target?.tagName !== 'A') {
        e.preventDefault();
        void submit();
        return;
      }
      const key = e.key.toLowerCase();
      if (key === 's') {
        e.preventDefault();
        void skip();
        return;
      }
      if (task.kind === 'pair') {
        const choice = CHOICES.find((c) => c.key === key);
        if (choice) {
          e.preventDefault();
          choose(choice.winner);
          return;
        }
        const strength = STRENGTHS.find((s) => s.key === key);
        if (strength && task.settings.strengthScale !== 'off') {
          e.preventDefault();
          setStrength(strength.value);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [task, state, submit, skip, choose, setStrength]);

  const responseBody = (id: number) => {
    const r = task?.responses.find((x) => x.id === id);
    return r ? <Markdown>{r.content}</Markdown> : null;
  };
  const ratingsFor = (id: number) =>
    wantsRatings && answer ? (
      <RatingsGrid
        label={labels.get(id) ?? ''}
        attributes={settings!.attributes}
        values={answer.ratings[String(id)] ?? {}}
        onChange={(attribute, value) => setAnswer((a) => (a ? { ...a, ratings: { ...a.ratings, [String(id)]: { ...a.ratings[String(id)], [attribute]: value } } } : a))}
      />
    ) : null;

  const done = progress?.done ?? 0;
  const remaining = progress?.remaining ?? 0;

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
      <div className="min-w-0 space-y-4">
        <div className="space-y-1">
          <div className="flex items-center justify-between text-sm text-slate-600">
            <span data-testid="progress-text">
              {done} done · {remaining} remaining
            </span>
            <span className="flex gap-2">
              <Button variant="secondary" type="button" onClick={() => setShowGuidelines((s) => !s)} aria-expanded={showGuidelines}>
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
                  <section key={r.id} aria-label={`Response ${LETTERS[i]}`} className={cn('min-w-0 rounded-lg border bg-white p-4 shadow-sm', answer.winner === (i === 0 ? 'a' : 'b') ? 'border-indigo-400 ring-1 ring-indigo-300' : 'border-slate-200')}>
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
                  <section key={r.id} aria-label={`Response ${LETTERS[i]}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                    <h3 className="mb-2 text-sm font-semibold text-slate-500">Response {LETTERS[i]}</h3>
                    {responseBody(r.id)}
                    {ratingsFor(r.id)}
                  </section>
                ))}
              </div>
            ) : null}
            {task.kind === 'pair' ? (
              <fieldset className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
                <legend className="px-1 text-sm font-semibold">Which response is better?</legend>
                <div className="flex flex-wrap gap-2">
                  {CHOICES.map((c) => (
                    <button
                      key={c.winner}
                      type="button"
                      aria-pressed={answer.winner === c.winner}
                      aria-label={c.label}
                      aria-keyshortcuts={c.key}
                      onClick={() => choose(c.winner)}
                      className={cn('rounded-md border px-3 py-1.5 text-sm font-medium', answer.winner === c.winner ? 'border-indigo-600 bg-indigo-600 text-white' : 'border-slate-300 bg-white hover:bg-slate-50')}
                    >
                      {c.label}{' '}
                      <kbd aria-hidden="true" className="ml-1 text-xs opacity-70">
                        {c.key}
                      </kbd>
                    </button>
                  ))}
                </div>
                {settings.strengthScale === '7' ? (
                  <div role="radiogroup" aria-label="Preference on the 7-point scale" className="flex flex-wrap items-center gap-1 text-xs">
                    <span className="mr-1 text-slate-500">A ≫ B</span>
                    {LIKERT.map((v) => {
                      const current = answer.winner === 'a' ? -(answer.strength ?? 0) : answer.winner === 'b' ? (answer.strength ?? 0) : answer.winner === 'tie' ? 0 : null;
                      const name = v === 0 ? 'Tie (0)' : `${v < 0 ? 'A' : 'B'} ${STRENGTHS[Math.abs(v) - 1]!.label.toLowerCase()} better (${v > 0 ? '+' : ''}${v})`;
                      return (
                        <button
                          key={v}
                          type="button"
                          role="radio"
                          aria-checked={current === v && (v !== 0 || answer.winner === 'tie')}
                          aria-label={name}
                          onClick={() => (v === 0 ? choose('tie') : setAnswer((a) => (a ? { ...a, winner: v < 0 ? 'a' : 'b', strength: Math.abs(v) } : a)))}
                          className={cn('h-8 w-9 rounded border', current === v && answer.winner ? 'border-indigo-600 bg-indigo-600 text-white' : 'border-slate-300 bg-white')}
                        >
                          {v > 0 ? `+${v}` : v}
                        </button>
                      );
                    })}
                    <span className="ml-1 text-slate-500">B ≫ A</span>
                  </div>
                ) : null}
                {settings.strengthScale !== 'off' && decisive ? (
                  <div role="radiogroup" aria-label="How much better" className="flex flex-wrap items-center gap-2 text-sm">
                    <span className="text-slate-600">How much better?</span>
                    {STRENGTHS.map((s) => (
                      <button
                        key={s.value}
                        type="button"
                        role="radio"
                        aria-checked={answer.strength === s.value}
                        aria-label={`${s.label} better`}
                        aria-keyshortcuts={s.key}
                        onClick={() => setStrength(s.value)}
                        className={cn('rounded-md border px-3 py-1 text-sm', answer.strength === s.value ? 'border-indigo-600 bg-indigo-50 font-medium text-indigo-900' : 'border-slate-300 bg-white')}
                      >
                        {s.label}{' '}
                        <kbd aria-hidden="true" className="ml-1 text-xs opacity-70">
                          {s.key.toUpperCase()}
                        </kbd>
                      </button>
                    ))}
                  </div>
                ) : null}
                {settings.justification !== 'off' ? (
                  <label className="block text-sm">
                    <span className="mb-1 block font-medium text-slate-700">Justification {settings.justification === 'required' ? '(required)' : '(optional)'}</span>
                    <textarea
                      value={answer.justification}
                      onChange={(e) => setAnswer((a) => (a ? { ...a, justification: e.target.value } : a))}
                      rows={3}
                      maxLength={5000}
                      className="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm"
                      placeholder="Why? (Ctrl+Enter submits)"
                    />
                  </label>
                ) : null}
              </fieldset>
            ) : null}
            {message ? <ErrorText>{message}</ErrorText> : null}
            <div className="flex items-center gap-2">
              <Button type="submit" disabled={saving} aria-keyshortcuts="Enter">
                Submit
              </Button>
              <Button type="button" variant="secondary" onClick={() => void skip()} aria-keyshortcuts="S">
                Skip
              </Button>
              {saving ? <span className="text-sm text-slate-500">Saving…</span> : null}
            </div>
          </form>
        ) : null}
      </div>
      <aside className="space-y-4">
        {showGuidelines ? (
          <section aria-label="Guidelines" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 className="mb-2 flex items-baseline justify-between text-sm font-semibold">
              Guidelines <span className="text-xs font-normal text-slate-500">version {guidelinesVersion}</span>
            </h2>
            {guidelines.trim() ? <Markdown>{guidelines}</Markdown> : <p className="text-sm text-slate-500">No guidelines yet.</p>}
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
    </div>
  );
}

function describeAnswer(h: HistoryEntry): string {
  if (h.kind === 'pair' && h.winner) {
    const label = CHOICES.find((c) => c.winner === h.winner)!.label;
    return h.strength ? `${label} (${STRENGTHS[h.strength - 1]?.label.toLowerCase()})` : label;
  }
  if (h.ranked) return 'ranked';
  return h.rated ? 'rated' : 'answered';
}

function Conversation({ messages }: { messages: { role: string; content: string }[] }) {
  return (
    <section aria-label="Conversation" className="space-y-2">
      {messages.map((m, i) => (
        <div key={i} className={cn('rounded-lg border p-3', m.role === 'user' ? 'border-sky-200 bg-sky-50' : m.role === 'system' ? 'border-slate-200 bg-slate-50' : 'border-slate-200 bg-white')}>
          <div className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">{m.role}</div>
          <Markdown>{m.content}</Markdown>
        </div>
      ))}
    </section>
  );
}

function RatingsGrid({ label, attributes, values, onChange }: { label: string; attributes: string[]; values: Record<string, number>; onChange: (attribute: string, value: number) => void }) {
  return (
    <div className="mt-3 space-y-1 border-t border-slate-100 pt-2">
      {attributes.map((attribute) => (
        <div key={attribute} role="radiogroup" aria-label={`${attribute} of response ${label}`} className="flex items-center gap-1 text-xs">
          <span className="w-28 shrink-0 text-slate-600">{attribute}</span>
          {[0, 1, 2, 3, 4].map((v) => (
            <button
              key={v}
              type="button"
              role="radio"
              aria-checked={values[attribute] === v}
              aria-label={`${attribute} of response ${label}: ${v}`}
              onClick={() => onChange(attribute, v)}
              className={cn('h-7 w-7 rounded border', values[attribute] === v ? 'border-indigo-600 bg-indigo-600 text-white' : 'border-slate-300 bg-white')}
            >
              {v}
            </button>
          ))}
        </div>
      ))}
    </div>
  );
}

function ShortcutSheet({ onClose }: { onClose: () => void }) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => closeRef.current?.focus(), []);
  const rows: [string, string][] = [
    ['1 / 2 / 3 / 4', 'A is better / B is better / Tie / Both bad'],
    ['Q / W / E', 'slightly / clearly / much better'],
    ['Enter', 'Submit (Ctrl+Enter inside the justification box)'],
    ['S', 'Skip this item'],
    ['Alt+↑ / Alt+↓', 'Move the focused ranking card'],
    ['T', 'Tie the focused ranking card with the one above'],
    ['Space, arrows, Space', 'Pick up, move and drop a card by its drag handle'],
    ['?', 'Show or hide this sheet'],
    ['Esc', 'Close this sheet'],
  ];
  return (
    <div role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" className="fixed inset-0 z-20 flex items-center justify-center bg-slate-900/40 p-4">
      <div className="w-full max-w-md rounded-lg bg-white p-5 shadow-xl">
        <h2 className="mb-3 text-base font-semibold">Keyboard shortcuts</h2>
        <table className="w-full text-sm">
          <tbody>
            {rows.map(([k, v]) => (
              <tr key={k} className="border-t border-slate-100">
                <td className="py-1 pr-3 font-mono text-xs">{k}</td>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="mt-4 text-right">
          <button ref={closeRef} type="button" onClick={onClose} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-50">
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
