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
        <nav aria-label="Main" className="mx-auto flex max-w-6xl items-center gap-6 px-6 py-3">
          <Link href="/projects" className="font-semibold text-indigo-700">
            Arbiter
          </Link>
          {links.map((l) => (
            <Link key={l.href} href={l.href} className="text-sm text-slate-700 hover:text-slate-950">
              {l.label}
            </Link>
          ))}
          <span className="ml-auto text-sm text-slate-500">
            {actor.name} · {actor.role}
          </span>
          <SignOutButton />
        </nav>
      </header>
      <main className="mx-auto max-w-6xl px-6 py-8">{children}</main>
    </div>
  );
}
