/** CLI: moving an install between databases. */
import { databasePath } from '@/lib/env';
import { isPostgres } from '@/db/dialect';
import { copyDatabase } from '@/db/copy';
import { AppError } from '@/lib/errors';
import { emit, requireValue, type Command } from '../context';

export const dbCommands: Command[] = [
  {
    name: 'db copy',
    usage: 'db copy --to <postgres://…> [--from <arbiter.db>] [--json]',
    summary:
      'copy this SQLite install (every table, ids kept) into an empty PostgreSQL database, verified by row counts and a checksum per table before it commits; stop the server and workers first',
    options: { to: { type: 'string' }, from: { type: 'string' } },
    run: async ({ values }, io) => {
      if (isPostgres) throw new AppError('usage', 'db copy reads the SQLite database: run it with ARBITER_DATABASE_URL unset (the target goes in --to)');
      const from = typeof values.from === 'string' ? values.from : databasePath();
      const report = await copyDatabase(from, requireValue(values, 'to'), (t) => {
        if (!io.json) io.out(`  ${t.table.padEnd(20)} ${String(t.rows).padStart(10)} rows  checksum ${t.checksum}  verified`);
      });
      emit(io, report, `copied ${report.rows} rows in ${report.tables.length} tables from ${from} to ${report.to} in ${report.seconds.toFixed(1)} s; every table verified`);
    },
  },
];
