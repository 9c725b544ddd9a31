'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useSubmit } from '@/app/_lib/use-submit';
import { Markdown } from '@/app/_components/markdown';
import { Button, ErrorText } from '@/app/_components/ui';
import { updateGuidelinesAction } from '../../actions';

export function GuidelinesForm({ projectId, markdown, version }: { projectId: number; markdown: string; version: number }) {
  const router = useRouter();
  const { pending, error, submit } = useSubmit();
  const [text, setText] = useState(markdown);
  const [status, setStatus] = useState('');
  return (
    <div className="grid gap-4 md:grid-cols-2">
      <label className="block text-sm">
        <span className="mb-1 block font-medium text-slate-700">Guidelines (markdown; version {version})</span>
        <textarea className="h-72 w-full rounded-md border border-slate-300 px-3 py-1.5 font-mono text-xs" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <div className="text-sm">
        <span className="mb-1 block font-medium text-slate-700">Preview</span>
        <div className="h-72 overflow-y-auto rounded-md border border-slate-200 p-3">
          <Markdown>{text}</Markdown>
        </div>
      </div>
      <div className="flex items-center gap-3 md:col-span-2">
        <Button
          type="button"
          disabled={pending}
          onClick={() =>
            void submit(async () => {
              const result = await updateGuidelinesAction({ projectId, markdown: text });
              if (!result.ok) return result.error;
              setStatus(`Saved as version ${result.data.version}.`);
              router.refresh();
            })
          }
        >
          Save guidelines
        </Button>
        {status ? <span role="status" className="text-sm text-emerald-700">{status}</span> : null}
        <ErrorText>{error}</ErrorText>
      </div>
    </div>
  );
}
