/**
 * First-start set-up, run by `npm start` (and the CLI's `setup`): an admin from the environment or a
 * one-time setup link when there is no user yet, and the demo project when there is no project.
 */
import { ZodError } from 'zod';
import { CLI_ACTOR, type Actor } from '@/lib/auth/access';
import { getEnv } from '@/lib/env';
import { formatZodIssues } from '@/lib/errors';
import { countProjects } from '../queries/projects';
import { createInvite } from '../queries/invites';
import { countUsers, createUserWithPassword, listUsers } from '../queries/users';
import { createDemoProject, createRankingDemoProject } from '../queries/demo';

export type BootstrapResult = { adminEmail?: string; setupUrl?: string; demoProjectId?: number };

export async function bootstrap(): Promise<BootstrapResult> {
  const env = getEnv();
  const out: BootstrapResult = {};
  if ((await countUsers()) === 0) {
    if (env.ARBITER_ADMIN_EMAIL && env.ARBITER_ADMIN_PASSWORD) {
      const admin = await createUserWithPassword({ name: 'Admin', email: env.ARBITER_ADMIN_EMAIL, password: env.ARBITER_ADMIN_PASSWORD, role: 'admin' }).catch((error: unknown) => {
        // A refused password (lib/auth/password-policy.ts) or email is reported against the variable to change.
        if (!(error instanceof ZodError)) throw error;
        const { field, reason } = formatZodIssues(error);
        throw new Error(`${field === 'email' ? 'ARBITER_ADMIN_EMAIL' : 'ARBITER_ADMIN_PASSWORD'}: ${reason}`);
      });
      out.adminEmail = admin.email;
    } else {
      out.setupUrl = (await createInvite(null, { role: 'admin', expiresInDays: 1 })).url;
    }
  }
  if (env.ARBITER_DEMO && (await countProjects()) === 0) {
    const admin = (await listUsers()).find((u) => u.role === 'admin');
    const actor: Actor = admin ? { id: admin.id, role: 'admin', name: admin.name, email: admin.email, via: 'cli' } : CLI_ACTOR;
    out.demoProjectId = (await createDemoProject(actor)).projectId;
    await createRankingDemoProject(actor);
  }
  return out;
}
