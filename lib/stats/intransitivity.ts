/**
 * Intransitivity: among triads of responses whose three pairs all have a clear direction, the share
 * that form a cycle (a ≻ b ≻ c ≻ a). Fed one annotator's answers it is that annotator's cycle rate;
 * fed everyone's votes it finds majority 3-cycles (a pair's direction is its majority; a tied vote
 * leaves the pair undecided). A high rate says BT's transitive scale misfits — a case for GPM.
 */
export type PreferenceEdge = { winner: number; loser: number };
export type TriadReport = { triads: number; cyclic: number; rate: number; cycles: [number, number, number][] };

export function triadCycles(edges: readonly PreferenceEdge[], maxCyclesListed = 20): TriadReport {
  // net[u][v] > 0: u preferred to v by a majority.
  const net = new Map<number, Map<number, number>>();
  const add = (u: number, v: number, d: number) => {
    let row = net.get(u);
    if (!row) net.set(u, (row = new Map()));
    row.set(v, (row.get(v) ?? 0) + d);
  };
  for (const e of edges) {
    if (e.winner === e.loser) continue;
    add(e.winner, e.loser, 1);
    add(e.loser, e.winner, -1);
  }
  const beats = (u: number, v: number) => (net.get(u)?.get(v) ?? 0) > 0;
  const decided = (u: number, v: number) => (net.get(u)?.get(v) ?? 0) !== 0;
  let triads = 0;
  let cyclic = 0;
  const cycles: [number, number, number][] = [];
  const nodes = [...net.keys()].sort((x, y) => x - y);
  for (const u of nodes) {
    const neighbours = [...net.get(u)!.keys()].filter((v) => v > u && decided(u, v)).sort((x, y) => x - y);
    for (let a = 0; a < neighbours.length; a++) {
      for (let b = a + 1; b < neighbours.length; b++) {
        const v = neighbours[a]!;
        const w = neighbours[b]!;
        if (!decided(v, w)) continue;
        triads++;
        const forward = beats(u, v) && beats(v, w) && beats(w, u);
        const backward = beats(v, u) && beats(w, v) && beats(u, w);
        if (forward || backward) {
          cyclic++;
          if (cycles.length < maxCyclesListed) cycles.push(forward ? [u, v, w] : [u, w, v]);
        }
      }
    }
  }
  return { triads, cyclic, rate: triads === 0 ? Number.NaN : cyclic / triads, cycles };
}
