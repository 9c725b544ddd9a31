/**
 * The authorization matrix of the server actions: every exported action of every `actions.ts` under
 * app/ (found on disk, so none can be missed), called as anonymous, an annotator of the project, a
 * researcher of another project, a researcher of the project and an admin. The session is the one thing
 * replaced (getActor returns the role's actor); the answer is classified from the status the action's
 * error mapping chose: ok, 401 (signed out), 403, 404.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createApiToken } from '@/db/queries/api-tokens';
import { createInvite } from '@/db/queries/invites';
import { addProjectMember } from '@/db/queries/projects';
import type * as ErrorsModule from '@/app/_lib/errors';
import type { Actor } from '@/lib/auth/access';
import { enqueueJob } from '@/db/queries/queue';
import { createActor } from '../../helpers/actors';
import { createGeneratedProject } from '../../helpers/projects';
import { queryValue } from '../../helpers/sql';

let current: Actor | null = null;
let lastStatus = 200;
vi.mock('@/app/_lib/session', () => ({ getActor: async () => current, requireActor: async () => current }));
vi.mock('next/cache', () => ({ revalidatePath: () => undefined }));
vi.mock('@/app/_lib/errors', async (original) => {
  const real = await original<typeof ErrorsModule>();
  return {
    ...real,
    describeError: (error: unknown) => {
      const d = real.describeError(error);
      lastStatus = d.status;
      return d;
    },
  };
});

type Role = 'anonymous' | 'annotator' | 'outsider' | 'researcher' | 'admin';
type Outcome = 'ok' | 401 | 403 | 404;
const ROLES: Role[] = ['anonymous', 'annotator', 'outsider', 'researcher', 'admin'];
const researchers: Record<Role, Outcome> = { anonymous: 401, annotator: 403, outsider: 404, researcher: 'ok', admin: 'ok' };
const adminOnly: Record<Role, Outcome> = { anonymous: 401, annotator: 403, outsider: 403, researcher: 403, admin: 'ok' };
const signedIn: Record<Role, Outcome> = { anonymous: 401, annotator: 'ok', outsider: 'ok', researcher: 'ok', admin: 'ok' };

function actionFiles(dir = path.join(process.cwd(), 'app')): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? actionFiles(path.join(dir, e.name)) : e.name === 'actions.ts' ? [path.join(dir, e.name)] : []));
}

describe('authorization matrix (server actions)', async () => {
  const admin = await createActor('admin');
  const researcher = await createActor('researcher');
  const annotator = await createActor('annotator');
  const outsider = await createActor('researcher');
  const { projectId } = await createGeneratedProject({ prompts: 8 }, researcher);
  await addProjectMember(projectId, annotator.id, 'annotator');
  const actors: Record<Role, Actor | null> = { anonymous: null, annotator, outsider, researcher, admin };
  const itemId = (await queryValue<number>('select id from items where project_id = ? limit 1', projectId))!;
  const settings = { projectId, tasks: ['pairwise'], rankingSize: '4', overlap: '2', strengthScale: 'off', justification: 'optional', attributes: '', goldRatePercent: '0', repeatRatePercent: '0', randomizeSides: true, assignmentOrder: 'least-annotated', leaseMinutes: '30' };

  /** Each row: the action's export name, its input (fresh per call where calls consume something), and the expected outcomes. */
  const ROWS: { name: string; input: (role: Role) => unknown; expect: Record<Role, Outcome> }[] = [
    { name: 'createUserAction', input: () => ({ name: 'New', email: `n${crypto.randomUUID().slice(0, 8)}@example.com`, password: 'long-enough-password', role: 'annotator' }), expect: adminOnly },
    { name: 'createInviteAction', input: () => ({ role: 'annotator', email: '', projectId: '' }), expect: adminOnly },
    { name: 'revokeInviteAction', input: async () => ({ id: (await createInvite(null, { role: 'annotator' })).invite.id }), expect: adminOnly },
    { name: 'cancelJobAction', input: async () => ({ jobId: (await enqueueJob('recompute-stats', { projectId }, { projectId, createdBy: researcher.id })).id }), expect: { anonymous: 401, annotator: 404, outsider: 404, researcher: 'ok', admin: 'ok' } },
    { name: 'createProjectAction', input: () => ({ name: `p ${crypto.randomUUID().slice(0, 6)}`, description: '', overlap: '1' }), expect: { anonymous: 401, annotator: 403, outsider: 'ok', researcher: 'ok', admin: 'ok' } },
    { name: 'startRecomputeStats', input: () => ({ projectId }), expect: researchers },
    { name: 'addMemberAction', input: () => ({ projectId, email: annotator.email, role: 'annotator' }), expect: researchers },
    { name: 'computeLeaderboardAction', input: () => ({ projectId, method: 'bt', rounds: '10', seed: '1' }), expect: researchers },
    { name: 'setGoldAction', input: () => ({ projectId, itemId, answer: 'a' }), expect: researchers },
    { name: 'updateSettingsAction', input: () => settings, expect: researchers },
    { name: 'updateGuidelinesAction', input: () => ({ projectId, markdown: '# Rules' }), expect: researchers },
    { name: 'createTokenAction', input: () => ({ name: 'from the matrix' }), expect: signedIn },
    // Only the owner revokes a token; anyone else is told it does not exist.
    { name: 'revokeTokenAction', input: async () => ({ id: (await createApiToken(researcher.id, { name: 'doomed' })).summary.id }), expect: { anonymous: 401, annotator: 404, outsider: 404, researcher: 'ok', admin: 404 } },
    // Public by design: the invite's secret token is the authorization.
    { name: 'acceptInviteAction', input: async () => ({ token: (await createInvite(admin.id, { role: 'annotator' })).token, name: 'Invited', email: `i${crypto.randomUUID().slice(0, 8)}@example.com`, password: 'long-enough-password' }), expect: { anonymous: 'ok', annotator: 'ok', outsider: 'ok', researcher: 'ok', admin: 'ok' } },
  ];

  it('has a row for every exported server action', async () => {
    const exported: string[] = [];
    for (const file of actionFiles()) {
      const mod = (await import(file)) as Record<string, unknown>;
      exported.push(...Object.entries(mod).filter(([, v]) => typeof v === 'function').map(([k]) => k));
    }
    expect(exported.sort()).toEqual(ROWS.map((r) => r.name).sort());
  });

  it('answers each role as the matrix says', async () => {
    const actions: Record<string, (input: unknown) => Promise<{ ok: boolean; error?: string }>> = {};
    for (const file of actionFiles()) Object.assign(actions, await import(file));
    const wrong: string[] = [];
    for (const row of ROWS) {
      for (const role of ROLES) {
        current = actors[role];
        lastStatus = 200;
        const result = await actions[row.name]!(await row.input(role));
        const outcome: Outcome | number = result.ok ? 'ok' : /signed out/i.test(result.error ?? '') ? 401 : lastStatus;
        if (outcome !== row.expect[role]) wrong.push(`${row.name} as ${role}: got ${outcome} (${result.error ?? 'ok'}), expected ${row.expect[role]}`);
      }
    }
    current = null;
    expect(wrong).toEqual([]);
  }, 60_000);
});
