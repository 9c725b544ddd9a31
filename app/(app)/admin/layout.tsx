import type { ReactNode } from 'react';
import { requireActor } from '@/app/_lib/session';
import { Forbidden } from '@/app/_components/forbidden';

/** Every page under /admin is for admins only. */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const actor = await requireActor();
  if (actor.role !== 'admin') return <Forbidden what="The admin pages are for admins only." />;
  return children;
}
