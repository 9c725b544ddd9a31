'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { cn } from './ui';

/** The project's pages, reachable from each of them; researchers' pages only for those who manage it. */
export function ProjectTabs({ projectId, canManage }: { projectId: number; canManage: boolean }) {
  const pathname = usePathname();
  const base = `/projects/${projectId}`;
  const tabs = [
    { href: base, label: 'Overview' },
    { href: `${base}/annotate`, label: 'Annotate' },
    ...(canManage
      ? [
          { href: `${base}/annotation`, label: 'Annotation progress' },
          { href: `${base}/import`, label: 'Import' },
          { href: `${base}/export`, label: 'Export' },
          { href: `${base}/leaderboard`, label: 'Leaderboard' },
          { href: `${base}/quality`, label: 'Quality' },
          { href: `${base}/models`, label: 'Models' },
          { href: `${base}/align`, label: 'Alignment' },
          { href: `${base}/settings`, label: 'Settings' },
        ]
      : []),
  ];
  // The deepest tab whose path starts the current one (a model's page is under Models).
  const current = tabs.filter((t) => pathname === t.href || (t.href !== base && pathname.startsWith(`${t.href}/`))).at(-1)?.href ?? (pathname === base ? base : null);
  return (
    <nav aria-label="Project" className="-mx-1 flex flex-wrap gap-1 border-b border-slate-200 pb-2 text-sm">
      {tabs.map((t) => (
        <Link
          key={t.href}
          href={t.href}
          aria-current={t.href === current ? 'page' : undefined}
          className={cn('rounded-md px-2 py-1', t.href === current ? 'bg-indigo-50 font-medium text-indigo-800' : 'text-slate-700 hover:bg-slate-100')}
        >
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
