import Link from 'next/link';
import type { ReactNode } from 'react';
import { requireActor } from '@/app/_lib/session';
import { SignOutButton } from '@/app/_components/sign-out-button';

export default async function AppLayout({ children }: { children: ReactNode }) {
  const actor = await requireActor();
  const links = [
    { href: '/projects', label: 'Projects' },
    ...(actor.role !== 'annotator' ? [{ href: '/jobs', label: 'Jobs' }] : []),
    ...(actor.role === 'admin' ? [{ href: '/admin', label: 'Admin' }] : []),
    { href: '/settings/tokens', label: 'API tokens' },
  ];
  return (
    <div>
      <header className="border-b border-slate-200 bg-white">
        <nav aria-label="Main" className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-1 px-4 py-3 sm:gap-x-6 sm:px-6">
          <Link href="/projects" className="font-semibold text-indigo-700">
            Arbiter
          </Link>
          {links.map((l) => (
            <Link key={l.href} href={l.href} className="text-sm text-slate-700 hover:text-slate-950">
              {l.label}
            </Link>
          ))}
          <span className="ml-auto hidden text-sm text-slate-500 sm:inline">
            {actor.name} · {actor.role}
          </span>
          <span className="ml-auto sm:ml-0">
            <SignOutButton />
          </span>
        </nav>
      </header>
      <main className="mx-auto max-w-6xl px-3 py-6 sm:px-6 sm:py-8">{children}</main>
    </div>
  );
}
