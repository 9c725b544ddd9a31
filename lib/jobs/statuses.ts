/** queued → running → succeeded | failed (after the last attempt); cancel: queued → cancelled, running → cancelling → cancelled. */
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelling', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** The statuses a job ends in (the Jobs page and `jobs --wait` stop following it there). */
export const FINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
