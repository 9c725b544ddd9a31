import type { z } from 'zod';

/** A job kind: its name, payload schema and retry policy. Handlers live in workers/handlers. */
export type JobDefinition<K extends string = string, S extends z.ZodType = z.ZodType> = {
  kind: K;
  /** One line for the Jobs page and the CLI. */
  title: string;
  payload: S;
  maxAttempts: number;
  /** Higher runs sooner. */
  priority: number;
};

export function defineJob<K extends string, S extends z.ZodType>(
  definition: Omit<JobDefinition<K, S>, 'maxAttempts' | 'priority'> & { maxAttempts?: number; priority?: number },
): JobDefinition<K, S> {
  return { maxAttempts: 3, priority: 0, ...definition };
}
