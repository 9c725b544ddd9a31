/** Dispatches `arbiter <command> …` to the command table; turns every expected error into one line and an exit code. */
import { ZodError } from 'zod';
import { closeDb, openDatabase } from '@/db/client';
import { AppError, describeStorageError, ERROR_CODES, formatZodIssues } from '@/lib/errors';
import { stopStatsThread } from '@/lib/threads/stats-pool';
import { exportCommands } from './commands/export';
import { modelCommands } from './commands/models';
import { alignCommands } from './commands/align';
import { backupCommands } from './commands/backup';
import { dbCommands } from './commands/db';
import { importCommands } from './commands/import';
import { itemCommands } from './commands/items';
import { jobCommands } from './commands/jobs';
import { workerCommands } from './commands/workers';
import { leaderboardCommands } from './commands/leaderboard';
import { qualityCommands } from './commands/quality';
import { projectCommands } from './commands/project';
import { userCommands } from './commands/user';
import { parseCommandArgs, type Command } from './context';
import { getEnv } from '@/lib/env';

export const COMMANDS: Command[] = [...projectCommands, ...userCommands, ...jobCommands, ...workerCommands, ...itemCommands, ...importCommands, ...exportCommands, ...leaderboardCommands, ...qualityCommands, ...modelCommands, ...alignCommands, ...backupCommands, ...dbCommands];

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return ['usage: arbiter <command> [options]   (npm run cli -- <command>)', '', ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`), '', 'Every command takes --json for machine-readable output.'].join('\n');
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  const words = argv.slice(0, 2).join(' ');
  const command = COMMANDS.find((c) => words === c.name || words.startsWith(`${c.name} `));
  return command ? { command, rest: argv.slice(command.name.split(' ').length) } : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof ZodError) return formatZodIssues(error, 'input').message;
  const storage = describeStorageError(error);
  if (storage) return storage.message;
  return error instanceof Error ? error.message : String(error);
}

/** The exit code of a failed command (lib/errors.ts has the table): 2 for a bad command line or file, 1 for a refused operation or a bug. */
function exitCodeOf(error: unknown): number {
  if (error instanceof ZodError) return ERROR_CODES.usage.exit;
  return error instanceof AppError ? error.exitCode : 1;
}

/** Returns the exit code. */
export async function runCli(argv: string[], out: (text: string) => void = console.log, err: (text: string) => void = console.error): Promise<number> {
  const json = argv.includes('--json');
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    out(helpText());
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv);
  try {
    if (!found) throw new AppError('usage', `unknown command '${argv.slice(0, 2).join(' ')}'\n\n${helpText()}`);
    const args = parseCommandArgs(found.command, found.rest);
    if (args.values.help) {
      out(`usage: arbiter ${found.command.usage}\n${found.command.summary}`);
      return 0;
    }
    await openDatabase(); // migrate before any command
    await found.command.run(args, { json, out });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const message = messageOf(error);
    err(json ? JSON.stringify({ error: message }) : `error: ${message}`);
    if (getEnv().ARBITER_DEBUG && error instanceof Error) err(error.stack ?? '');
    return exitCodeOf(error);
  } finally {
    await closeDb();
    await stopStatsThread();
  }
}
