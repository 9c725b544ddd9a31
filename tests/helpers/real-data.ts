import fs from 'node:fs';
import path from 'node:path';

/** The shared real-data folder beside the repository (never copied into it). */
export const REAL_DATA = path.resolve(process.cwd(), '..', 'shared', 'data', 'real');

export function readRealFile(...parts: string[]): string {
  const file = path.join(REAL_DATA, ...parts);
  if (!fs.existsSync(file)) throw new Error(`real data not found at ${file}: tests expect ../shared/data/real beside the repository`);
  return fs.readFileSync(file, 'utf8');
}

/** Simple CSV (no quoted fields; the caller checks). */
export function parsePlainCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n');
  if (text.includes('"')) throw new Error('quoted CSV fields are not supported by this helper');
  const names = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i]!, v])));
}
