/** CLI: online backup of the database, and restore from one. */
import { backupDatabase, restoreDatabase } from '@/db/backup';
import { AppError } from '@/lib/errors';
import { emit, requireValue, type Command } from '../context';

// A file that is not an intact Arbiter backup (or one that would be overwritten) is an AppError 'bad-file': exit 2.
export const backupCommands: Command[] = [
  {
    name: 'backup',
    usage: 'backup --out <file> [--force] [--json]',
    summary: 'copy the database while Arbiter runs (SQLite online backup checked with PRAGMA integrity_check; on PostgreSQL pg_dump, checked with pg_restore --list); models/ and exports/ are plain files beside it',
    options: { out: { type: 'string' }, force: { type: 'boolean' } },
    run: async ({ values }, io) => {
      const r = await backupDatabase(requireValue(values, 'out'), { force: values.force === true });
      emit(io, r, `backed up ${r.projects} projects and ${r.comparisons} comparisons to ${r.file} (${(r.bytes / 2 ** 20).toFixed(1)} MiB, checked)`);
    },
  },
  {
    name: 'restore',
    usage: 'restore --from <file> --yes [--json]',
    summary: 'replace the database with a backup (checked first; nothing changes if it is not an intact Arbiter database)',
    options: { from: { type: 'string' }, yes: { type: 'boolean' } },
    run: async ({ values }, io) => {
      const from = requireValue(values, 'from');
      if (values.yes !== true) throw new AppError('usage', 'restore replaces every project, user and judgment with the backup’s: pass --yes to confirm');
      const r = await restoreDatabase(from);
      emit(io, r, `restored ${r.projects} projects and ${r.comparisons} comparisons from ${from}`);
    },
  },
];
