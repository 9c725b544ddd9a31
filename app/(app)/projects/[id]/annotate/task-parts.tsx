'use client';

/** Pieces of the annotation screen: the conversation, rating rows, the shortcut sheet, answer labels. */
import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { HistoryEntry } from '@/db/queries/annotation-history';
import { Markdown } from '@/app/_components/markdown';
import { cn } from '@/app/_components/ui';

export type Winner = 'a' | 'b' | 'tie' | 'both_bad';
/** What still stops a submit, by the control it concerns (its message is shown beside that control); ratings by response id. */
export type Problems = { winner?: string; strength?: string; justification?: string; ratings: Map<number, string> };

export const LETTERS = 'ABCDEFGHI';
export const CHOICES: { winner: Winner; label: string; short: string; key: string }[] = [
  { winner: 'a', label: 'A is better', short: 'A', key: '1' },
  { winner: 'b', label: 'B is better', short: 'B', key: '2' },
  { winner: 'tie', label: 'Tie', short: 'Tie', key: '3' },
  { winner: 'both_bad', label: 'Both bad', short: 'Both bad', key: '4' },
];
export const STRENGTHS = [
  { value: 1, label: 'Slightly', key: 'q' },
  { value: 2, label: 'Clearly', key: 'w' },
  { value: 3, label: 'Much', key: 'e' },
];
export function describeAnswer(h: HistoryEntry): string {
  if (h.kind === 'pair' && h.winner) {
    const label = CHOICES.find((c) => c.winner === h.winner)!.label;
    return h.strength ? `${label} (${STRENGTHS[h.strength - 1]?.label.toLowerCase()})` : label;
  }
  if (h.ranked) return 'ranked';
  return h.rated ? 'rated' : 'answered';
}

/** "a", "a and b", "a, b and c". */
export const listOf = (items: readonly string[]): string => (items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

/** What a control still needs, beside it: announced when it appears (role alert), gone once met. */
export function FieldProblem({ text }: { text: string | undefined }) {
  return text ? (
    <p role="alert" className="mt-1 text-sm text-rose-700">
      {text}
    </p>
  ) : null;
}

export function Conversation({ messages }: { messages: { role: string; content: string }[] }) {
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

/** Marks every rating radio group, so digits can move on to the next one and N can find a response's first. */
export const RATING_GROUP = 'data-rating-group';
const RATING_VALUES = [0, 1, 2, 3, 4];

/** Focuses the rating group after `from` in document order, or `fallback` (e.g. Submit) after the last. */
function focusNextRatingGroup(from: HTMLElement, fallback: () => void): void {
  const groups = Array.from(document.querySelectorAll<HTMLElement>(`[${RATING_GROUP}]`));
  const next = groups[groups.indexOf(from) + 1];
  if (next) next.querySelector<HTMLElement>('[tabindex="0"]')?.focus();
  else fallback();
}

/**
 * A response's ratings: one radio group per attribute (WAI-ARIA radio group pattern: one tab stop, the
 * arrows change the value). Digits 0–4 set the focused attribute and move on to the next one, across
 * responses, so a rank-and-rate item is a row of digits; after the last, focus goes to `onDone`.
 */
export function RatingsGrid({ label, attributes, values, onChange, onDone }: { label: string; attributes: string[]; values: Record<string, number>; onChange: (attribute: string, value: number) => void; onDone: () => void }) {
  const onKeyDown = (attribute: string) => (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const current = values[attribute];
    const group = e.currentTarget;
    const focusValue = (v: number) => requestAnimationFrame(() => group.querySelector<HTMLElement>(`[data-value="${v}"]`)?.focus());
    if (/^[0-4]$/.test(e.key)) {
      e.preventDefault();
      e.stopPropagation(); // not the page's 1–4 (choose a winner)
      onChange(attribute, Number(e.key));
      requestAnimationFrame(() => focusNextRatingGroup(group, onDone));
    } else if (e.key === 'ArrowRight' || e.key === 'ArrowUp' || e.key === 'ArrowLeft' || e.key === 'ArrowDown') {
      e.preventDefault();
      const step = e.key === 'ArrowRight' || e.key === 'ArrowUp' ? 1 : -1;
      // From the focused value (the checked one, or 0 when none is): the ARIA radio group's arrow rule.
      const from = Number((e.target as HTMLElement).dataset.value ?? current ?? 0);
      const next = (from + step + 5) % 5;
      onChange(attribute, next);
      focusValue(next);
    }
  };
  return (
    <div className="mt-3 space-y-1 border-t border-slate-100 pt-2">
      {attributes.map((attribute) => {
        const checked = values[attribute];
        return (
          <div key={attribute} role="radiogroup" aria-label={`${attribute} of response ${label}`} {...{ [RATING_GROUP]: '' }} onKeyDown={onKeyDown(attribute)} className="flex flex-wrap items-center gap-1 text-xs">
            <span className="w-28 shrink-0 text-slate-600">{attribute}</span>
            {RATING_VALUES.map((v) => (
              <button
                key={v}
                type="button"
                role="radio"
                data-value={v}
                tabIndex={(checked ?? 0) === v ? 0 : -1}
                aria-checked={checked === v}
                aria-label={`${attribute} of response ${label}: ${v}`}
                onClick={() => onChange(attribute, v)}
                className={cn('h-9 w-9 rounded border sm:h-7 sm:w-7', checked === v ? 'border-indigo-600 bg-indigo-600 text-white' : 'border-slate-300 bg-white')}
              >
                {v}
              </button>
            ))}
          </div>
        );
      })}
    </div>
  );
}

export function ShortcutSheet({ onClose }: { onClose: () => void }) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => closeRef.current?.focus(), []);
  const rows: [string, string][] = [
    ['1 / 2 / 3 / 4', 'A is better / B is better / Tie / Both bad'],
    ['Q / W / E', 'slightly / clearly / much better'],
    ['N', 'Go to the next response (its first rating)'],
    ['0–4', 'Rate the focused attribute and go on to the next'],
    ['← / →', 'Change the focused rating'],
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
