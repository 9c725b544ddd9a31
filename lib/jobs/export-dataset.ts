import { z } from 'zod';
import { exportSettingsSchema } from '@/lib/data/export-settings';
import { defineJob } from './define-job';

/** Writes a trainer-ready export of a project into the data directory, for download as a zip. */
export const exportDatasetJob = defineJob({
  kind: 'export-dataset',
  title: 'Export dataset',
  payload: exportSettingsSchema.extend({ projectId: z.number().int().positive() }),
  maxAttempts: 2,
  priority: 1,
});
