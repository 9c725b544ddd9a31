'use client';

import { useEffect } from 'react';
import type { AnnotationTask } from '@/db/queries/annotation';
import { CHOICES, STRENGTHS, type Winner } from './task-parts';

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
 * Keyboard first: 1–4 choose, Q/W/E set the strength, Enter submits (Ctrl+Enter inside a text box),
 * S skips, ? toggles the shortcut sheet, Esc closes it. Ranking cards handle their own keys.
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
