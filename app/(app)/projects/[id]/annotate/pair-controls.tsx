'use client';

import type { ProjectSettings } from '@/lib/projects/settings';
import { cn } from '@/app/_components/ui';
import { CHOICES, FieldProblem, STRENGTHS, type Problems, type Winner } from './task-parts';

/** The 7-point line, left to right: A much better (−3) … tie (0) … B much better (+3). */
const LIKERT = [-3, -2, -1, 0, 1, 2, 3];

/**
 * The four choices. On a phone they sit in the sticky bar at the bottom with Submit (compact: "A", "B", …),
 * and the full row in the form is hidden, so one set is visible at any width.
 */
export function ChoiceButtons({ winner, onChoose, compact = false, className }: { winner: Winner | null; onChoose: (winner: Winner) => void; compact?: boolean; className?: string }) {
  return (
    <div className={cn('flex gap-2', compact ? 'flex-1' : 'flex-wrap', className)}>
      {CHOICES.map((c) => (
        <button
          key={c.winner}
          type="button"
          aria-pressed={winner === c.winner}
          aria-label={c.label}
          aria-keyshortcuts={c.key}
          onClick={() => onChoose(c.winner)}
          className={cn(
            'rounded-md border text-sm font-medium',
            compact ? 'min-h-11 flex-1 px-1' : 'px-3 py-1.5',
            winner === c.winner ? 'border-indigo-600 bg-indigo-600 text-white' : 'border-slate-300 bg-white hover:bg-slate-50',
          )}
        >
          {compact ? c.short : c.label}
          {compact ? null : (
            <kbd aria-hidden="true" className="ml-1 text-xs opacity-70">
              {c.key}
            </kbd>
          )}
        </button>
      ))}
    </div>
  );
}

type Props = {
  answer: { winner: Winner | null; strength: number | null; justification: string };
  settings: Pick<ProjectSettings, 'strengthScale' | 'justification'>;
  onChoose: (winner: Winner) => void;
  onStrength: (strength: number) => void;
  onLikert: (winner: 'a' | 'b', strength: number) => void;
  onJustification: (text: string) => void;
  /** Shown beside each control; empty until a submit was refused. */
  problems: Problems;
};

/**
 * The pairwise answer: the four choices, then one strength control (the 3-point buttons, or the 7-point line,
 * never both), the justification. A choice never shows a strength it did not set: after "A is better" the
 * line has nothing selected until a point on A's side is chosen (Q/W/E or a click).
 */
export function PairControls({ answer, settings, onChoose, onStrength, onLikert, onJustification, problems }: Props) {
  const decisive = answer.winner === 'a' || answer.winner === 'b';
  // The chosen point on the line: none while a decisive choice waits for its strength.
  const linePoint = answer.winner === 'tie' ? 0 : decisive && answer.strength ? (answer.winner === 'a' ? -answer.strength : answer.strength) : null;
  return (
    <fieldset className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
      <legend className="px-1 text-sm font-semibold">Which response is better?</legend>
      <ChoiceButtons winner={answer.winner} onChoose={onChoose} className="hidden md:flex" />
      <FieldProblem text={problems.winner} />
      {settings.strengthScale === '7' ? (
        <div role="radiogroup" aria-label="Preference on the 7-point scale" className="flex flex-wrap items-center gap-1 text-xs">
          <span className="mr-1 text-slate-500">A ≫ B</span>
          {LIKERT.map((v) => {
            const name = v === 0 ? 'Tie (0)' : `${v < 0 ? 'A' : 'B'} ${STRENGTHS[Math.abs(v) - 1]!.label.toLowerCase()} better (${v > 0 ? '+' : ''}${v})`;
            return (
              <button
                key={v}
                type="button"
                role="radio"
                aria-checked={linePoint === v}
                aria-label={name}
                onClick={() => (v === 0 ? onChoose('tie') : onLikert(v < 0 ? 'a' : 'b', Math.abs(v)))}
                className={cn('h-9 w-9 rounded border', linePoint === v ? 'border-indigo-600 bg-indigo-600 text-white' : 'border-slate-300 bg-white')}
              >
                {v > 0 ? `+${v}` : v}
              </button>
            );
          })}
          <span className="ml-1 text-slate-500">B ≫ A</span>
        </div>
      ) : null}
      {settings.strengthScale === '3' && decisive ? (
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
              onClick={() => onStrength(s.value)}
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
      <FieldProblem text={problems.strength} />
      {settings.justification !== 'off' ? (
        <label className="block text-sm">
          <span className="mb-1 block font-medium text-slate-700">Justification {settings.justification === 'required' ? '(required)' : '(optional)'}</span>
          <textarea
            value={answer.justification}
            onChange={(e) => onJustification(e.target.value)}
            rows={3}
            maxLength={5000}
            className="w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm"
            placeholder="Why? (Ctrl+Enter submits)"
          />
          <FieldProblem text={problems.justification} />
        </label>
      ) : null}
    </fieldset>
  );
}
