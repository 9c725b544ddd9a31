import type { Metadata } from 'next';
import Link from 'next/link';
import { getOpenInvite } from '@/db/queries/invites';
import { AcceptInviteForm } from './accept-invite-form';

export const metadata: Metadata = { title: 'Join Arbiter' };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const invite = token.length >= 16 && token.length <= 200 ? await getOpenInvite(token) : undefined;
  return (
    <main className="mx-auto mt-20 max-w-md px-4">
      <h1 className="mb-2 text-2xl font-semibold">Join Arbiter</h1>
      {invite ? (
        <>
          <p className="mb-6 text-sm text-slate-600">
            You are invited as <strong>{invite.role}</strong>
            {invite.projectName ? (
              <>
                {' '}
                on <strong>{invite.projectName}</strong>
              </>
            ) : null}
            . Choose your name and password.
          </p>
          <AcceptInviteForm token={token} email={invite.email} />
        </>
      ) : (
        <p role="alert" className="text-sm text-rose-700">
          This invite link is invalid, expired, already used or locked (after too many refused attempts). Ask an admin for a new one, or <Link className="underline" href="/sign-in">sign in</Link>.
        </p>
      )}
    </main>
  );
}
