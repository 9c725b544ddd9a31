import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { AppError, formatZodIssues } from '@/lib/errors';

export type CliIO = { json: boolean; out: (text: string) => void };

export type Command = {
  /** e.g. 'project create' */
  name: string;
  usage: string;
  summary: string;
  options?: ParseArgsConfig['options'];
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }, io: CliIO): Promise<unknown> | unknown;
};

export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    throw new AppError('usage', `${error instanceof Error ? error.message : String(error)}\nusage: arbiter ${command.usage}`);
  }
}

/** Parses one option or positional with zod, naming it in the error. */
export function parseValue<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AppError('usage', `${name}: ${formatZodIssues(parsed.error).reason}`);
  return parsed.data;
}

export const idSchema = z.coerce.number({ message: 'must be a number' }).int('must be a whole number').positive('must be a positive id');

export function requireValue(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.length === 0) throw new AppError('usage', `--${name} is required`);
  return v;
}

/** Prints `value` as JSON when --json, else the human text. */
export function emit(io: CliIO, value: unknown, text: string): void {
  io.out(io.json ? JSON.stringify(value, null, 2) : text);
}

export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}
