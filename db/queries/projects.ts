import { and, asc, count, eq, sql } from 'drizzle-orm';
import { canCreateProjects, canManageProject, canViewProject, type Actor } from '@/lib/auth/access';
import { AppError } from '@/lib/errors';
import { emailSchema, memberRoleSchema } from '@/lib/auth/schemas';
import { createProjectSchema, projectSettingsSchema, type CreateProjectInput, type ProjectSettings } from '@/lib/projects/settings';
import type { WinRateSummary } from '@/lib/stats/win-rates';
import type { MemberRole } from '@/lib/auth/roles';
import { projectGuidelines, projectMembers, projects, users } from '../schema';
import { getDb } from '../client';

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
  const db = getDb();
  const memberRole = actor.id
    ? sql<MemberRole | null>`(select pm.role from project_members pm where pm.project_id = "projects"."id" and pm.user_id = ${actor.id})`
    : sql<MemberRole | null>`null`;
  return db
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

type SummaryRow = Awaited<ReturnType<ReturnType<typeof selectSummaries>['all']>>[number];
function toSummary(r: SummaryRow): ProjectSummary {
  const { prompts: p, responses: r2, items: i, judgments: j, comparisons: c, ...rest } = r;
  return { ...rest, counts: { prompts: p, responses: r2, items: i, judgments: j, comparisons: c } };
}

/** Projects the actor may see: all for admins, their memberships for everyone else. */
export function listProjectsForActor(actor: Actor): ProjectSummary[] {
  const rows = selectSummaries(actor).where(sql`${projects.archivedAt} is null`).orderBy(asc(projects.id)).all();
  return rows.map(toSummary).filter((p) => canViewProject(actor, { memberRole: p.memberRole }));
}

/** One project, or AppError 'not-found' / 'forbidden' (a non-member is told "not found" so ids do not leak). */
export function getProjectForActor(actor: Actor, projectId: number): ProjectDetail {
  const row = selectSummaries(actor).where(eq(projects.id, projectId)).get();
  if (!row || !canViewProject(actor, { memberRole: row.memberRole })) throw new AppError('not-found', `project ${projectId} not found`);
  const extra = getDb().select().from(projects).where(eq(projects.id, projectId)).get()!;
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
export function assertCanManageProject(actor: Actor, projectId: number): void {
  const project = getProjectForActor(actor, projectId);
  if (!project.canManage) throw new AppError('forbidden', 'only researchers of this project can do that');
}

export function createProject(actor: Actor, input: CreateProjectInput, options: { isDemo?: boolean } = {}): ProjectSummary {
  if (!canCreateProjects(actor)) throw new AppError('forbidden', 'only researchers and admins can create projects');
  const data = createProjectSchema.parse(input);
  const db = getDb();
  const id = db.transaction((tx) => {
    const project = tx
      .insert(projects)
      .values({ name: data.name, description: data.description, settings: data.settings, guidelines: data.guidelines, isDemo: options.isDemo ?? false, createdBy: actor.id })
      .returning({ id: projects.id })
      .all()[0]!;
    tx.insert(projectGuidelines).values({ projectId: project.id, version: 1, markdown: data.guidelines }).run();
    if (actor.id) tx.insert(projectMembers).values({ projectId: project.id, userId: actor.id, role: 'researcher' }).run();
    return project.id;
  });
  return toSummary(selectSummaries(actor).where(eq(projects.id, id)).get()!);
}

export function addProjectMember(projectId: number, userId: string, role: MemberRole): void {
  const parsedRole = memberRoleSchema.parse(role);
  const db = getDb();
  if (!db.select({ id: projects.id }).from(projects).where(eq(projects.id, projectId)).get()) throw new AppError('not-found', `project ${projectId} not found`);
  if (!db.select({ id: users.id }).from(users).where(eq(users.id, userId)).get()) throw new AppError('not-found', `user ${userId} not found`);
  db.insert(projectMembers)
    .values({ projectId, userId, role: parsedRole })
    .onConflictDoUpdate({ target: [projectMembers.projectId, projectMembers.userId], set: { role: parsedRole } })
    .run();
}

export type ProjectMember = { userId: string; name: string; email: string; role: MemberRole };

export function listProjectMembers(projectId: number): ProjectMember[] {
  return getDb()
    .select({ userId: users.id, name: users.name, email: users.email, role: projectMembers.role })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(and(eq(projectMembers.projectId, projectId), eq(users.isSimulated, false)))
    .orderBy(asc(users.name))
    .all();
}

export function countProjects(): number {
  return getDb().select({ n: count() }).from(projects).get()?.n ?? 0;
}

/** The demo project's id, if one exists. */
export function findDemoProjectId(): number | undefined {
  return getDb().select({ id: projects.id }).from(projects).where(eq(projects.isDemo, true)).orderBy(asc(projects.id)).get()?.id;
}

/** Adds (or re-roles) an existing user as a member, for a researcher of the project or an admin. */
export function addProjectMemberByEmail(actor: Actor, projectId: number, input: { email: string; role: MemberRole }): ProjectMember {
  assertCanManageProject(actor, projectId);
  const email = emailSchema.parse(input.email);
  const role = memberRoleSchema.parse(input.role);
  const user = getDb().select({ id: users.id, name: users.name, email: users.email, isSimulated: users.isSimulated }).from(users).where(eq(users.email, email)).get();
  if (!user || user.isSimulated) throw new AppError('not-found', `no user with email ${email}; invite them first`);
  addProjectMember(projectId, user.id, role);
  return { userId: user.id, name: user.name, email: user.email, role };
}

/**
 * Replaces a project's task settings. A new overlap applies to every non-gold item at once: items
 * with fewer judgments than the new overlap reopen, items that reach it close.
 */
export function updateProjectSettings(actor: Actor, projectId: number, input: unknown): ProjectSettings {
  assertCanManageProject(actor, projectId);
  const settings = projectSettingsSchema.parse(input);
  const db = getDb();
  db.transaction((tx) => {
    tx.update(projects).set({ settings }).where(eq(projects.id, projectId)).run();
    tx.run(
      sql`update items set required_annotations = ${settings.overlap},
            status = case when annotation_count >= ${settings.overlap} then 'complete' else 'open' end
          where project_id = ${projectId} and is_gold = 0 and status != 'disabled'`,
    );
  });
  return settings;
}

/** Saves new guidelines as the next version (the history keeps every version; judgments record theirs). */
export function updateGuidelines(actor: Actor, projectId: number, markdown: string): number {
  assertCanManageProject(actor, projectId);
  const text = createProjectSchema.shape.guidelines.parse(markdown);
  const db = getDb();
  return db.transaction((tx) => {
    const current = tx.select({ guidelines: projects.guidelines, version: projects.guidelinesVersion }).from(projects).where(eq(projects.id, projectId)).get()!;
    if (current.guidelines === text) return current.version;
    const version = current.version + 1;
    tx.update(projects).set({ guidelines: text, guidelinesVersion: version }).where(eq(projects.id, projectId)).run();
    tx.insert(projectGuidelines).values({ projectId, version, markdown: text }).run();
    return version;
  });
}

export type GuidelineVersion = { version: number; markdown: string; createdAt: Date };

export function listGuidelineVersions(projectId: number): GuidelineVersion[] {
  return getDb()
    .select({ version: projectGuidelines.version, markdown: projectGuidelines.markdown, createdAt: projectGuidelines.createdAt })
    .from(projectGuidelines)
    .where(eq(projectGuidelines.projectId, projectId))
    .orderBy(sql`${projectGuidelines.version} desc`)
    .all();
}

/** A project's settings without an actor (workers). */
export function getProjectSettings(projectId: number): ProjectSettings {
  const row = getDb().select({ settings: projects.settings }).from(projects).where(eq(projects.id, projectId)).get();
  if (!row) throw new AppError('not-found', `project ${projectId} not found`);
  return projectSettingsSchema.parse(row.settings);
}
