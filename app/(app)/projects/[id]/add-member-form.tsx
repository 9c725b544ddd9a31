'use client';
import { useState } from 'react';
import { Button, ErrorText, Field } from '@/app/_components/ui';
import { addMemberAction } from '../actions';

export function AddMemberForm({ projectId }: { projectId: number }) {
  const [message, setMessage] = useState({ ok: '', error: '' });
  return (
    <form
      className="mt-4 flex flex-wrap items-end gap-2"
      onSubmit={async (event) => {
        event.preventDefault();
        const form = event.currentTarget;
        const data = new FormData(form);
        const result = await addMemberAction({ projectId, email: String(data.get('email') ?? ''), role: String(data.get('role') ?? 'annotator') });
        if (!result.ok) return setMessage({ ok: '', error: result.error });
        form.reset();
        setMessage({ ok: `Added ${result.data.email}.`, error: '' });
      }}
    >
      <Field label="Add member by email" name="email" type="email" required />
      <label className="text-sm">
        <span className="sr-only">Member role</span>
        <select name="role" aria-label="Member role" className="rounded-md border border-slate-300 px-2 py-1.5 text-sm" defaultValue="annotator">
          <option value="annotator">annotator</option>
          <option value="researcher">researcher</option>
        </select>
      </label>
      <Button type="submit">Add</Button>
      <div className="w-full">
        {message.ok ? <p className="text-sm text-emerald-700">{message.ok}</p> : null}
        <ErrorText>{message.error}</ErrorText>
      </div>
    </form>
  );
}
