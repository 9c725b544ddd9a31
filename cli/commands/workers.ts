import { listWorkers, type WorkerView } from '@/db/queries/workers';
import { emit, table, type CliIO, type Command } from '../context';

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s ago`;

function workerTable(workers: WorkerView[]): string {
  return table(
    workers.map((w) => ({ ...w, kinds: w.kinds?.join(',') ?? 'all', job: w.currentJobId ?? '', seen: seconds(w.lastSeenMs), gpu: w.gpu ?? '' })),
    ['id', 'state', 'kinds', 'job', 'backend', 'gpu', 'version', 'seen'],
  );
}

async function printWorkers(io: CliIO): Promise<void> {
  const workers = await listWorkers();
  emit(io, workers, workerTable(workers));
}

export const workerCommands: Command[] = [
  {
    name: 'workers',
    usage: 'workers [--watch] [--json]',
    summary: 'the workers registered on this database: host:pid, live/unresponsive/stopped, kinds, job, backend (--watch refreshes every 2 s)',
    options: { watch: { type: 'boolean' } },
    run: async ({ values }, io) => {
      if (!values.watch || io.json) return printWorkers(io);
      for (;;) {
        // Clear the screen and redraw, as `watch` does, until Ctrl-C.
        io.out(`\x1b[2J\x1b[H${new Date().toISOString()}  arbiter workers --watch\n`);
        await printWorkers(io);
        await new Promise((r) => setTimeout(r, 2000));
      }
    },
  },
];
