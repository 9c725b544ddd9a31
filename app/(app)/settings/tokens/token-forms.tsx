'use client';
import { useState } from 'react';
import { Button, ErrorText, Field } from '@/app/_components/ui';
import { ConfirmButton, CopyButton } from '@/app/_components/confirm-copy';
import { createTokenAction, revokeTokenAction } from './actions';

type TokenRow = { id: number; name: string; prefix: string; revoked: boolean; lastUsed: string | null };

export function TokenForms({ tokens }: { tokens: TokenRow[] }) {
  /** The token just made, shown once; it leaves the banner if it is revoked. */
  const [created, setCreated] = useState<{ id: number; token: string } | null>(null);
  const [error, setError] = useState('');
  return (
    <div className="space-y-4">
      <form
        className="flex items-end gap-3"
        onSubmit={async (event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const result = await createTokenAction({ name: String(new FormData(form).get('name') ?? '') });
          if (!result.ok) return setError(result.error);
          form.reset();
          setError('');
          setCreated(result.data);
        }}
      >
        <Field label="Token name" name="name" required maxLength={80} />
        <Button type="submit">Create token</Button>
      </form>
      {created ? (
        <div role="status" className="flex flex-wrap items-center gap-2 rounded bg-emerald-50 p-3 text-sm break-all">
          <span>
            Copy it now, it will not be shown again: <code data-testid="new-token">{created.token}</code>
          </span>
          <CopyButton text={created.token} label="Copy token" />
        </div>
      ) : null}
      <ErrorText>{error}</ErrorText>
      <ul className="divide-y divide-slate-100 text-sm">
        {tokens.map((t) => (
          <li key={t.id} className="flex items-center gap-3 py-2">
            <span className="font-medium">{t.name}</span>
            <code className="text-slate-500">{t.prefix}…</code>
            <span className="text-xs text-slate-500">{t.revoked ? 'revoked' : t.lastUsed ? `last used ${t.lastUsed}` : 'never used'}</span>
            {!t.revoked ? (
              <span className="ml-auto">
                <ConfirmButton
                  label={`Revoke ${t.name}`}
                  question={`Revoke “${t.name}”? Scripts using it stop working.`}
                  confirmLabel="Yes, revoke"
                  onConfirm={async () => {
                    const result = await revokeTokenAction({ id: t.id });
                    if (!result.ok) return setError(result.error);
                    setCreated((c) => (c?.id === t.id ? null : c));
                  }}
                />
              </span>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
