'use client';

import { useEffect } from 'react';
import type { AnnotationTask } from '@/db/queries/annotation';
import { CHOICES, RATING_GROUP, STRENGTHS, type Winner } from './task-parts';

/** Focuses the response after the one holding focus (the first when none does): its first rating, else the response itself. */
function focusNextResponse(): void {
  const responses = Array.from(document.querySelectorAll<HTMLElement>('[data-response]'));
  if (responses.length === 0) return;
  const current = responses.findIndex((r) => r.contains(document.activeElement));
  const next = responses[(current + 1) % responses.length]!;
  const rating = next.querySelector<HTMLElement>(`[${RATING_GROUP}] [tabindex="0"]`);
  (rating ?? next).focus();
  (rating ?? next).scrollIntoView({ block: 'nearest' });
}

type Keys = {
  task: AnnotationTask | null;
  ready: boolean;
  submit: () => Promise<void>;
  skip: () => Promise<void>;
  choose: (winner: Winner) => void;
  setStrength: (strength: number) => void;
  toggleShortcuts: () => void;
  closeShortcuts: () => void;
};

/**
 * Keyboard first: 1–4 choose, Q/W/E set the strength, N goes to the next response, Enter submits
 * (Ctrl+Enter inside a text box), S skips, ? toggles the shortcut sheet, Esc closes it. Ranking cards and
 * rating groups handle their own keys (a digit in a rating group rates; it does not choose).
 */
export function useAnnotationKeys({ task, ready, submit, skip, choose, setStrength, toggleShortcuts, closeShortcuts }: Keys): void {
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing = !!target && (target.tagName === 'TEXTAREA' || (target.tagName === 'INPUT' && (target as HTMLInputElement).type === 'text'));
      if (e.key === 'Escape') {
        closeShortcuts();
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
        toggleShortcuts();
        return;
      }
      if (!task || !ready) return;
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
      if (key === 'n') {
        e.preventDefault();
        focusNextResponse();
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
  }, [task, ready, submit, skip, choose, setStrength, toggleShortcuts, closeShortcuts]);
}
