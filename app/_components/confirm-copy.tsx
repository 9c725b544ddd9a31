'use client';
import { useState, type ReactNode } from 'react';
import { Button } from './ui';

/** Copies `text` to the clipboard and says so ("Copied"), or says it could not (no clipboard permission). */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <Button
      type="button"
      variant="secondary"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setState('copied');
        } catch {
          setState('failed');
        }
      }}
    >
      <span aria-live="polite">{state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the text' : label}</span>
    </Button>
  );
}

/**
 * A destructive action that asks first: the button becomes "question? [confirm] [Cancel]" in place, and
 * only the confirm button runs `onConfirm`.
 */
export function ConfirmButton({ label, question, confirmLabel, onConfirm }: { label: string; question: ReactNode; confirmLabel: string; onConfirm: () => Promise<void> | void }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <Button type="button" variant="secondary" onClick={() => setAsking(true)}>
        {label}
      </Button>
    );
  }
  return (
    <span role="group" aria-label={label} className="inline-flex flex-wrap items-center gap-2 text-sm">
      <span>{question}</span>
      <Button
        type="button"
        variant="danger"
        autoFocus
        onClick={async () => {
          await onConfirm();
          setAsking(false);
        }}
      >
        {confirmLabel}
      </Button>
      <Button type="button" variant="secondary" onClick={() => setAsking(false)}>
        Cancel
      </Button>
    </span>
  );
}
