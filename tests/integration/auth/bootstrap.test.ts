import { describe, expect, it } from 'vitest';
import { bootstrap } from '@/db/seed/bootstrap';
import { getOpenInvite } from '@/db/queries/invites';
import { RANKING_DEMO_NAME } from '@/db/queries/demo';
import { countProjects, findDemoProjectId, getProjectForActor, listProjectsForActor } from '@/db/queries/projects';
import { countUsers, listUsers } from '@/db/queries/users';
import { CLI_ACTOR } from '@/lib/auth/access';
import { resetEnvCache } from '@/lib/env';

describe('first start', () => {
  it('prints a one-time setup link for an admin when no admin is configured, and seeds the demo project', async () => {
    process.env.ARBITER_DEMO = 'true';
    resetEnvCache();
    const first = await bootstrap();
    expect(first.setupUrl).toMatch(/^http:\/\/localhost:3000\/invite\/inv_/);
    expect((await getOpenInvite(first.setupUrl!.split('/').at(-1)!))?.role).toBe('admin');
    expect(first.demoProjectId).toBe(await findDemoProjectId());
    const demo = await getProjectForActor(CLI_ACTOR, first.demoProjectId!);
    expect(demo.counts.prompts).toBe(40);
    expect(demo.counts.judgments).toBeGreaterThan(50);
    expect(demo.counts.items).toBeGreaterThan(demo.counts.judgments / 2);
    const ranking = (await listProjectsForActor(CLI_ACTOR)).find((p) => p.name === RANKING_DEMO_NAME)!;
    expect(ranking.counts).toMatchObject({ prompts: 12, responses: 48, items: 12, judgments: 0 });
    expect((await getProjectForActor(CLI_ACTOR, ranking.id)).settings).toMatchObject({ tasks: ['ranking', 'rating'], rankingSize: 4 });
    expect(await countUsers()).toBe(0);
  });

  it('creates the admin from the environment once, and never a second demo project', async () => {
    process.env.ARBITER_ADMIN_EMAIL = 'boss@example.com';
    process.env.ARBITER_ADMIN_PASSWORD = 'boss-password';
    resetEnvCache();
    const result = await bootstrap();
    expect(result).toEqual({ adminEmail: 'boss@example.com' });
    expect((await listUsers()).filter((u) => !u.isSimulated).map((u) => [u.email, u.role])).toEqual([['boss@example.com', 'admin']]);
    expect(await bootstrap()).toEqual({});
    expect(await countProjects()).toBe(2); // the pairwise demo and the ranking demo, created once
  });
});
