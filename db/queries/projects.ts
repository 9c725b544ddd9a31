import { and, asc, count, eq, ne, sql } from 'drizzle-orm';
import { canCreateProjects, canManageProject, canViewProject, type Actor } from '@/lib/auth/access';
import { AppError } from '@/lib/errors';
import { emailSchema, memberRoleSchema } from '@/lib/auth/schemas';
import { createProjectSchema, projectSettingsSchema, type CreateProjectInput, type ProjectSettings } from '@/lib/projects/settings';
import type { WinRateSummary } from '@/lib/stats/win-rates';
import type { MemberRole } from '@/lib/auth/roles';
import { items, projectGuidelines, projectMembers, projects, users } from '../schema';
import { db, withWriteTransaction } from '../client';

export type ProjectSummary = {
  id: number;
  name: string;
  description: string;
  isDemo: boolean;
  createdAt: Date;
  memberRole: MemberRole | null;
  counts: { prompts: number; responses: number; items: number; judgments: number; comparisons: number };
};

export type ProjectDetail = ProjectSummary & {
  settings: ProjectSettings;
  guidelines: string;
  guidelinesVersion: number;
  stats: (WinRateSummary & { judgments: number; items: number; itemsComplete: number }) | null;
  statsUpdatedAt: Date | null;
  canManage: boolean;
};

type CountedTable = 'prompts' | 'responses' | 'items' | 'judgments' | 'comparisons';
/** Correlated count; names are written out in full because drizzle leaves columns unqualified inside `sql`. */
const countOf = (name: CountedTable) =>
  sql<number>`(select count(*) from ${sql.raw(`"${name}"`)} where ${sql.raw(`"${name}"."project_id"`)} = "projects"."id")`.mapWith(Number);

function selectSummaries(actor: Actor) {
  const memberRole = actor.id
    ? sql<MemberRole | null>`(select pm.role from project_members pm where pm.project_id = "projects"."id" and pm.user_id = ${actor.id})`
    : sql<MemberRole | null>`null`;
  return db()
    .select({
      id: projects.id,
      name: projects.name,
      description: projects.description,
      isDemo: projects.isDemo,
      createdAt: projects.createdAt,
      memberRole,
      prompts: countOf('prompts'),
      responses: countOf('responses'),
      items: countOf('items'),
      judgments: countOf('judgments'),
      comparisons: countOf('comparisons'),
    })
    .from(projects);
}

type SummaryRow = Awaited<ReturnType<typeof selectSummaries>>[number];
function toSummary(r: SummaryRow): ProjectSummary {
  const { prompts: p, responses: r2, items: i, judgments: j, comparisons: c, ...rest } = r;
  return { ...rest, counts: { prompts: p, responses: r2, items: i, judgments: j, comparisons: c } };
}

/** Projects the actor may see: all for admins, their memberships for everyone else. */
export async function listProjectsForActor(actor: Actor): Promise<ProjectSummary[]> {
  const rows = await selectSummaries(actor).where(sql`${projects.archivedAt} is null`).orderBy(asc(projects.id));
  return rows.map(toSummary).filter((p) => canViewProject(actor, { memberRole: p.memberRole }));
}

/** One project, or AppError 'not-found' / 'forbidden' (a non-member is told "not found" so ids do not leak). */
export async function getProjectForActor(actor: Actor, projectId: number): Promise<ProjectDetail> {
  const [row] = await selectSummaries(actor).where(eq(projects.id, projectId)).limit(1);
  if (!row || !canViewProject(actor, { memberRole: row.memberRole })) throw new AppError('not-found', `project ${projectId} not found`);
  const extra = (await db().select().from(projects).where(eq(projects.id, projectId)).limit(1))[0]!;
  return {
    ...toSummary(row),
    settings: projectSettingsSchema.parse(extra.settings),
    guidelines: extra.guidelines,
    guidelinesVersion: extra.guidelinesVersion,
    stats: (extra.stats as ProjectDetail['stats']) ?? null,
    statsUpdatedAt: extra.statsUpdatedAt,
    canManage: canManageProject(actor, { memberRole: row.memberRole }),
  };
}

/** Throws unless the actor may manage the project (researcher member or admin). */
export async function assertCanManageProject(actor: Actor, projectId: number): Promise<void> {
  const project = await getProjectForActor(actor, projectId);
  if (!project.canManage) throw new AppError('forbidden', 'only researchers of this project can do that');
}

export async function createProject(actor: Actor, input: CreateProjectInput, options: { isDemo?: boolean } = {}): Promise<ProjectSummary> {
  if (!canCreateProjects(actor)) throw new AppError('forbidden', 'only researchers and admins can create projects');
  const data = createProjectSchema.parse(input);
  const id = await withWriteTransaction(async (tx) => {
    const [project] = await tx
      .insert(projects)
      .values({ name: data.name, description: data.description, settings: data.settings, guidelines: data.guidelines, isDemo: options.isDemo ?? false, createdBy: actor.id })
      .returning({ id: projects.id });
    await tx.insert(projectGuidelines).values({ projectId: project!.id, version: 1, markdown: data.guidelines });
    if (actor.id) await tx.insert(projectMembers).values({ projectId: project!.id, userId: actor.id, role: 'researcher' });
    return project!.id;
  });
  return toSummary((await selectSummaries(actor).where(eq(projects.id, id)).limit(1))[0]!);
}

export async function addProjectMember(projectId: number, userId: string, role: MemberRole): Promise<void> {
  const parsedRole = memberRoleSchema.parse(role);
  await withWriteTransaction(async (tx) => {
    if (!(await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, projectId)).limit(1)).length) throw new AppError('not-found', `project ${projectId} not found`);
    if (!(await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).limit(1)).length) throw new AppError('not-found', `user ${userId} not found`);
    await tx
      .insert(projectMembers)
      .values({ projectId, userId, role: parsedRole })
      .onConflictDoUpdate({ target: [projectMembers.projectId, projectMembers.userId], set: { role: parsedRole } });
  });
}

export type ProjectMember = { userId: string; name: string; email: string; role: MemberRole };

export async function listProjectMembers(projectId: number): Promise<ProjectMember[]> {
  return db()
    .select({ userId: users.id, name: users.name, email: users.email, role: projectMembers.role })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(and(eq(projectMembers.projectId, projectId), eq(users.isSimulated, false)))
    .orderBy(asc(users.name));
}

export async function countProjects(): Promise<number> {
  return (await db().select({ n: count() }).from(projects))[0]?.n ?? 0;
}

/** The demo project's id, if one exists. */
export async function findDemoProjectId(): Promise<number | undefined> {
  return (await db().select({ id: projects.id }).from(projects).where(eq(projects.isDemo, true)).orderBy(asc(projects.id)).limit(1))[0]?.id;
}

/** Adds (or re-roles) an existing user as a member, for a researcher of the project or an admin. */
export async function addProjectMemberByEmail(actor: Actor, projectId: number, input: { email: string; role: MemberRole }): Promise<ProjectMember> {
  await assertCanManageProject(actor, projectId);
  const email = emailSchema.parse(input.email);
  const role = memberRoleSchema.parse(input.role);
  const [user] = await db().select({ id: users.id, name: users.name, email: users.email, isSimulated: users.isSimulated }).from(users).where(eq(users.email, email)).limit(1);
  if (!user || user.isSimulated) throw new AppError('not-found', `no user with email ${email}; invite them first`);
  await addProjectMember(projectId, user.id, role);
  return { userId: user.id, name: user.name, email: user.email, role };
}

/**
 * Replaces a project's task settings. A new overlap applies to every non-gold item at once: items
 * with fewer judgments than the new overlap reopen, items that reach it close.
 */
export async function updateProjectSettings(actor: Actor, projectId: number, input: unknown): Promise<ProjectSettings> {
  await assertCanManageProject(actor, projectId);
  const settings = projectSettingsSchema.parse(input);
  await withWriteTransaction(async (tx) => {
    await tx.update(projects).set({ settings }).where(eq(projects.id, projectId));
    await tx
      .update(items)
      .set({
        requiredAnnotations: settings.overlap,
        status: sql`case when ${items.annotationCount} >= ${settings.overlap} then 'complete' else 'open' end`,
      })
      .where(and(eq(items.projectId, projectId), eq(items.isGold, false), ne(items.status, 'disabled')));
  });
  return settings;
}

/** Saves new guidelines as the next version (the history keeps every version; judgments record theirs). */
export async function updateGuidelines(actor: Actor, projectId: number, markdown: string): Promise<number> {
  await assertCanManageProject(actor, projectId);
  const text = createProjectSchema.shape.guidelines.parse(markdown);
  return withWriteTransaction(async (tx) => {
    const current = (await tx.select({ guidelines: projects.guidelines, version: projects.guidelinesVersion }).from(projects).where(eq(projects.id, projectId)).limit(1))[0]!;
    if (current.guidelines === text) return current.version;
    const version = current.version + 1;
    await tx.update(projects).set({ guidelines: text, guidelinesVersion: version }).where(eq(projects.id, projectId));
    await tx.insert(projectGuidelines).values({ projectId, version, markdown: text });
    return version;
  });
}

export type GuidelineVersion = { version: number; markdown: string; createdAt: Date };

export async function listGuidelineVersions(projectId: number): Promise<GuidelineVersion[]> {
  return db()
    .select({ version: projectGuidelines.version, markdown: projectGuidelines.markdown, createdAt: projectGuidelines.createdAt })
    .from(projectGuidelines)
    .where(eq(projectGuidelines.projectId, projectId))
    .orderBy(sql`${projectGuidelines.version} desc`);
}

/** A project's settings without an actor (workers). */
export async function getProjectSettings(projectId: number): Promise<ProjectSettings> {
  const [row] = await db().select({ settings: projects.settings }).from(projects).where(eq(projects.id, projectId)).limit(1);
  if (!row) throw new AppError('not-found', `project ${projectId} not found`);
  return projectSettingsSchema.parse(row.settings);
}
