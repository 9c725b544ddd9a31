'use client';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { authClient } from '@/app/_lib/auth-client';
import { Button, ErrorText, Field } from '@/app/_components/ui';
import { acceptInviteAction } from './actions';

export function AcceptInviteForm({ token, email }: { token: string; email: string | null }) {
  const router = useRouter();
  const [error, setError] = useState('');
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input = { token, name: String(form.get('name') ?? ''), email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') };
    setPending(true);
    const result = await acceptInviteAction(input);
    if (!result.ok) {
      setPending(false);
      return setError(result.error);
    }
    const signIn = await authClient.signIn.email({ email: result.data.email, password: input.password });
    if (signIn.error) return router.replace('/sign-in');
    router.replace('/projects');
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <Field label="Name" name="name" required autoComplete="name" />
      <Field label="Email" name="email" type="email" required defaultValue={email ?? ''} readOnly={email !== null} autoComplete="email" />
      <Field label="Password" name="password" type="password" required minLength={8} autoComplete="new-password" />
      <ErrorText>{error}</ErrorText>
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? 'Creating account…' : 'Create account'}
      </Button>
    </form>
  );
}
