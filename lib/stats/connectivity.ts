/**
 * Does a finite Bradley–Terry MLE exist? Only if every system can be reached from every other along
 * "scored against" edges (Ford 1957): the directed graph i → j when i took any score (a win or half a
 * tie) from j must be strongly connected. Otherwise the estimate diverges and we say why.
 */
export type ConnectivityReport = {
  ok: boolean;
  /** Groups of systems never compared across (undirected components), when more than one. */
  components: string[][];
  neverWins: string[];
  neverLoses: string[];
  message: string | null;
};

function stronglyConnectedCount(m: number, edge: (i: number, j: number) => boolean): number {
  // Kosaraju on a dense graph (m is the number of systems: hundreds at most).
  const seen = new Uint8Array(m);
  const order: number[] = [];
  const visit = (start: number, forward: boolean, out: number[]) => {
    const stack: [number, number][] = [[start, 0]];
    seen[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [v, next] = top;
      let j = next;
      while (j < m && (seen[j] || !(forward ? edge(v, j) : edge(j, v)))) j++;
      if (j < m) {
        top[1] = j + 1;
        seen[j] = 1;
        stack.push([j, 0]);
      } else {
        stack.pop();
        out.push(v);
      }
    }
  };
  for (let v = 0; v < m; v++) if (!seen[v]) visit(v, true, order);
  seen.fill(0);
  let count = 0;
  for (let k = order.length - 1; k >= 0; k--) {
    const v = order[k]!;
    if (!seen[v]) {
      visit(v, false, []);
      count++;
    }
  }
  return count;
}

/** Pairs that met: battles n and i's score s against j (ties count ½), for i < j. */
export type ScoredPairs = { i: Uint32Array; j: Uint32Array; n: Float64Array; s: Float64Array };

export function checkConnectivity(systems: string[], pairs: ScoredPairs): ConnectivityReport {
  const m = systems.length;
  // Dense n and score (both directions): m is at most a few hundred.
  const n = new Float64Array(m * m);
  const s = new Float64Array(m * m);
  for (let k = 0; k < pairs.i.length; k++) {
    const i = pairs.i[k]!;
    const j = pairs.j[k]!;
    n[i * m + j] = n[j * m + i] = pairs.n[k]!;
    s[i * m + j] = pairs.s[k]!;
    s[j * m + i] = pairs.n[k]! - pairs.s[k]!;
  }
  const parent = Array.from({ length: m }, (_, i) => i);
  const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x]!)));
  const neverWins: string[] = [];
  const neverLoses: string[] = [];
  for (let i = 0; i < m; i++) {
    let won = 0;
    let lost = 0;
    for (let j = 0; j < m; j++) {
      if (n[i * m + j]! > 0) parent[find(i)] = find(j);
      won += s[i * m + j]!;
      lost += n[i * m + j]! - s[i * m + j]!;
    }
    if (won === 0) neverWins.push(systems[i]!);
    if (lost === 0) neverLoses.push(systems[i]!);
  }
  const groups = new Map<number, string[]>();
  for (let i = 0; i < m; i++) groups.set(find(i), [...(groups.get(find(i)) ?? []), systems[i]!]);
  const components = groups.size > 1 ? [...groups.values()] : [];
  const strong = m <= 1 || stronglyConnectedCount(m, (i, j) => s[i * m + j]! > 0) === 1;
  const reasons: string[] = [];
  if (components.length > 0) reasons.push(`the systems fall into ${components.length} groups never compared with each other (${components.map((c) => `{${c.join(', ')}}`).join(' / ')})`);
  if (neverWins.length > 0) reasons.push(`never won or tied: ${neverWins.join(', ')}`);
  if (neverLoses.length > 0) reasons.push(`never lost or tied: ${neverLoses.join(', ')}`);
  if (!strong && reasons.length === 0) reasons.push('some group of systems beat every system outside it in every comparison');
  return {
    ok: strong,
    components,
    neverWins,
    neverLoses,
    message: strong ? null : `No finite Bradley–Terry estimate: ${reasons.join('; ')}. Add comparisons that connect them, or fit with an L2 prior.`,
  };
}
