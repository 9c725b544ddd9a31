'use client';

/** Pieces of the annotation screen: the conversation, rating rows, the shortcut sheet, answer labels. */
import { useEffect, useRef } from 'react';
import type { HistoryEntry } from '@/db/queries/annotation-history';
import { Markdown } from '@/app/_components/markdown';
import { cn } from '@/app/_components/ui';

export type Winner = 'a' | 'b' | 'tie' | 'both_bad';

export const LETTERS = 'ABCDEFGHI';
export const CHOICES: { winner: Winner; label: string; key: string }[] = [
  { winner: 'a', label: 'A is better', key: '1' },
  { winner: 'b', label: 'B is better', key: '2' },
  { winner: 'tie', label: 'Tie', key: '3' },
  { winner: 'both_bad', label: 'Both bad', key: '4' },
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

export function RatingsGrid({ label, attributes, values, onChange }: { label: string; attributes: string[]; values: Record<string, number>; onChange: (attribute: string, value: number) => void }) {
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

export function ShortcutSheet({ onClose }: { onClose: () => void }) {
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
