'use client';
import { useState, type FormEvent } from 'react';
import { Button, Card, ErrorText, Field, ROLE_OPTIONS, Select } from '@/app/_components/ui';
import { ConfirmButton, CopyButton } from '@/app/_components/confirm-copy';
import { createInviteAction, createUserAction, revokeInviteAction } from './actions';

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
            <div role="status" className="space-y-2 text-sm break-all">
              <p>
                Send this link (it is shown only now): <code data-testid="invite-url">{invite.url}</code>
              </p>
              <CopyButton text={invite.url} label="Copy link" />
            </div>
          ) : null}
          <ErrorText>{invite.error}</ErrorText>
        </form>
      </Card>
    </div>
  );
}

type InviteRow = { id: number; role: string; email: string | null; projectName: string | null; status: 'open' | 'used' | 'expired' | 'locked'; expiresAt: string; createdAt: string; usedAt: string | null };

const STATUS_TEXT: Record<InviteRow['status'], string> = { open: 'open', used: 'used', expired: 'expired', locked: 'locked (too many refused attempts)' };

/** The latest invites: who each is for, its project, role, status and expiry; an open one can be revoked (after a confirmation). */
export function InviteList({ invites }: { invites: InviteRow[] }) {
  const [error, setError] = useState('');
  if (invites.length === 0) return <p className="text-sm text-slate-500">No invites yet.</p>;
  return (
    <div className="space-y-2">
      <div className="overflow-x-auto">
        <table className="w-full text-left text-sm" aria-label="Invites">
          <thead className="text-slate-500">
            <tr>
              <th className="py-1">#</th>
              <th>Role</th>
              <th>Project</th>
              <th>For</th>
              <th>Status</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {invites.map((i) => (
              <tr key={i.id} className="border-t border-slate-100 align-middle">
                <td className="py-1">{i.id}</td>
                <td>{i.role}</td>
                <td>{i.projectName ?? '—'}</td>
                <td>{i.email ?? 'anyone with the link'}</td>
                <td>{STATUS_TEXT[i.status]}</td>
                <td>{i.status === 'used' ? `used ${i.usedAt?.slice(0, 10)}` : i.expiresAt.slice(0, 16).replace('T', ' ')}</td>
                <td className="py-1 text-right">
                  {i.status === 'open' || i.status === 'locked' ? (
                    <ConfirmButton
                      label={`Revoke invite ${i.id}`}
                      question={`Revoke invite #${i.id}? Its link stops working.`}
                      confirmLabel="Yes, revoke"
                      onConfirm={async () => {
                        const result = await revokeInviteAction({ id: i.id });
                        setError(result.ok ? '' : result.error);
                      }}
                    />
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="text-xs text-slate-500">A link is stored hashed, so it is shown once, when made; make a new one if it was lost.</p>
      <ErrorText>{error}</ErrorText>
    </div>
  );
}
