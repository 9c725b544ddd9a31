/**
 * Bradley–Terry leaderboard speed, side by side with Chatbot Arena's own method in Python
 * (bench/peers/arena_bt.py: numpy + scipy L-BFGS-B, bootstrap in a multiprocessing Pool).
 * Data: 1,000,000 battles among 100 systems (seeded), 100 bootstrap rounds. Reports medians over
 * repeats, the speed ratio, and the largest difference between the two point estimates.
 *   apt-get install -y python3-scipy       (Debian's numpy + scipy; run with /usr/bin/python3)
 *   node --import tsx bench/bradley-terry.ts [--battles 1000000] [--systems 100] [--rounds 100] [--repeats 5]
 * The peer's process has OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (they slow numpy on some CPUs).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRng } from '@/lib/random';
import { collapseBattles, type BattleTable } from '@/lib/stats/battles';
import { bradleyTerryLeaderboard, bradleyTerryLeaderboardSplit } from '@/lib/stats/bt-leaderboard';
import { runBtRoundsInThread, stopStatsThread, warmStatsThread } from '@/lib/threads/stats-pool';
import { peerEnv, type PeerBlas } from './lib/peer-blas';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const BATTLES = arg('battles', 1_000_000);
const SYSTEMS = arg('systems', 100);
const ROUNDS = arg('rounds', 100);
const REPEATS = arg('repeats', 5);
const OUT = path.join('bench', 'out', 'bt');

function generate(): BattleTable {
  const rng = createRng(2024);
  const strength = Array.from({ length: SYSTEMS }, () => rng.normal() * 0.35);
  const table: BattleTable = { systems: strength.map((_, i) => `system-${i}`), a: new Uint32Array(BATTLES), b: new Uint32Array(BATTLES), y: new Float64Array(BATTLES) };
  for (let n = 0; n < BATTLES; n++) {
    const i = rng.int(0, SYSTEMS - 1);
    const j = (i + rng.int(1, SYSTEMS - 1)) % SYSTEMS;
    const p = 1 / (1 + 10 ** -(strength[i]! - strength[j]!));
    const u = rng.next();
    table.a[n] = i;
    table.b[n] = j;
    table.y[n] = u < 0.25 ? 0.5 : u < 0.25 + 0.75 * p ? 1 : 0;
  }
  return table;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const table = generate();
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(path.join(OUT, 'a.bin'), Buffer.from(Int32Array.from(table.a).buffer));
fs.writeFileSync(path.join(OUT, 'b.bin'), Buffer.from(Int32Array.from(table.b).buffer));
fs.writeFileSync(path.join(OUT, 'y.bin'), Buffer.from(table.y.buffer));

// Warm-up (JIT; the statistics thread is started once per process, as a job worker keeps it), then
// timed repeats of the whole path: collapse the battles, point fit, bootstrap — on two threads (the
// peer uses a 2-process Pool) and, for reference, on one.
await warmStatsThread();
for (let r = 0; r < 2; r++) await bradleyTerryLeaderboardSplit(collapseBattles(table), { rounds: 20 }, runBtRoundsInThread);
bradleyTerryLeaderboard(collapseBattles(table), { rounds: 20 });
const ours: number[] = [];
const oursOneThread: number[] = [];
let board = bradleyTerryLeaderboard(collapseBattles(table), { rounds: 1 });
for (let r = 0; r < REPEATS; r++) {
  let t = performance.now();
  board = await bradleyTerryLeaderboardSplit(collapseBattles(table), { rounds: ROUNDS, seed: 0 }, runBtRoundsInThread);
  ours.push((performance.now() - t) / 1000);
  t = performance.now();
  const sequential = bradleyTerryLeaderboard(collapseBattles(table), { rounds: ROUNDS, seed: 0 });
  oursOneThread.push((performance.now() - t) / 1000);
  if (JSON.stringify(sequential.rows) !== JSON.stringify(board.rows)) throw new Error('two-thread and one-thread leaderboards differ');
}
await stopStatsThread();

const peer: number[] = [];
let peerResult: { ratings: number[]; ratings_tight: number[]; lower: number[]; upper: number[]; seconds: Record<string, number>; cells: number; processes: number; blas: PeerBlas } | undefined;
for (let r = 0; r < REPEATS; r++) {
  const run = spawnSync('/usr/bin/python3', ['bench/peers/arena_bt.py', OUT, String(SYSTEMS), String(ROUNDS)], { env: peerEnv(), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`peer failed (is python3-scipy installed?):\n${run.stderr}`);
  peerResult = JSON.parse(run.stdout) as NonNullable<typeof peerResult>;
  peer.push(peerResult.seconds.total!);
}

let maxDiff = 0;
for (const row of board.rows) {
  const k = Number(row.system.slice('system-'.length));
  maxDiff = Math.max(maxDiff, Math.abs(row.rating - peerResult!.ratings[k]!));
}
let maxTightDiff = 0;
for (const row of board.rows) {
  const k = Number(row.system.slice('system-'.length));
  maxTightDiff = Math.max(maxTightDiff, Math.abs(row.rating - peerResult!.ratings_tight[k]!));
}
let maxCiDiff = 0;
for (const row of board.rows) {
  const k = Number(row.system.slice('system-'.length));
  maxCiDiff = Math.max(maxCiDiff, Math.abs(row.lower - peerResult!.lower[k]!), Math.abs(row.upper - peerResult!.upper[k]!));
}
const result = {
  date: new Date().toISOString(),
  battles: BATTLES,
  systems: SYSTEMS,
  rounds: ROUNDS,
  repeats: REPEATS,
  oursSeconds: { median: median(ours), all: ours, threads: 2 },
  oursOneThreadSeconds: { median: median(oursOneThread), all: oursOneThread },
  peerSeconds: { median: median(peer), all: peer, lastBreakdown: peerResult!.seconds, processes: peerResult!.processes },
  peerBlas: peerResult!.blas,
  speedup: median(peer) / median(ours),
  speedupOneThread: median(peer) / median(oursOneThread),
  cells: peerResult!.cells,
  /** Against Arena's own settings (L-BFGS-B, maxiter 100, gtol 1e-6: it stops on scipy's ftol first). */
  maxPointRatingDifference: maxDiff,
  /** Against scipy run to convergence (gtol 1e-12, ftol 1e-16): both are then the same MLE. */
  maxPointRatingDifferenceConverged: maxTightDiff,
  /** Different random streams: intervals agree statistically, not digit for digit. */
  maxIntervalBoundDifference: maxCiDiff,
  degenerateRounds: board.degenerateRounds,
};
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync('bench/results/bradley-terry.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
