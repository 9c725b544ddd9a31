/**
 * Battles between systems as typed arrays, and Chatbot Arena's collapse of them into unique cells
 * (i = model_a, j = model_b, y ∈ {0, ½, 1}) with counts — the input of every Bradley–Terry fit here.
 */
export type Outcome = 'a' | 'b' | 'tie';

export type BattleTable = {
  systems: string[];
  /** Index into `systems` of the side shown as A / B. */
  a: Uint32Array;
  b: Uint32Array;
  /** A's score: 1 A won, 0 B won, 0.5 tie (both good or both bad). */
  y: Float64Array;
};

export type Cells = {
  systems: string[];
  i: Uint32Array;
  j: Uint32Array;
  y: Float64Array;
  /** Battles in the cell. */
  w: Float64Array;
  /** Σ w: the number of battles. */
  total: number;
};

const SCORE: Record<Outcome, number> = { a: 1, b: 0, tie: 0.5 };

export function battlesFromRecords(records: readonly { a: string; b: string; outcome: Outcome }[]): BattleTable {
  const index = new Map<string, number>();
  const id = (name: string) => {
    let k = index.get(name);
    if (k === undefined) index.set(name, (k = index.size));
    return k;
  };
  const a = new Uint32Array(records.length);
  const b = new Uint32Array(records.length);
  const y = new Float64Array(records.length);
  records.forEach((r, n) => {
    if (r.a === r.b) throw new Error(`battle ${n + 1}: a system cannot battle itself (${r.a})`);
    a[n] = id(r.a);
    b[n] = id(r.b);
    y[n] = SCORE[r.outcome];
  });
  return { systems: [...index.keys()], a, b, y };
}

/** `np.unique((a, b, y), return_counts=True)`: one cell per distinct (i, j, y), in (i, j, y) order. */
export function collapseBattles(table: BattleTable): Cells {
  const m = table.systems.length;
  const counts = new Float64Array(m * m * 3);
  const { a, b, y } = table;
  for (let n = 0; n < a.length; n++) counts[(a[n]! * m + b[n]!) * 3 + ((y[n]! * 2) | 0)]! += 1;
  return cellsFromCounts(table.systems, counts);
}

/** Cells from a dense [m, m, 3] count array (y index 0 → 0, 1 → ½, 2 → 1). */
export function cellsFromCounts(systems: string[], counts: Float64Array): Cells {
  const m = systems.length;
  let k = 0;
  for (let c = 0; c < counts.length; c++) if (counts[c]! > 0) k++;
  const cells: Cells = { systems, i: new Uint32Array(k), j: new Uint32Array(k), y: new Float64Array(k), w: new Float64Array(k), total: 0 };
  k = 0;
  for (let c = 0; c < counts.length; c++) {
    const w = counts[c]!;
    if (w <= 0) continue;
    const pair = Math.floor(c / 3);
    cells.i[k] = Math.floor(pair / m);
    cells.j[k] = pair % m;
    cells.y[k] = (c % 3) / 2;
    cells.w[k] = w;
    cells.total += w;
    k++;
  }
  return cells;
}

/**
 * Per unordered pair i < j that met: i's wins, ties and losses against j, whichever side each was
 * shown on. The likelihood depends on the cells only through these (order of sides does not enter).
 */
export type PairStats = { i: Uint32Array; j: Uint32Array; wins: Float64Array; ties: Float64Array; losses: Float64Array };

export function pairStats(cells: Cells): PairStats {
  const m = cells.systems.length;
  const dense = new Float64Array(m * m * 3); // [lo, hi, outcome for lo: 0 loss, 1 tie, 2 win]
  for (let k = 0; k < cells.i.length; k++) {
    const i = cells.i[k]!;
    const j = cells.j[k]!;
    const yLo = i < j ? cells.y[k]! : 1 - cells.y[k]!;
    dense[(Math.min(i, j) * m + Math.max(i, j)) * 3 + ((yLo * 2) | 0)]! += cells.w[k]!;
  }
  let count = 0;
  for (let c = 0; c < m * m; c++) if (dense[c * 3]! + dense[c * 3 + 1]! + dense[c * 3 + 2]! > 0) count++;
  const out: PairStats = { i: new Uint32Array(count), j: new Uint32Array(count), wins: new Float64Array(count), ties: new Float64Array(count), losses: new Float64Array(count) };
  let k = 0;
  for (let c = 0; c < m * m; c++) {
    const l = dense[c * 3]!;
    const t = dense[c * 3 + 1]!;
    const w = dense[c * 3 + 2]!;
    if (l + t + w === 0) continue;
    out.i[k] = Math.floor(c / m);
    out.j[k] = c % m;
    out.wins[k] = w;
    out.ties[k] = t;
    out.losses[k] = l;
    k++;
  }
  return out;
}
