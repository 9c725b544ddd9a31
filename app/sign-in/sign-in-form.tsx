'use client';
import { useRouter } from 'next/navigation';
import { authClient } from '@/app/_lib/auth-client';
import { useSubmit } from '@/app/_lib/use-submit';
import { Button, ErrorText, Field } from '@/app/_components/ui';

export function SignInForm() {
  const router = useRouter();
  const { pending, error, submit } = useSubmit();
  return (
    <form
      className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm"
      onSubmit={(event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        const email = String(form.get('email') ?? '').trim();
        const password = String(form.get('password') ?? '');
        void submit(async () => {
          if (!email || !password) return 'Enter your email and password.';
          const { error: failure } = await authClient.signIn.email({ email, password });
          if (failure) {
            // The per-account limit says how long to wait; the per-address one (better-auth's) is one minute.
            if (failure.status === 429) return failure.code === 'ACCOUNT_SIGN_IN_LIMIT' && failure.message ? failure.message : 'Too many attempts from this address; wait a minute and try again.';
            return failure.message ?? 'Sign-in failed.';
          }
          router.replace('/projects');
          router.refresh();
        });
      }}
    >
      <Field label="Email" name="email" type="email" autoComplete="email" required />
      <Field label="Password" name="password" type="password" autoComplete="current-password" required />
      <ErrorText>{error}</ErrorText>
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? 'Signing in…' : 'Sign in'}
      </Button>
    </form>
  );
}
