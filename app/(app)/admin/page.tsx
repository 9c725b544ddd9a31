import type { Metadata } from 'next';
import Link from 'next/link';
import { listInvites } from '@/db/queries/invites';
import { listProjectsForActor } from '@/db/queries/projects';
import { listUsers } from '@/db/queries/users';
import { requireActor } from '@/app/_lib/session';
import { Card } from '@/app/_components/ui';
import { AdminForms, InviteList } from './admin-forms';

export const metadata: Metadata = { title: 'Admin' };

export default async function AdminPage() {
  const actor = await requireActor();
  const users = (await listUsers()).filter((u) => !u.isSimulated);
  const invites = await listInvites();
  const projects = (await listProjectsForActor(actor)).map((p) => ({ id: p.id, name: p.name }));
  return (
    <div className="space-y-6">
      <div className="flex items-baseline justify-between">
        <h1 className="text-2xl font-semibold">Admin</h1>
        <Link className="text-sm text-indigo-700 underline" href="/admin/workers">
          Workers →
        </Link>
      </div>
      <Card title="Users">
        <table className="w-full text-sm">
          <thead>
            <tr className="text-left text-slate-500">
              <th className="py-1">Name</th>
              <th>Email</th>
              <th>Role</th>
              <th>Joined</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} className="border-t border-slate-100">
                <td className="py-1">{u.name}</td>
                <td>{u.email}</td>
                <td>{u.role}</td>
                <td>{u.createdAt.toISOString().slice(0, 10)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      <AdminForms projects={projects} />
      <Card title="Invites">
        <InviteList invites={invites.map((i) => ({ ...i, expiresAt: i.expiresAt.toISOString(), createdAt: i.createdAt.toISOString(), usedAt: i.usedAt?.toISOString() ?? null }))} />
      </Card>
    </div>
  );
}
