import { z } from 'zod';
import { JOB_STATUSES } from '@/lib/jobs/statuses';

export const idParamsSchema = z.object({ id: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').positive('must be a positive id') });

export const jobsQuerySchema = z.object({
  project: z.coerce.number().int().positive().optional(),
  status: z.enum(JOB_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export function queryObject(request: Request): Record<string, string> {
  return Object.fromEntries(new URL(request.url).searchParams.entries());
}

const positiveId = (name: string) => z.coerce.number({ message: `${name} must be a number` }).int(`${name} must be a whole number`).positive(`${name} must be a positive id`);
export const assignmentParamsSchema = idParamsSchema.extend({ assignmentId: positiveId('assignmentId') });
export const itemParamsSchema = idParamsSchema.extend({ itemId: positiveId('itemId') });
export const judgmentParamsSchema = idParamsSchema.extend({ judgmentId: z.uuid('judgmentId must be a UUID') });
/** A job under a resource: /projects/:id/exports/:jobId, /reward-models/:id/scores/:jobId. */
export const jobParamsSchema = idParamsSchema.extend({ jobId: positiveId('jobId') });
