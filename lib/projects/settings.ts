import { z } from 'zod';

/**
 * A project's task settings (stored as JSON on `projects.settings`). Every field has a default,
 * so `projectSettingsSchema.parse({})` is a valid pairwise project.
 */
export const ATTRIBUTE_NAME = /^[a-z][a-z0-9_]{0,39}$/;

export const projectSettingsSchema = z.object({
  /** Task kinds shown on one screen: pairwise, k-wise ranking, per-response ratings (may combine). */
  tasks: z
    .array(z.enum(['pairwise', 'ranking', 'rating']))
    .min(1, 'choose at least one task kind')
    .refine((t) => new Set(t).size === t.length, 'task kinds must not repeat')
    .default(['pairwise']),
  /** Responses per ranking item (3–9). */
  rankingSize: z.number().int().min(3).max(9).default(4),
  /** Annotations required per item. */
  overlap: z.number().int().min(1).max(20).default(1),
  strengthScale: z.enum(['off', '3', '7']).default('off'),
  justification: z.enum(['off', 'optional', 'required']).default('off'),
  /** Attributes rated 0–4 per response (HelpSteer2 style). */
  attributes: z
    .array(z.string().regex(ATTRIBUTE_NAME, 'attribute names are lower-case letters, digits and _'))
    .max(12)
    .default([]),
  /** Share of served items that are gold (known answer). */
  goldRate: z.number().min(0).max(0.5).default(0),
  /** Chance that a lease re-serves a pair the annotator already answered, sides flipped (self-consistency). */
  repeatRate: z.number().min(0).max(0.2).default(0),
  randomizeSides: z.boolean().default(true),
  assignmentOrder: z.enum(['least-annotated', 'random', 'fixed']).default('least-annotated'),
  /** Minutes an annotator holds an item before it returns to the pool. */
  leaseMinutes: z.number().int().min(1).max(24 * 60).default(30),
  /**
   * Active learning: after each fit of the matching kind, open items are served most-uncertain first —
   * by the ensemble's disagreement (std of its members' preference strengths) or the GPM's uncertainty (1 − |2p − 1|).
   */
  activeLearning: z.enum(['off', 'ensemble-disagreement', 'gpm-uncertainty']).default('off'),
});

export type ProjectSettings = z.infer<typeof projectSettingsSchema>;
export type ProjectSettingsInput = z.input<typeof projectSettingsSchema>;

export const DEFAULT_PROJECT_SETTINGS: ProjectSettings = projectSettingsSchema.parse({});

export const projectNameSchema = z
  .string()
  .trim()
  .min(1, 'name must not be empty')
  .max(120, 'name must be at most 120 characters');

export const createProjectSchema = z.object({
  name: projectNameSchema,
  description: z.string().trim().max(2000, 'description must be at most 2000 characters').default(''),
  settings: projectSettingsSchema.default(DEFAULT_PROJECT_SETTINGS),
  guidelines: z.string().max(100_000, 'guidelines must be at most 100000 characters').default(''),
});

export type CreateProjectInput = z.input<typeof createProjectSchema>;
