import type { Metadata } from 'next';
import { listApiTokens } from '@/db/queries/api-tokens';
import { requireActor } from '@/app/_lib/session';
import { Card } from '@/app/_components/ui';
import { TokenForms } from './token-forms';

export const metadata: Metadata = { title: 'API tokens' };

export default async function TokensPage() {
  const actor = await requireActor();
  const tokens = actor.id ? await listApiTokens(actor.id) : [];
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">API tokens</h1>
      <Card>
        <p className="mb-4 text-sm text-slate-600">
          Tokens let scripts call <code>/api/v1</code> as you: <code>curl -H &quot;Authorization: Bearer &lt;token&gt;&quot; …/api/v1/projects</code>. A token is shown once; revoke it when it is no longer needed.
        </p>
        <TokenForms tokens={tokens.map((t) => ({ id: t.id, name: t.name, prefix: t.prefix, revoked: t.revokedAt !== null, lastUsed: t.lastUsedAt?.toISOString().slice(0, 16) ?? null }))} />
      </Card>
    </div>
  );
}
