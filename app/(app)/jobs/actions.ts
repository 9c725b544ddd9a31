'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { cancelJobForActor } from '@/db/queries/jobs';
import { runAction, type ActionResult } from '@/app/_lib/action';

export async function cancelJobAction(input: { jobId: number }): Promise<ActionResult<{ status: string }>> {
  return runAction(z.object({ jobId: z.number().int().positive() }), input, async (data, actor) => {
    const job = await cancelJobForActor(actor, data.jobId);
    revalidatePath(`/jobs/${job.id}`);
    return { status: job.status };
  });
}
