'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { enqueueProjectJob } from '@/db/queries/jobs';
import { setGoldAnswer } from '@/db/queries/annotation-admin';
import { addProjectMemberByEmail, createProject, updateGuidelines, updateProjectSettings } from '@/db/queries/projects';
import { emailSchema, memberRoleSchema } from '@/lib/auth/schemas';
import { LEADERBOARD_METHODS } from '@/lib/jobs/compute-leaderboard';
import { projectNameSchema } from '@/lib/projects/settings';
import { runAction, type ActionResult } from '@/app/_lib/action';

const createProjectFormSchema = z.object({
  name: projectNameSchema,
  description: z.string().trim().max(2000, 'description must be at most 2000 characters').default(''),
  overlap: z.coerce.number().int('overlap must be a whole number').min(1, 'overlap must be at least 1').max(20, 'overlap must be at most 20').default(1),
});

export async function createProjectAction(input: { name: string; description: string; overlap: string }): Promise<ActionResult<{ id: number }>> {
  return runAction(createProjectFormSchema, input, async (data, actor) => {
    const project = await createProject(actor, { name: data.name, description: data.description, settings: { overlap: data.overlap } });
    revalidatePath('/projects');
    return { id: project.id };
  });
}

export async function startRecomputeStats(input: { projectId: number }): Promise<ActionResult<{ jobId: number }>> {
  return runAction(z.object({ projectId: z.number().int().positive() }), input, async (data, actor) => {
    const job = await enqueueProjectJob(actor, 'recompute-stats', { projectId: data.projectId });
    revalidatePath('/jobs');
    return { jobId: job.id };
  });
}

const addMemberSchema = z.object({ projectId: z.coerce.number().int().positive(), email: emailSchema, role: memberRoleSchema });

export async function addMemberAction(input: { projectId: number; email: string; role: string }): Promise<ActionResult<{ email: string }>> {
  return runAction(addMemberSchema, input, async (data, actor) => {
    const member = await addProjectMemberByEmail(actor, data.projectId, data);
    revalidatePath(`/projects/${data.projectId}`);
    return { email: member.email };
  });
}

const computeLeaderboardSchema = z.object({
  projectId: z.coerce.number().int().positive(),
  method: z.enum(LEADERBOARD_METHODS, { message: 'method must be bt, style, davidson, rao-kupper, pl or elo' }),
  rounds: z.coerce.number().int('rounds must be a whole number').min(0, 'rounds must be at least 0').max(2000, 'rounds must be at most 2000'),
  seed: z.coerce.number().int('seed must be a whole number').min(0, 'seed must be at least 0'),
});

export async function computeLeaderboardAction(input: { projectId: number; method: string; rounds: string; seed: string }): Promise<ActionResult<{ jobId: number }>> {
  return runAction(computeLeaderboardSchema, input, async (data, actor) => {
    const job = await enqueueProjectJob(actor, 'compute-leaderboard', data);
    revalidatePath('/jobs');
    return { jobId: job.id };
  });
}

const goldFormSchema = z.object({
  projectId: z.number().int().positive(),
  itemId: z.number().int().positive(),
  answer: z.enum(['a', 'b', 'tie', 'both_bad', 'none']),
});

/** Marks a pair item as gold (canonical winner) or clears it. */
export async function setGoldAction(input: { projectId: number; itemId: number; answer: string }): Promise<ActionResult<undefined>> {
  return runAction(goldFormSchema, input, async (data, actor) => {
    await setGoldAnswer(actor, data.projectId, data.itemId, data.answer === 'none' ? null : { winner: data.answer });
    revalidatePath(`/projects/${data.projectId}/annotation`);
    return undefined;
  });
}

/** Task settings from the settings form (strings from inputs → the settings schema). */
const settingsFormSchema = z.object({
  projectId: z.number().int().positive(),
  tasks: z.array(z.enum(['pairwise', 'ranking', 'rating'])),
  rankingSize: z.coerce.number(),
  overlap: z.coerce.number(),
  strengthScale: z.enum(['off', '3', '7']),
  justification: z.enum(['off', 'optional', 'required']),
  attributes: z.string(),
  goldRatePercent: z.coerce.number(),
  repeatRatePercent: z.coerce.number(),
  randomizeSides: z.boolean(),
  assignmentOrder: z.enum(['least-annotated', 'random', 'fixed']),
  leaseMinutes: z.coerce.number(),
  activeLearning: z.enum(['off', 'ensemble-disagreement', 'gpm-uncertainty']).default('off'),
});

export async function updateSettingsAction(input: z.input<typeof settingsFormSchema>): Promise<ActionResult<undefined>> {
  return runAction(settingsFormSchema, input, async (data, actor) => {
    const { projectId, goldRatePercent, repeatRatePercent, attributes, ...rest } = data;
    await updateProjectSettings(actor, projectId, {
      ...rest,
      goldRate: goldRatePercent / 100,
      repeatRate: repeatRatePercent / 100,
      attributes: attributes
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    });
    revalidatePath(`/projects/${projectId}`);
    return undefined;
  });
}

export async function updateGuidelinesAction(input: { projectId: number; markdown: string }): Promise<ActionResult<{ version: number }>> {
  return runAction(z.object({ projectId: z.number().int().positive(), markdown: z.string() }), input, async (data, actor) => {
    const version = await updateGuidelines(actor, data.projectId, data.markdown);
    revalidatePath(`/projects/${data.projectId}`);
    return { version };
  });
}
