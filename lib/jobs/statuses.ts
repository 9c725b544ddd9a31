/** queued → running → succeeded | failed (after the last attempt); cancel: queued → cancelled, running → cancelling → cancelled. */
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelling', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
