import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { getActor } from '@/app/_lib/session';
import { SignInForm } from './sign-in-form';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage() {
  if (await getActor()) redirect('/projects');
  return (
    <main className="mx-auto mt-24 max-w-sm px-4">
      <h1 className="mb-1 text-2xl font-semibold">Arbiter</h1>
      <p className="mb-6 text-sm text-slate-600">Sign in to label, review and train on preference data.</p>
      <SignInForm />
    </main>
  );
}
