/**
 * Runs benchmarks of this checkout and of an earlier one alternately (before, after, before, after, …),
 * so both see the same machine conditions, and records every run and the medians side by side in
 * bench/results/before-after.json. Used for issue 15's rule that the async data layer slows no benchmark
 * by more than 10%: annotation lease/submit, the 1M import and export, the queue.
 *
 *   git worktree add /tmp/before <commit> && ln -s "$PWD/node_modules" /tmp/before/node_modules
 *   node --import tsx bench/before-after.ts --before /tmp/before [--rounds 3] [--benches annotation,queue,import]
 *
 * Each bench writes its own bench/results/<name>.json in the checkout it runs in; this script reads it
 * after each run and puts back this checkout's copy at the end.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { before: { type: 'string' }, rounds: { type: 'string', default: '3' }, benches: { type: 'string', default: 'annotation,queue,import' } } });
if (!values.before) throw new Error('--before <directory of the earlier checkout> is required');
const before = path.resolve(values.before);
const after = process.cwd();
const rounds = Number(values.rounds);
const benches = values.benches.split(',');

/** The figures compared for each bench, from its results file; `higher` marks rates (higher is better). */
const FIGURES: Record<string, { name: string; pick: (r: Record<string, unknown>) => number; higher?: boolean }[]> = {
  annotation: [
    { name: 'lease p50 ms', pick: (r) => (r.oneProcess as { leaseMs: { p50: number } }).leaseMs.p50 },
    { name: 'lease p99 ms', pick: (r) => (r.oneProcess as { leaseMs: { p99: number } }).leaseMs.p99 },
    { name: 'submit p50 ms', pick: (r) => (r.oneProcess as { submitMs: { p50: number } }).submitMs.p50 },
    { name: 'submit p99 ms', pick: (r) => (r.oneProcess as { submitMs: { p99: number } }).submitMs.p99 },
    { name: 'progress p50 ms', pick: (r) => (r.oneProcess as { progressMs: { p50: number } }).progressMs.p50 },
    { name: 'lease+submit/s, one process', pick: (r) => (r.oneProcess as { perSecond: number }).perSecond, higher: true },
    { name: 'lease+submit/s, three processes', pick: (r) => (r.threeProcesses as { perSecond: number }).perSecond, higher: true },
    { name: 'candidates added/s', pick: (r) => r.addCandidatesPerSecond as number, higher: true },
  ],
  queue: [
    { name: 'enqueues/s', pick: (r) => r.enqueuePerSecond as number, higher: true },
    { name: 'claim+complete/s, 1 worker', pick: (r) => r.claimAndCompletePerSecond_1worker as number, higher: true },
    { name: 'claim+complete/s, 2 workers', pick: (r) => r.claimAndCompletePerSecond_2worker as number, higher: true },
  ],
  import: [
    { name: 'import 1M s', pick: (r) => r.importSeconds as number },
    { name: 'import write lock s', pick: (r) => r.writeLockSeconds as number },
    { name: 'export 1M s', pick: (r) => r.exportSeconds as number },
    { name: 'import peak RSS MiB', pick: (r) => r.peakRssMiB as number },
    { name: 'export peak RSS MiB', pick: (r) => r.exportPeakRssMiB as number },
  ],
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const saved = new Map(benches.map((b) => [b, fs.readFileSync(path.join(after, 'bench/results', `${b}.json`), 'utf8')]));
const runs: Record<string, Record<'before' | 'after', Record<string, number>[]>> = {};
try {
  for (let round = 1; round <= rounds; round++) {
    for (const bench of benches) {
      for (const [side, dir] of [['before', before], ['after', after]] as const) {
        console.log(`round ${round}: ${bench} (${side})`);
        execFileSync(process.execPath, ['--import', 'tsx', `bench/${bench}.ts`], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
        const result = JSON.parse(fs.readFileSync(path.join(dir, 'bench/results', `${bench}.json`), 'utf8')) as Record<string, unknown>;
        const figures = Object.fromEntries(FIGURES[bench]!.map((f) => [f.name, f.pick(result)]));
        ((runs[bench] ??= { before: [], after: [] })[side]).push(figures);
        console.log(`  ${JSON.stringify(figures)}`);
      }
    }
  }
} finally {
  for (const [bench, content] of saved) fs.writeFileSync(path.join(after, 'bench/results', `${bench}.json`), content);
}

const commitOf = (dir: string) => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
const summary = Object.fromEntries(
  benches.map((bench) => [
    bench,
    Object.fromEntries(
      FIGURES[bench]!.map((f) => {
        const b = median(runs[bench]!.before.map((r) => r[f.name]!));
        const a = median(runs[bench]!.after.map((r) => r[f.name]!));
        // Positive = slower (more time, or a lower rate).
        const slowerPercent = Math.round(((f.higher ? b / a : a / b) - 1) * 1000) / 10;
        return [f.name, { before: b, after: a, slowerPercent }];
      }),
    ),
  ]),
);
const out = { date: new Date().toISOString(), beforeCommit: commitOf(before), afterCommit: `${commitOf(after)} + working tree`, rounds, note: 'medians of alternating runs on one machine; slowerPercent > 0 means the after side is slower', summary, runs };
fs.writeFileSync(path.join(after, 'bench/results/before-after.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify(summary, null, 2));
