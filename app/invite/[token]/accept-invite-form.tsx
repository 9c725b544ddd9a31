'use client';
import { useRouter } from 'next/navigation';
import { authClient } from '@/app/_lib/auth-client';
import { useSubmit } from '@/app/_lib/use-submit';
import { Button, ErrorText, Field } from '@/app/_components/ui';
import { acceptInviteAction } from './actions';

export function AcceptInviteForm({ token, email }: { token: string; email: string | null }) {
  const router = useRouter();
  const { pending, error, submit } = useSubmit();
  return (
    <form
      className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm"
      onSubmit={(event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        const input = { token, name: String(form.get('name') ?? ''), email: String(form.get('email') ?? ''), password: String(form.get('password') ?? '') };
        void submit(async () => {
          const result = await acceptInviteAction(input);
          if (!result.ok) return result.error;
          const signIn = await authClient.signIn.email({ email: result.data.email, password: input.password });
          router.replace(signIn.error ? '/sign-in' : '/projects');
          router.refresh();
        });
      }}
    >
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
