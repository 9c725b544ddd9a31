'use client';

import { Markdown } from '@/app/_components/markdown';
import { Button } from '@/app/_components/ui';

/** The project's guidelines with their version (the side column on wide screens, the drawer on phones). */
export function GuidelinesText({ guidelines, version }: { guidelines: string; version: number }) {
  return (
    <>
      <h2 className="mb-2 flex items-baseline justify-between text-sm font-semibold">
        Guidelines <span className="text-xs font-normal text-slate-500">version {version}</span>
      </h2>
      {guidelines.trim() ? <Markdown>{guidelines}</Markdown> : <p className="text-sm text-slate-500">No guidelines yet.</p>}
    </>
  );
}

/** Below the desktop layout: the guidelines over the page, closed by its button, a tap outside or Esc (the workbench's keys). */
export function GuidelinesDrawer({ guidelines, version, onClose }: { guidelines: string; version: number; onClose: () => void }) {
  return (
    <div role="dialog" aria-modal="true" aria-label="Guidelines" className="fixed inset-0 z-20 flex justify-end bg-slate-900/40 lg:hidden" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div className="h-full w-full max-w-sm overflow-y-auto bg-white p-4 shadow-xl">
        <div className="mb-2 flex justify-end">
          <Button variant="secondary" type="button" onClick={onClose} autoFocus>
            Close
          </Button>
        </div>
        <GuidelinesText guidelines={guidelines} version={version} />
      </div>
    </div>
  );
}
