'use client';

import type { ProjectSettings } from '@/lib/projects/settings';
import { cn } from '@/app/_components/ui';
import { CHOICES, STRENGTHS, type Winner } from './task-parts';

/** The 7-point line, left to right: A much better (−3) … tie (0) … B much better (+3). */
const LIKERT = [-3, -2, -1, 0, 1, 2, 3];

type Props = {
  answer: { winner: Winner | null; strength: number | null; justification: string };
  settings: Pick<ProjectSettings, 'strengthScale' | 'justification'>;
  onChoose: (winner: Winner) => void;
  onStrength: (strength: number) => void;
  onLikert: (winner: 'a' | 'b', strength: number) => void;
  onJustification: (text: string) => void;
};

/** The pairwise answer: the four choices, the strength scale (3-point, or the 7-point line), the justification. */
export function PairControls({ answer, settings, onChoose, onStrength, onLikert, onJustification }: Props) {
  const decisive = answer.winner === 'a' || answer.winner === 'b';
  return (
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
            onClick={() => onChoose(c.winner)}
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
                onClick={() => (v === 0 ? onChoose('tie') : onLikert(v < 0 ? 'a' : 'b', Math.abs(v)))}
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
        </label>
      ) : null}
    </fieldset>
  );
}
