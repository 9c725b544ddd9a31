'use client';
import { useState, type FormEvent } from 'react';
import { Button, Card, ErrorText, Field, ROLE_OPTIONS, Select } from '@/app/_components/ui';
import { createInviteAction, createUserAction } from './actions';

function formValues(event: FormEvent<HTMLFormElement>): Record<string, string> {
  return Object.fromEntries([...new FormData(event.currentTarget).entries()].map(([k, v]) => [k, String(v)]));
}

export function AdminForms({ projects }: { projects: { id: number; name: string }[] }) {
  const [userMessage, setUserMessage] = useState({ ok: '', error: '' });
  const [invite, setInvite] = useState({ url: '', error: '' });
  return (
    <div className="grid gap-6 md:grid-cols-2">
      <Card title="Create user">
        <form
          className="space-y-3"
          onSubmit={async (event) => {
            event.preventDefault();
            const form = event.currentTarget;
            const result = await createUserAction(formValues(event));
            if (!result.ok) return setUserMessage({ ok: '', error: result.error });
            form.reset();
            setUserMessage({ ok: `Created ${result.data.email}.`, error: '' });
          }}
        >
          <Field label="Name" name="name" required />
          <Field label="Email" name="email" type="email" required />
          <Field label="Password" name="password" type="password" required minLength={8} />
          <Select label="Role" name="role" options={ROLE_OPTIONS} defaultValue="annotator" />
          <Button type="submit">Create user</Button>
          {userMessage.ok ? <p className="text-sm text-emerald-700">{userMessage.ok}</p> : null}
          <ErrorText>{userMessage.error}</ErrorText>
        </form>
      </Card>
      <Card title="Invite by link">
        <form
          className="space-y-3"
          onSubmit={async (event) => {
            event.preventDefault();
            const result = await createInviteAction(formValues(event));
            setInvite(result.ok ? { url: result.data.url, error: '' } : { url: '', error: result.error });
          }}
        >
          <Select label="Role" name="role" options={ROLE_OPTIONS} defaultValue="annotator" />
          <Select label="Project (optional)" name="projectId" options={[{ value: '', label: 'none' }, ...projects.map((p) => ({ value: String(p.id), label: p.name }))]} defaultValue="" />
          <Field label="Only for email (optional)" name="email" type="email" />
          <Button type="submit">Create invite link</Button>
          {invite.url ? (
            <p className="text-sm break-all">
              Send this link: <code data-testid="invite-url">{invite.url}</code>
            </p>
          ) : null}
          <ErrorText>{invite.error}</ErrorText>
        </form>
      </Card>
    </div>
  );
}
